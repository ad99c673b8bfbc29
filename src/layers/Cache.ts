/**
 * `Cache` layers: `CacheLive` over `RedisClient`, `CacheTest` in memory (TTLs read from `Clock`,
 * so `TestClock` expires keys). Both share the cache-aside logic; only the key store differs.
 *
 * @since 0.1.0
 */
import * as Array from "effect/Array"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { Command } from "ioredis"
import type { BackendError } from "../errors.js"
import { ConnectionError, isTransient, ValidationError } from "../errors.js"
import * as Decoder from "../schemas/Decoder.js"
import type { Key } from "../schemas/KeyPattern.js"
import * as KeyPattern from "../schemas/KeyPattern.js"
import * as ParseIssue from "../schemas/ParseIssue.js"
import type { CacheService, SetOptions } from "../services/Cache.js"
import { Cache } from "../services/Cache.js"
import { RedisClient } from "../services/RedisClient.js"
import * as Batcher from "./Batcher.js"
import * as Durations from "./Durations.js"
import { retrying } from "./Resilience.js"
import { leafSpan } from "./Tracing.js"

const transientUnlessTimedOut = (error: unknown): boolean =>
  isTransient(error) && !(error instanceof ConnectionError && error.reason === "Timeout")

/**
 * @since 0.1.0
 * @category models
 */
export interface CacheOptions {
  /** Prefix of every key, e.g. the application's name; segments joined by ":". Default none. */
  readonly namespace?: string | undefined
  /** TTL of a value stored without one. Default 1 hour. */
  readonly defaultTtl?: Duration.DurationInput | undefined
  /** Keys asked for per SCAN step, and deleted per UNLINK, by `invalidatePrefix`: 1 to 100,000, default 1000. */
  readonly batchSize?: number | undefined
}

/** The few key operations the cache needs; a Redis connection or a map. */
interface KeyStore {
  /** The values of many keys, one per key, in order, `null` for a missing key (`MGET`). */
  readonly getMany: (keys: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<string | null>, BackendError>
  /**
   * Stores a value, unless `stale` says, as the command is issued (each attempt's), that it must
   * not be: a check made in the same step as the command, so that a change issued after the check
   * is also applied after the write.
   */
  readonly set: (
    key: string,
    value: string,
    ttlMillis: number,
    stale?: () => boolean
  ) => Effect.Effect<void, BackendError>
  readonly unlink: (keys: ReadonlyArray<string>) => Effect.Effect<number, BackendError>
  /** Deletes a key only while it still holds `value`, in one step: a value written since stays. */
  readonly unlinkIf: (key: string, value: string) => Effect.Effect<boolean, BackendError>
  /**
   * Whether keys may be deleted while a cursor walk is under way without it skipping others
   * (Redis guarantees it; ioredis-mock's cursor is an offset, so there the walk finishes first).
   */
  readonly deleteWhileScanning: boolean
  /** One step of a cursor walk over the keys starting with `prefix`; cursor "0" starts and ends it. */
  readonly scan: (
    cursor: string,
    prefix: string,
    count: number
  ) => Effect.Effect<readonly [string, ReadonlyArray<string>], BackendError>
}

/** `unlinkIf` on the server: the comparison and the delete are one script, so nothing comes between. */
const unlinkIfScript =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('UNLINK', KEYS[1]) else return 0 end"

const redisStore = Effect.map(RedisClient, (client): KeyStore => {
  return {
    deleteWhileScanning: client.backend === "redis",
    // An MGET of the cache is already a batch: sent as a command of its own, not queued into
    // ioredis's auto-pipeline, where it would wait for the next tick and be answered together
    // with the batch sent after it, which is meant to be in flight while this one's callers run.
    getMany: (keys) =>
      client.use("Redis.mget", (redis) =>
        client.backend === "redis"
          ? redis.sendCommand(new Command("mget", keys as Array<string>, { replyEncoding: "utf8" })) as Promise<
            Array<string | null>
          >
          : redis.mget(...keys)),
    set: (key, value, ttlMillis, stale) =>
      Effect.asVoid(
        client.use("Redis.set", (redis) =>
          stale?.() === true ? Promise.resolve(null) : redis.set(key, value, "PX", ttlMillis))
      ),
    unlink: (keys) =>
      keys.length === 0 ? Effect.succeed(0) : client.use("Redis.unlink", (redis) => redis.unlink(...keys)),
    unlinkIf: (key, value) =>
      Effect.map(
        client.use("Redis.eval", (redis) => redis.eval(unlinkIfScript, 1, key, value)),
        (deleted) => Number(deleted) > 0
      ),
    // Keys are checked to hold no glob characters, so the prefix is matched literally. The
    // in-memory stand-in turns MATCH into a regular expression without escaping it (a `(` in a key
    // failed the call): there the step's keys are filtered here instead.
    scan: (cursor, prefix, count) =>
      client.backend === "redis"
        ? client.use("Redis.scan", (redis) => redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", count))
        : client.use("Redis.scan", async (redis) => {
          const [next, keys] = await redis.scan(cursor, "COUNT", count)
          return [next, keys.filter((key) => key.startsWith(prefix))] as [string, Array<string>]
        })
  }
})

const memoryStore = Effect.sync((): KeyStore => {
  const entries = new Map<string, { readonly value: string; readonly expiresAt: number }>()
  const alive = (key: string, now: number) => {
    const entry = entries.get(key)
    if (entry !== undefined && entry.expiresAt <= now) entries.delete(key)
    return entry !== undefined && entry.expiresAt > now ? entry : undefined
  }
  const withNow = <A>(f: (now: number) => A) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => f(now)))
  return {
    deleteWhileScanning: true,
    getMany: (keys) => withNow((now) => keys.map((key) => alive(key, now)?.value ?? null)),
    set: (key, value, ttlMillis, stale) =>
      withNow((now) => void (stale?.() === true || entries.set(key, { value, expiresAt: now + ttlMillis }))),
    unlink: (keys) =>
      withNow((now) => keys.filter((key) => alive(key, now) !== undefined && entries.delete(key)).length),
    unlinkIf: (key, value) => withNow((now) => alive(key, now)?.value === value && entries.delete(key)),
    scan: (_cursor, prefix) =>
      withNow((now) => ["0", [...entries.keys()].filter((key) => key.startsWith(prefix) && alive(key, now))] as const)
  }
})

/** The most keys asked for per SCAN step and deleted per UNLINK by `invalidatePrefix`. */
const maxBatchSize = 100_000

const settings = (options: CacheOptions) =>
  Effect.gen(function*() {
    const namespace = yield* KeyPattern.checkNamespace(options.namespace ?? "")
    const defaultTtl = yield* Durations.ttlMillis(options.defaultTtl ?? "1 hour", "defaultTtl")
    const batchSize = options.batchSize ?? 1000
    // Redis refused a SCAN COUNT past 2^63 (`1e19`) on every call, where memory took it; a step of
    // that many keys would hold the server far too long anyway.
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > maxBatchSize) {
      return yield* new ValidationError({
        field: "batchSize",
        detail: `must be an integer from 1 to ${maxBatchSize}`
      })
    }
    return { namespace, defaultTtl, batchSize }
  })

/**
 * A value's codec to and from its JSON text, built once per schema: building `parseJson` and its
 * parser on every call cost more than the Redis round trip of a hit. Reading parses the text
 * with `JSON.parse` and decodes the value with the compiled `Decoder`, which is a third cheaper
 * than decoding through `parseJson` and again two to four times cheaper than Effect's parser;
 * text that is not JSON is a decoding failure like a value of the wrong shape. Writing encodes
 * the value with the compiled encoder and then `JSON.stringify`s it, as `parseJson` does; a value
 * that fails either way goes through `parseJson` itself, for its `ParseError`.
 */
interface JsonCodec {
  readonly decode: (text: string) => Option.Option<unknown>
  readonly encode: (value: unknown) => Either.Either<string, ParseResult.ParseError>
}

const jsonCodecs = new WeakMap<Schema.Schema.All, JsonCodec>()

const jsonCodec = <A, I>(schema: Schema.Schema<A, I>): JsonCodec => {
  const known = jsonCodecs.get(schema)
  if (known !== undefined) return known
  const decodeValue = Decoder.decodeUnknownEither(schema)
  const encodeValue = Decoder.encodeUnknownEither(schema)
  const encodeText = Schema.encodeUnknownEither(Schema.parseJson(schema))
  const codec: JsonCodec = {
    decode: (text) => {
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        return Option.none()
      }
      return Either.getRight(decodeValue(json))
    },
    encode: (value) => {
      const encoded = encodeValue(value)
      if (Either.isRight(encoded)) {
        try {
          const text: unknown = JSON.stringify(encoded.right)
          if (typeof text === "string") return Either.right(text)
        } catch {
          // `parseJson` below reports it (a BigInt, a cycle).
        }
      }
      return encodeText(value)
    }
  }
  jsonCodecs.set(schema, codec)
  return codec
}

/**
 * Whether a key lies under a rendered prefix: a prefix ending in `:` takes every key that starts
 * with it (`api:/v1/users:`); one that ends inside a segment, such as a whole key (`user:1`),
 * takes that key and the keys under it (`user:1:...`), not `user:10`.
 */
const under = (full: string): (key: string) => boolean =>
  full.endsWith(":") ? (key) => key.startsWith(full) : (key) => key === full || key.startsWith(`${full}:`)

/** A load of one key that concurrent callers share (`singleFlight`). */
class Flight {
  /** Set once the key is written or invalidated while the load runs: its value is not stored. */
  superseded = false
  constructor(readonly done: Deferred.Deferred<unknown, unknown>) {}
}

/** Spans of the cache path carry no stack trace: capturing one costs more than a cache hit. */
const span = (name: string, attributes: Record<string, unknown>) =>
  Effect.withSpan(name, { attributes, captureStackTrace: false })

const makeWith = (store: KeyStore, options: CacheOptions) =>
  Effect.gen(function*() {
    const { batchSize, defaultTtl, namespace } = yield* settings(options)
    const scope = yield* Effect.scope
    const flights = new Map<string, Flight>()
    /**
     * Loads of keys that are written or invalidated: later calls start a load of their own, and
     * these loads store nothing, so a value loaded before a change never outlives it in the cache.
     */
    const supersede = (full: string, prefix = false) =>
      Effect.sync(() => {
        const matching = prefix ? [...flights.keys()].filter(under(full)) : [full]
        for (const key of matching) {
          const flight = flights.get(key)
          if (flight === undefined) continue
          flight.superseded = true
          flights.delete(key)
        }
      })
    const health = yield* Ref.make<"up" | "down">("up")

    const render = (key: Key) => KeyPattern.render(key, { namespace })
    const attributes = (key: Key) => ({ "cache.pattern": key.template, "cache.namespace": namespace })

    /**
     * Retries per the policy, and keeps track of outages so that each is reported once. Reads and
     * the writes that may be lost (`lossy`: a later miss refills the key) are not tried again
     * after a timeout: in a stall each retry waits the whole command timeout again, and the
     * loader answers sooner. Invalidations are: a lost one would leave a stale value.
     */
    const observed = <A>(self: Effect.Effect<A, BackendError>, lossy = false): Effect.Effect<A, BackendError> =>
      retrying("redis", lossy ? transientUnlessTimedOut : isTransient)(self).pipe(
        Effect.tapBoth({
          onSuccess: () =>
            Effect.flatMap(
              Ref.getAndSet(health, "up"),
              (before) =>
                before === "down" ? Effect.logInfo("Cache: Redis answers again; caching resumed") : Effect.void
            ),
          onFailure: (error) =>
            error._tag === "ConnectionError"
              ? Effect.flatMap(Ref.getAndSet(health, "down"), (before) =>
                before === "up"
                  ? Effect.logWarning(
                    `Cache: Redis unavailable (${error.reason}); reads fall through to their loaders until it is back`
                  )
                  : Effect.void)
              : Effect.logWarning(`Cache: ${error.message}`)
        })
      )

    // Reads from concurrent callers (any fibers) go as one MGET: one command, one round trip, one
    // retry policy, breaker check and span for the lot. Two MGETs are kept in flight once there
    // are at least 16 keys to each, so that Redis answers one while the callers of the other read
    // their next keys; with fewer keys to an MGET the commands cost more than the overlap saves
    // (bench/RESULTS.md).
    const reads = Batcher.make({
      maxBatchSize: 500,
      overlap: 16,
      execute: (keys: ReadonlyArray<string>) => observed(store.getMany(keys), true)
    })

    const read = <A, I>(full: string, schema: Schema.Schema<A, I>): Effect.Effect<Option.Option<A>, BackendError> =>
      reads.loadThen(full, (raw) => {
        if (raw === null) return Effect.succeedNone
        const decoded = jsonCodec(schema).decode(raw) as Option.Option<A>
        if (Option.isSome(decoded)) return Effect.succeed(decoded)
        // A value written under an older shape: a miss, and it goes so that the next write replaces
        // it; a value written since the read stays.
        return Effect.as(Effect.ignore(observed(store.unlinkIf(full, raw), true)), Option.none<A>())
      })

    const write = <A, I>(full: string, schema: Schema.Schema<A, I>, value: A, ttl: number, stale?: () => boolean) =>
      Effect.gen(function*() {
        const codec = jsonCodec(schema)
        const encoded = yield* codec.encode(value).pipe(
          Effect.mapError((error) =>
            new ValidationError({ field: "value", detail: `does not encode: ${ParseIssue.describe(error)}` })
          )
        )
        // A value whose JSON its schema cannot read back would be a miss at every read, its loader
        // run every time: a `Date` under `Schema.DateFromSelf` (JSON makes it text), NaN (null).
        if (Option.isNone(codec.decode(encoded))) {
          return yield* new ValidationError({
            field: "value",
            detail: "does not read back from its JSON: the schema's encoded side must be JSON " +
              "(Schema.Date rather than Schema.DateFromSelf, finite numbers)"
          })
        }
        yield* Effect.ignore(observed(store.set(full, encoded, ttl, stale), true))
      })

    const ttlOf = (options: SetOptions | undefined) =>
      options?.ttl !== undefined ? Durations.ttlMillis(options.ttl) : Either.right(defaultTtl)

    /**
     * Runs `body` once for all concurrent callers of one key. It runs in the layer's scope, so a
     * caller that is interrupted does not cancel the work the others wait for. A call made after
     * the key was written or invalidated does not join a load that began before (`supersede`).
     */
    const singleFlight = <A, E, R>(
      full: string,
      body: (flight: Flight) => Effect.Effect<A, E, R>
    ): Effect.Effect<A, E, R> =>
      Effect.gen(function*() {
        const done = yield* Deferred.make<unknown, unknown>()
        const [flight, leader] = yield* Effect.sync((): [Flight, boolean] => {
          const running = flights.get(full)
          if (running !== undefined) return [running, false]
          const mine = new Flight(done)
          flights.set(full, mine)
          return [mine, true]
        })
        if (leader) {
          const fiber = yield* Effect.forkIn(Effect.exit(body(flight)), scope)
          // An observer, not a finalizer of the body: a fiber forked into a closed scope (the layer
          // released) is interrupted before it starts, and its callers would wait forever.
          fiber.addObserver((exit) => {
            if (flights.get(full) === flight) flights.delete(full)
            Deferred.unsafeDone(done, Exit.isSuccess(exit) ? exit.value : exit)
          })
        }
        // Every flight of `full` runs a `body` of this same call site's type (callers of one key
        // agree on its schema and loader), so the shared result has the type `A`, `E`.
        return yield* (Deferred.await(flight.done) as Effect.Effect<A, E>)
      })

    const service: CacheService = {
      namespace,
      get: (key, schema) => {
        // The hottest call of the cache: the key is rendered before any effect runs.
        const full = render(key)
        const found: Effect.Effect<Option.Option<Schema.Schema.Type<typeof schema>>, BackendError | ValidationError> =
          Either.isRight(full) ? read(full.right, schema) : Effect.fail(full.left)
        return leafSpan("Cache.get", () => attributes(key))(found)
      },
      set: (key, schema, value, options) =>
        Effect.gen(function*() {
          const full = yield* render(key)
          const ttl = yield* ttlOf(options)
          yield* supersede(full)
          yield* write(full, schema, value, ttl)
        }).pipe(span("Cache.set", attributes(key))),
      getOrSet: (key, schema, load, options) =>
        Effect.gen(function*() {
          const full = yield* render(key)
          const ttl = yield* ttlOf(options)
          return yield* singleFlight(
            full,
            (flight) =>
              Effect.gen(function*() {
                const cached = yield* read(full, schema).pipe(Effect.orElseSucceed(() => Option.none()))
                yield* Effect.annotateCurrentSpan("cache.hit", Option.isSome(cached))
                if (Option.isSome(cached)) return cached.value
                const value = yield* load
                // Loaded before the key was written or invalidated: answered, never stored, nor
                // by an attempt of the write made after a change (a retry after a blip).
                if (flight.superseded) return value
                yield* write(full, schema, value, ttl, () => flight.superseded).pipe(
                  Effect.catchAll((error) => Effect.logWarning(`Cache: value not stored: ${error.message}`))
                )
                return value
              })
          )
        }).pipe(span("Cache.getOrSet", attributes(key))),
      invalidate: (key) =>
        Effect.gen(function*() {
          const full = yield* render(key)
          yield* supersede(full)
          return (yield* observed(store.unlink([full]))) > 0
        }).pipe(span("Cache.invalidate", attributes(key))),
      invalidatePrefix: (prefix) =>
        Effect.gen(function*() {
          const full = yield* render(prefix)
          const inside = under(full)
          yield* supersede(full, true)
          let cursor = "0"
          let deleted = 0
          let pending: Array<string> = []
          const unlinkPending = Effect.gen(function*() {
            for (const batch of Array.chunksOf(pending, batchSize)) {
              deleted += yield* observed(store.unlink(batch))
            }
            pending = []
          })
          do {
            const [next, keys] = yield* observed(store.scan(cursor, full, batchSize))
            for (const key of keys) if (inside(key)) pending.push(key)
            if (store.deleteWhileScanning) yield* unlinkPending
            cursor = next
          } while (cursor !== "0")
          yield* unlinkPending
          yield* Effect.annotateCurrentSpan("cache.deleted", deleted)
          return deleted
        }).pipe(span("Cache.invalidatePrefix", attributes(prefix)))
    }
    return service
  })

/**
 * A cache over the `RedisClient` in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: CacheOptions = {}
): Effect.Effect<CacheService, ValidationError, RedisClient | Scope.Scope> =>
  Effect.flatMap(redisStore, (store) => makeWith(store, options))

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: CacheOptions = {}): Layer.Layer<Cache, ValidationError, RedisClient> =>
  Layer.scoped(Cache, make(options))

/**
 * Reads `CACHE_NAMESPACE` and `CACHE_DEFAULT_TTL` (a duration such as `30 minutes`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const cacheConfig: Config.Config<CacheOptions> = Config.all({
  namespace: KeyPattern.namespaceConfig("CACHE_NAMESPACE"),
  defaultTtl: Durations.ttlConfig("CACHE_DEFAULT_TTL").pipe(Config.withDefault(Duration.hours(1)))
})

/**
 * The cache over Redis, configured from the environment (`cacheConfig`).
 *
 * @since 0.1.0
 * @category layers
 */
export const CacheLive: Layer.Layer<Cache, ValidationError | ConfigError.ConfigError, RedisClient> = Layer.unwrapEffect(
  Effect.map(cacheConfig, layer)
)

/**
 * An in-memory cache with the same behaviour. Expiry is read from `Clock`, so `TestClock`
 * drives it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeTest = (options: CacheOptions = {}): Effect.Effect<CacheService, ValidationError, Scope.Scope> =>
  Effect.flatMap(memoryStore, (store) => makeWith(store, options))

/**
 * @since 0.1.0
 * @category layers
 */
export const layerTest = (options: CacheOptions = {}): Layer.Layer<Cache, ValidationError> =>
  Layer.scoped(Cache, makeTest(options))

/**
 * The in-memory cache with the default options.
 *
 * @since 0.1.0
 * @category layers
 */
export const CacheTest: Layer.Layer<Cache> = Layer.orDie(layerTest())
