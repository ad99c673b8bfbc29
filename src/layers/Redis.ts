/**
 * `RedisClient` layers: a scoped ioredis connection to a server, or an in-memory stand-in
 * (ioredis-mock) with the same commands for programs and tests that have no Redis.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { Redis } from "ioredis"
import RedisMock from "ioredis-mock"
import type { Backend, BackendError } from "../errors.js"
import { classify, ConnectionError, scrub } from "../errors.js"
import type { RedisClientService } from "../services/RedisClient.js"
import { RedisClient } from "../services/RedisClient.js"
import * as ConnectionUrl from "./ConnectionUrl.js"
import * as Counts from "./Counts.js"
import { atMost, deadline } from "./Deadline.js"
import * as Durations from "./Durations.js"
import * as Metrics from "./Metrics.js"
import type { CircuitBreaker } from "./Resilience.js"
import { makeCircuitBreaker, RetryPolicy, totalDelay } from "./Resilience.js"
import { leafSpan } from "./Tracing.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RedisOptions {
  /** `redis://[user:password@]host:port/db`, or `rediss://` for TLS. Discrete options override its parts. */
  readonly url?: Redacted.Redacted | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly username?: string | undefined
  readonly password?: Redacted.Redacted | undefined
  readonly db?: number | undefined
  readonly tls?: boolean | undefined
  /** Default 10 seconds. */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** Every call is bounded by this; default 5 seconds. */
  readonly commandTimeout?: Duration.DurationInput | undefined
  /** When false the layer is built even if Redis cannot be reached yet; calls fail until it can. Default true. */
  readonly requireConnection?: boolean | undefined
  readonly breakerThreshold?: number | undefined
  readonly breakerResetTimeout?: Duration.DurationInput | undefined
  /** The name the connection shows in `CLIENT LIST`. Default `effect-dao`. */
  readonly connectionName?: string | undefined
  /**
   * Sends the commands issued in one tick as one pipeline (ioredis `enableAutoPipelining`): many
   * concurrent reads then cost one round trip. Default false.
   */
  readonly autoPipelining?: boolean | undefined
}

/**
 * The connection's settings from the URL and the discrete options. A URL that cannot be read, or
 * whose path is not a db index, is a `ConnectionError` (`InvalidUrl`): connecting to the
 * defaults, or to db 0, would read and write other data.
 */
const parse = (options: RedisOptions) =>
  Either.match(ConnectionUrl.parse(options.url), {
    onLeft: (detail) => Effect.fail(invalidUrl(detail)),
    onRight: (url) => {
      if (url.protocol !== undefined && url.protocol !== "redis" && url.protocol !== "rediss") {
        return Effect.fail(invalidUrl("a Redis URL starts with redis:// or rediss://"))
      }
      if ([...url.params.keys()].length > 0) {
        return Effect.fail(invalidUrl("a Redis URL takes no query parameters (its db index is its path)"))
      }
      if (url.path !== undefined && !/^\d+$/.test(url.path)) {
        return Effect.fail(invalidUrl("the path of a Redis URL is a db index (0, 1, ...)"))
      }
      if (options.host !== undefined && options.host.trim() === "") {
        return Effect.fail(invalidUrl("the host is empty"))
      }
      const urlDb = url.path !== undefined ? Number(url.path) : undefined
      return Effect.succeed({
        host: options.host ?? url.host ?? "127.0.0.1",
        port: options.port ?? url.port ?? 6379,
        username: options.username ?? url.username,
        password: ConnectionUrl.secret(options.password) ?? url.password,
        db: options.db ?? urlDb ?? 0,
        tls: options.tls ?? url.protocol === "rediss"
      })
    }
  })

/** The server's refusal of a connection's credentials, as the error classification reads it. */
const isAuthFailure = (error: unknown): boolean =>
  error instanceof Error && classify({ backend: "redis", operation: "connect" })(error).reason === "AuthFailed"

/** The server's answer to a `SELECT` it refused. */
const isSelectFailure = (error: unknown): boolean =>
  error instanceof Error && (error as { command?: { name?: unknown } }).command?.name === "select"

const invalidUrl = (detail: string) =>
  new ConnectionError({ backend: "redis", operation: "connect", reason: "InvalidUrl", detail })

/**
 * The parts of a client shared by the server and the in-memory stand-in. `commandTimeout` is
 * `"driver"` when the connection bounds each command itself (ioredis `commandTimeout`, failing
 * with "Command timed out", a `ConnectionError` Timeout): even a `deadline` forks a fiber per
 * command, which costs more than a cache hit.
 */
const makeService = (
  backend: "redis" | "memory",
  target: string,
  redis: Redis,
  commandTimeout: Duration.Duration | "driver",
  breaker: CircuitBreaker,
  explain: (error: unknown) => unknown = (error) => error
): RedisClientService => {
  const bounded = <A>(operation: string, self: Effect.Effect<A, BackendError>): Effect.Effect<A, BackendError> =>
    commandTimeout === "driver" ? self : deadline(self, {
      duration: commandTimeout,
      onTimeout: () =>
        new ConnectionError({
          backend,
          operation,
          target,
          reason: "Timeout",
          detail: `no answer within ${Duration.format(commandTimeout)}`
        })
    })
  const use = <A>(operation: string, f: (redis: Redis) => Promise<A>) =>
    bounded(
      operation,
      Effect.tryPromise({
        try: () => f(redis),
        catch: (error) => classify({ backend: backend as Backend, operation, target })(explain(error))
      })
    ).pipe(
      breaker.protect,
      Metrics.tracked(backend, operation),
      // A command opens no spans of its own: its span is a leaf, made only for a real tracer.
      leafSpan(operation, () => ({ "db.system.name": "redis" }), "client")
    )
  return {
    backend,
    target,
    use,
    ping: Effect.map(Effect.timed(use("Redis.ping", (redis) => redis.ping())), ([duration]) => duration)
  }
}

/**
 * Connects to Redis, and quits when the scope closes. Commands issued while disconnected fail
 * at once (no offline queue), and commands in flight when a connection drops are not re-sent
 * (so a write is never applied twice behind the caller's back); ioredis reconnects in the
 * background with capped exponential backoff.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: RedisOptions): Effect.Effect<RedisClientService, ConnectionError, Scope.Scope> =>
  Effect.gen(function*() {
    const parsed = yield* parse(options)
    yield* Durations.checkTimeouts("redis", {
      connectTimeout: options.connectTimeout,
      commandTimeout: options.commandTimeout,
      breakerResetTimeout: options.breakerResetTimeout
    })
    yield* Counts.checkCounts("redis", {
      port: [options.port, Counts.port],
      // ioredis sent `SELECT NaN` after every connect, and its failure ended the process.
      db: [options.db, Counts.dbIndex],
      breakerThreshold: [options.breakerThreshold, Counts.threshold]
    })
    // Redis' CLIENT SETNAME takes the characters from "!" to "~"; ioredis dropped any other name silently.
    if (options.connectionName !== undefined && !/^[!-~]+$/.test(options.connectionName)) {
      return yield* new ConnectionError({
        backend: "redis",
        operation: "connect",
        reason: "InvalidOption",
        detail: "connectionName must be printable ASCII without spaces (Redis CLIENT SETNAME)"
      })
    }
    const target = ConnectionUrl.target(parsed.host, parsed.port, parsed.db)
    const connectTimeout = Duration.decode(options.connectTimeout ?? "10 seconds")
    const redis = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const client = new Redis({
          host: parsed.host,
          port: parsed.port,
          db: parsed.db,
          ...(parsed.username ? { username: parsed.username } : {}),
          ...(parsed.password ? { password: Redacted.value(parsed.password) } : {}),
          ...(parsed.tls ? { tls: {} } : {}),
          connectTimeout: Duration.toMillis(connectTimeout),
          connectionName: options.connectionName ?? "effect-dao",
          lazyConnect: true,
          enableOfflineQueue: false,
          autoResendUnfulfilledCommands: false,
          maxRetriesPerRequest: 0,
          enableAutoPipelining: options.autoPipelining ?? false,
          commandTimeout: Duration.toMillis(Duration.decode(options.commandTimeout ?? "5 seconds")),
          retryStrategy: (times) => Math.min(50 * 2 ** times, 5_000)
        })
        return client
      }),
      (client) =>
        Effect.promise(() => client.quit().catch(() => "OK")).pipe(
          atMost("2 seconds"),
          Effect.ensuring(Effect.sync(() => client.disconnect()))
        )
    )
    // Failures reach callers through their commands; the last one explains a failed connect.
    let lastError: unknown = undefined
    // The server's refusal of the db or of the credentials, until a connection is ready: the
    // failures that follow it (the ready check's, on a connection being dropped) say less.
    let refusal: unknown = undefined
    redis.on("error", (error: unknown) => {
      lastError = error
      if (isSelectFailure(error) || isAuthFailure(error)) refusal = error
      // ioredis selects the db on every connect, before the connection is ready, and goes on in
      // db 0 when the server no longer has it (a restart with fewer databases): such a connection
      // is dropped before it is ready and tried again later, so commands fail meanwhile.
      if (parsed.db !== 0 && isSelectFailure(error)) redis.disconnect(true)
    })
    redis.on("ready", () => {
      lastError = undefined
      refusal = undefined
    })
    const unknownDatabase = (error: unknown) =>
      new ConnectionError({
        backend: "redis",
        operation: "connect",
        target,
        reason: "UnknownDatabase",
        detail: scrub(error instanceof Error ? error.message : String(error))
      })
    // ioredis selects the db itself, and when the server has no such db it goes on in db 0,
    // reading and writing another application's keys: the db is checked once connected, and a
    // client whose db does not exist is closed, so that every command fails instead.
    const selected = parsed.db === 0 ? Effect.void : Effect.tryPromise({
      try: () => redis.select(parsed.db),
      catch: unknownDatabase
    }).pipe(Effect.tapError(() => Effect.sync(() => redis.disconnect())))
    /** Resolves once the client is ready (at once if it is). */
    const ready = Effect.async<void>((resume) => {
      if (redis.status === "ready") return resume(Effect.void)
      const onReady = () => resume(Effect.void)
      redis.once("ready", onReady)
      return Effect.sync(() => void redis.off("ready", onReady))
    })
    const connect = Effect.tryPromise({
      try: () => redis.connect(),
      catch: (error) =>
        isSelectFailure(refusal)
          ? unknownDatabase(refusal)
          : classify({ backend: "redis", operation: "connect", target })(refusal ?? lastError ?? error)
    }).pipe(
      Effect.timeoutFail({
        duration: connectTimeout,
        onTimeout: () =>
          new ConnectionError({
            backend: "redis",
            operation: "connect",
            target,
            reason: "Timeout",
            detail: "no answer"
          })
      }),
      Effect.mapError((error) =>
        error instanceof ConnectionError ? error : new ConnectionError({
          backend: "redis",
          operation: "connect",
          target,
          reason: "Unknown",
          code: error.code,
          detail: error.detail
        })
      ),
      // A connect refused or dropped (a server still starting) is tried again by the client on
      // its reconnect schedule: the layer waits for it to be ready for as long as the Redis retry
      // policy's delays add up to; not after bad credentials, an unknown db or a timeout.
      Effect.catchIf(
        (error) => error.retryable && error.reason !== "Timeout",
        (error) =>
          Effect.flatMap(RetryPolicy, (policy) => {
            const window = totalDelay(policy.redis)
            return Effect.logWarning(
              `redis connect: ${error.message}; waiting up to ${Duration.format(window)} for a reconnect`
            ).pipe(
              Effect.zipRight(Metrics.retried("redis", error)),
              Effect.zipRight(ready),
              Effect.timeoutFail({ duration: window, onTimeout: () => error })
            )
          })
      ),
      Effect.zipRight(selected)
    )
    if (options.requireConnection === false) {
      yield* Effect.forkDaemon(Effect.ignore(connect))
    } else {
      yield* connect
    }
    const breaker = yield* makeCircuitBreaker({
      backend: "redis",
      failureThreshold: options.breakerThreshold,
      resetTimeout: options.breakerResetTimeout
    })
    // A command refused while the connection is down says only that; when the last reconnect was
    // refused its credentials (a changed password), that is the failure, and it is not retried.
    const explain = (error: unknown) =>
      redis.status !== "ready" && isAuthFailure(refusal) &&
        classify({ backend: "redis", operation: "command", target })(error).reason === "Unavailable"
        ? refusal
        : error
    return makeService("redis", target, redis, "driver", breaker, explain)
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: RedisOptions): Layer.Layer<RedisClient, ConnectionError> =>
  Layer.scoped(RedisClient, make(options))

let memoryInstances = 0

/**
 * An in-memory stand-in for Redis (ioredis-mock): the same commands, no server. Each layer
 * gets its own keyspace.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<RedisClient> = Layer.scoped(
  RedisClient,
  Effect.gen(function*() {
    memoryInstances += 1
    const target = `memory:${memoryInstances}`
    // ioredis-mock shares data between instances with the same host and port.
    const redis = yield* Effect.acquireRelease(
      Effect.sync(() => new RedisMock({ host: "memory", port: memoryInstances }) as unknown as Redis),
      (redis) => Effect.sync(() => redis.disconnect())
    )
    const breaker = yield* makeCircuitBreaker({ backend: "memory" })
    return makeService("memory", target, redis, Duration.seconds(5), breaker)
  })
)

/**
 * Reads Redis options from `REDIS_URL` or `REDIS_HOST`, `REDIS_PORT`, `REDIS_USERNAME`,
 * `REDIS_PASSWORD`, `REDIS_DB`, `REDIS_TLS`, `REDIS_CONNECT_TIMEOUT`, `REDIS_COMMAND_TIMEOUT`.
 * `None` when neither the URL nor the host is set.
 *
 * @since 0.1.0
 * @category constructors
 */
export const redisConfig: Config.Config<Option.Option<RedisOptions>> = Config.all({
  url: Config.redacted("REDIS_URL").pipe(Config.option),
  host: Config.string("REDIS_HOST").pipe(Config.option),
  port: Config.port("REDIS_PORT").pipe(Config.option),
  username: Config.string("REDIS_USERNAME").pipe(Config.option),
  password: Config.redacted("REDIS_PASSWORD").pipe(Config.option),
  db: Config.integer("REDIS_DB").pipe(
    Config.validate({ message: "must be 0 or more", validation: (n) => n >= 0 }),
    Config.option
  ),
  tls: Config.boolean("REDIS_TLS").pipe(Config.option),
  connectTimeout: Durations.timeoutConfig("REDIS_CONNECT_TIMEOUT").pipe(Config.option),
  commandTimeout: Durations.timeoutConfig("REDIS_COMMAND_TIMEOUT").pipe(Config.option)
}).pipe(
  Config.map((read) => {
    if (Option.isNone(read.url) && Option.isNone(read.host)) return Option.none()
    const options: RedisOptions = {
      url: Option.getOrUndefined(read.url),
      host: Option.getOrUndefined(read.host),
      port: Option.getOrUndefined(read.port),
      username: Option.getOrUndefined(read.username),
      password: Option.getOrUndefined(read.password),
      db: Option.getOrUndefined(read.db),
      tls: Option.getOrUndefined(read.tls),
      connectTimeout: Option.getOrUndefined(read.connectTimeout),
      commandTimeout: Option.getOrUndefined(read.commandTimeout)
    }
    return Option.some(options)
  })
)

/**
 * Redis when configured, the in-memory stand-in otherwise; one log line says which.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<RedisClient, ConnectionError | ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(
    redisConfig,
    Option.match({
      onNone: () =>
        Layer.tap(
          layerMemory,
          () => Effect.logInfo("Redis: none configured (REDIS_URL / REDIS_HOST); using in-memory")
        ),
      onSome: (options) =>
        Layer.tap(
          layer(options),
          (context) => Effect.logInfo(`Redis: server at ${Context.get(context, RedisClient).target}`)
        )
    })
  )
)
