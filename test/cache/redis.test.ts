import { afterAll, describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import { Redis as IORedis } from "ioredis"
import { ConnectionError } from "../../src/errors.js"
import * as CacheLayer from "../../src/layers/Cache.js"
import * as Redis from "../../src/layers/Redis.js"
import { RetryPolicy } from "../../src/layers/Resilience.js"
import * as KeyPattern from "../../src/schemas/KeyPattern.js"
import { Cache } from "../../src/services/Cache.js"
import { RedisClient } from "../../src/services/RedisClient.js"
import { suite } from "../contracts/Cache.js"
import { redisServer } from "../support/redisServer.js"
import { describeLive, redisOptions, redisUrl, uniqueName } from "../support/services.js"
import { closedPort, startProxy } from "../support/tcpProxy.js"

const namespaces: Array<string> = []
const namespace = (prefix: string) => {
  const name = uniqueName(prefix)
  namespaces.push(name)
  return name
}

/** A plain connection for what the DAO does not do: reading command statistics, cleaning up. */
let admin: IORedis | undefined
const adminConnection = () => (admin ??= new IORedis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 }))

const commandCalls = async (command: string): Promise<number> => {
  const stats = await adminConnection().info("commandstats")
  const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, "m").exec(stats)
  return match ? Number(match[1]) : 0
}

afterAll(async () => {
  if (admin === undefined) return
  for (const name of namespaces) {
    let cursor = "0"
    do {
      const [next, keys] = await admin.scan(cursor, "MATCH", `${name}:*`, "COUNT", 1000)
      if (keys.length > 0) await admin.unlink(...keys)
      cursor = next
    } while (cursor !== "0")
  }
  await admin.quit()
})

await describeLive("redis", "Cache on live Redis", () => {
  suite(
    "Cache contract: live Redis",
    CacheLayer.layer({ namespace: namespace("cache") }).pipe(Layer.provide(Redis.layer(redisOptions))),
    { clock: "real", commandCalls }
  )
  // The cache's MGETs go around ioredis's auto-pipeline; the rest of its commands go through it.
  suite(
    "Cache contract: live Redis, auto-pipelining on",
    CacheLayer.layer({ namespace: namespace("cache_ap") }).pipe(
      Layer.provide(Redis.layer({ ...redisOptions, autoPipelining: true }))
    ),
    { clock: "real", commandCalls }
  )
})

suite(
  "Cache contract: in-memory Redis client (ioredis-mock)",
  CacheLayer.layer({ namespace: "mock" }).pipe(Layer.provide(Redis.layerMemory)),
  { clock: "real" }
)

// ---------------------------------------------------------------------------------------------
// Degradation
// ---------------------------------------------------------------------------------------------

const fastRetries = Effect.provideService(RetryPolicy, {
  ...RetryPolicy.defaultValue(),
  redis: { retries: 3, baseDelay: "5 millis", factor: 2, maxDelay: "50 millis", jitter: false }
})

/** Collects log lines at warning level and above, and info lines, as `LEVEL message`. */
const capturingLogs = (lines: Array<string>) =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ logLevel, message }) => {
      const text = Array.isArray(message) ? message.join(" ") : String(message)
      if (LogLevel.greaterThanEqual(logLevel, LogLevel.Info)) lines.push(`${logLevel.label} ${text}`)
    })
  )

const countLines = (lines: ReadonlyArray<string>, fragment: string) =>
  lines.filter((line) => line.includes(fragment)).length

const entry = KeyPattern.make("degrade:{run}:{n}")
/** The Redis client with each command it is given counted, retries included. */
const countingCommands = (attempts: Ref.Ref<number>) =>
  Layer.effect(
    RedisClient,
    Effect.map(RedisClient, (client) => ({
      ...client,
      use: <A>(operation: string, f: (redis: IORedis) => Promise<A>) =>
        Effect.zipRight(Ref.update(attempts, (n) => n + 1), client.use(operation, f))
    }))
  )

/**
 * The Redis client whose first `SET` fails with a connection reset (a blip, retried per the
 * policy), `failed` completed as it does; every other command goes through.
 */
const firstSetFails = (failed: Deferred.Deferred<void>) =>
  Layer.effect(
    RedisClient,
    Effect.map(RedisClient, (client) => {
      let first = true
      return {
        ...client,
        use: <A>(operation: string, f: (redis: IORedis) => Promise<A>) =>
          Effect.suspend(() => {
            if (operation !== "Redis.set" || !first) return client.use(operation, f)
            first = false
            return Effect.zipRight(
              Deferred.succeed(failed, undefined),
              Effect.fail(
                new ConnectionError({ backend: "redis", operation, reason: "Reset", detail: "read ECONNRESET" })
              )
            )
          })
      }
    })
  )

/** A proxy in front of the test Redis, stopped with the scope. */
const redisProxy = Effect.acquireRelease(
  Effect.promise(() => {
    const target = new URL(redisUrl)
    return startProxy({ host: target.hostname, port: Number(target.port || 6379) })
  }),
  (proxy) => Effect.promise(() => proxy.stop())
)

const realWait = (millis: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, millis)))

await describeLive("redis", "Cache degradation on live Redis", () => {
  it.live("with Redis unreachable: getOrSet serves the loader, warns once, writes stay quiet, the breaker opens", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(closedPort)
      const lines: Array<string> = []
      const layer = CacheLayer.layer({ namespace: namespace("down") }).pipe(
        Layer.provide(
          Redis.layer({
            host: "127.0.0.1",
            port,
            requireConnection: false,
            commandTimeout: "500 millis",
            breakerThreshold: 3,
            breakerResetTimeout: "1 minute"
          })
        )
      )
      yield* Effect.gen(function*() {
        const cache = yield* Cache
        const run = uniqueName("r")
        const loads = yield* Ref.make(0)
        const load = Effect.as(Ref.update(loads, (n) => n + 1), "from the database")
        for (let i = 0; i < 5; i++) {
          expect(yield* cache.getOrSet(entry({ run, n: 1 }), Schema.String, load)).toBe("from the database")
        }
        expect(yield* Ref.get(loads)).toBe(5)
        // A write fails quietly.
        yield* cache.set(entry({ run, n: 2 }), Schema.String, "x")
        // A plain read says what happened; by now the breaker fails it fast.
        const started = Date.now()
        const error = yield* Effect.flip(cache.get(entry({ run, n: 1 }), Schema.String))
        expect(error._tag).toBe("ConnectionError")
        expect(error._tag === "ConnectionError" && error.reason).toBe("CircuitOpen")
        expect(Date.now() - started).toBeLessThan(100)
        const invalidation = yield* Effect.flip(cache.invalidate(entry({ run, n: 1 })))
        expect(invalidation._tag).toBe("ConnectionError")
        expect(countLines(lines, "Redis unavailable")).toBe(1)
      }).pipe(Effect.provide(layer), Effect.provide(capturingLogs(lines)))
    }).pipe(fastRetries))

  it.live("a value found undecodable is deleted only while it is still there: a value written since stays", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* redisServer(["--enable-debug-command", "yes"])
      const context = yield* Layer.build(
        CacheLayer.layer({ namespace: "race" }).pipe(
          Layer.provideMerge(Redis.layer({ host: "127.0.0.1", port: server.port }))
        )
      )
      const cache = Context.get(context, Cache)
      const key = KeyPattern.user({ user_id: 1 })
      yield* cache.set(key, Schema.String, "old shape")
      const sleeper = yield* Effect.acquireRelease(
        Effect.sync(() => new IORedis({ host: "127.0.0.1", port: server.port })),
        (redis) => Effect.sync(() => redis.disconnect())
      )
      // While the server sleeps, the read's MGET and then the write's SET wait for it, in that order.
      const sleeping = Effect.promise(() => sleeper.call("DEBUG", "SLEEP", "0.5"))
      const slept = yield* Effect.fork(sleeping)
      yield* Effect.sleep("50 millis")
      const reader = yield* Effect.fork(cache.get(key, Schema.Number))
      yield* Effect.sleep("50 millis")
      const writer = yield* Effect.fork(cache.set(key, Schema.Number, 42))
      expect(yield* Fiber.join(reader)).toEqual(Option.none())
      yield* Fiber.join(writer)
      yield* Fiber.join(slept)
      expect(yield* cache.get(key, Schema.Number)).toEqual(Option.some(42))
    })))

  it.live("a getOrSet write retried after a blip stores nothing once the key was invalidated or set", () =>
    Effect.gen(function*() {
      for (const change of ["invalidate", "set"] as const) {
        const failed = yield* Deferred.make<void>()
        const layer = CacheLayer.layer({ namespace: namespace("blip") }).pipe(
          Layer.provide(firstSetFails(failed)),
          Layer.provide(Redis.layer(redisOptions))
        )
        yield* Effect.gen(function*() {
          const cache = yield* Cache
          const key = entry({ run: uniqueName("r"), n: 1 })
          const reader = yield* Effect.fork(cache.getOrSet(key, Schema.String, Effect.succeed("old")))
          // The first SET has failed; its retry waits out the backoff while the key changes.
          yield* Deferred.await(failed)
          if (change === "invalidate") yield* cache.invalidate(key)
          else yield* cache.set(key, Schema.String, "new")
          expect(yield* Fiber.join(reader)).toBe("old")
          yield* realWait(100)
          expect(yield* cache.get(key, Schema.String), change).toEqual(
            change === "invalidate" ? Option.none() : Option.some("new")
          )
        }).pipe(Effect.provide(layer))
      }
    }).pipe(
      Effect.provideService(RetryPolicy, {
        ...RetryPolicy.defaultValue(),
        redis: { retries: 3, baseDelay: "50 millis", factor: 2, maxDelay: "50 millis", jitter: false }
      })
    ))

  it.live("a read is retried per the RetryPolicy before it fails", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(closedPort)
      const attempts = yield* Ref.make(0)
      const counting = countingCommands(attempts)
      const layer = CacheLayer.layer({ namespace: namespace("retry") }).pipe(
        Layer.provide(counting),
        Layer.provide(Redis.layer({ host: "127.0.0.1", port, requireConnection: false, breakerThreshold: 100 }))
      )
      const error = yield* Effect.flip(
        Effect.flatMap(Cache, (cache) => cache.get(entry({ run: "r", n: 1 }), Schema.String)).pipe(
          Effect.provide(layer)
        )
      )
      expect(error._tag).toBe("ConnectionError")
      // The first attempt and the policy's three retries.
      expect(yield* Ref.get(attempts)).toBe(4)
    }).pipe(fastRetries))

  it.live(
    "in a stall, a read that timed out is not retried: getOrSet waits one command timeout, then loads",
    () =>
      Effect.gen(function*() {
        const proxy = yield* redisProxy
        const attempts = yield* Ref.make(0)
        const counting = countingCommands(attempts)
        const layer = CacheLayer.layer({ namespace: namespace("stall") }).pipe(
          Layer.provide(counting),
          Layer.provide(Redis.layer({
            host: "127.0.0.1",
            port: proxy.port,
            commandTimeout: "300 millis",
            breakerThreshold: 100
          }))
        )
        yield* Effect.gen(function*() {
          const cache = yield* Cache
          const key = entry({ run: uniqueName("r"), n: 1 })
          expect(yield* cache.get(key, Schema.String)).toEqual(Option.none())
          yield* Ref.set(attempts, 0)
          proxy.freeze()
          const started = Date.now()
          expect(yield* cache.getOrSet(key, Schema.String, Effect.succeed("loaded"))).toBe("loaded")
          const elapsed = Date.now() - started
          // One read and one write, each given up after one timeout: with retries it was 4 x 2 x 300 ms.
          expect(yield* Ref.get(attempts)).toBe(2)
          expect(elapsed).toBeGreaterThanOrEqual(550)
          expect(elapsed).toBeLessThan(1_100)
          const error = yield* Effect.flip(cache.get(key, Schema.String))
          expect(error._tag === "ConnectionError" && error.reason).toBe("Timeout")
          // An invalidation is still retried: a lost one would leave a stale value.
          yield* Ref.set(attempts, 0)
          yield* Effect.flip(cache.invalidate(key))
          expect(yield* Ref.get(attempts)).toBe(4)
        }).pipe(Effect.provide(layer))
      }).pipe(fastRetries, Effect.scoped),
    { timeout: 30_000 }
  )

  it.live(
    "an outage and its end: reads fall through to the loader, then the cache is used again",
    () =>
      Effect.gen(function*() {
        const proxy = yield* redisProxy
        const lines: Array<string> = []
        const layer = CacheLayer.layer({ namespace: namespace("outage") }).pipe(
          Layer.provide(
            Redis.layer({
              host: "127.0.0.1",
              port: proxy.port,
              commandTimeout: "500 millis",
              breakerThreshold: 3,
              breakerResetTimeout: "200 millis"
            })
          )
        )
        yield* Effect.gen(function*() {
          const cache = yield* Cache
          const run = uniqueName("r")
          const key = entry({ run, n: 1 })
          const loads = yield* Ref.make(0)
          const load = Effect.as(Ref.update(loads, (n) => n + 1), "value")
          const waitForRedis = Effect.gen(function*() {
            for (let i = 0; i < 100; i++) {
              if (Either.isRight(yield* Effect.either(cache.get(key, Schema.String)))) return true
              yield* realWait(100)
            }
            return false
          })

          expect(yield* cache.getOrSet(key, Schema.String, load)).toBe("value")
          expect(yield* cache.getOrSet(key, Schema.String, load)).toBe("value")
          expect(yield* Ref.get(loads)).toBe(1)

          yield* Effect.promise(() => proxy.stop())
          for (let i = 0; i < 4; i++) {
            expect(yield* cache.getOrSet(key, Schema.String, load)).toBe("value")
          }
          expect(yield* Ref.get(loads)).toBe(5)
          expect(countLines(lines, "Redis unavailable")).toBe(1)

          yield* Effect.promise(() => proxy.start())
          expect(yield* waitForRedis).toBe(true)
          // The value stored before the outage is still there, and serves reads again.
          expect(yield* cache.get(key, Schema.String)).toEqual(Option.some("value"))
          expect(yield* cache.getOrSet(key, Schema.String, load)).toBe("value")
          expect(yield* Ref.get(loads)).toBe(5)
          expect(countLines(lines, "caching resumed")).toBe(1)

          // A second outage is reported again, once.
          yield* Effect.promise(() => proxy.stop())
          expect(yield* cache.getOrSet(key, Schema.String, load)).toBe("value")
          expect(yield* cache.getOrSet(key, Schema.String, load)).toBe("value")
          expect(countLines(lines, "Redis unavailable")).toBe(2)
          yield* Effect.promise(() => proxy.start())
          expect(yield* waitForRedis).toBe(true)
          expect(yield* cache.invalidate(key)).toBe(true)
        }).pipe(Effect.provide(layer), Effect.provide(capturingLogs(lines)))
      }).pipe(fastRetries, Effect.scoped),
    { timeout: 60_000 }
  )
})

describe("CacheLive configuration", () => {
  const withEnv = (env: Record<string, string>) =>
    Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

  it.effect("reads CACHE_NAMESPACE and CACHE_DEFAULT_TTL", () =>
    Effect.gen(function*() {
      const cache = yield* Cache
      expect(cache.namespace).toBe("cfg:app")
      yield* cache.set(KeyPattern.systemStats(), Schema.Number, 1)
      const stored = yield* Effect.flatMap(RedisClient, (client) =>
        client.use("test.pttl", (redis) => redis.pttl("cfg:app:system_stats")))
      expect(stored).toBeGreaterThan(1_000)
      expect(stored).toBeLessThanOrEqual(2_000)
    }).pipe(
      Effect.provide(
        CacheLayer.CacheLive.pipe(
          Layer.provideMerge(Redis.layerMemory),
          Layer.provide(withEnv({ CACHE_NAMESPACE: "cfg:app", CACHE_DEFAULT_TTL: "2 seconds" }))
        )
      )
    ))

  it.effect("refuses a default TTL under a millisecond, and timeouts Node's timers cannot wait", () =>
    Effect.gen(function*() {
      for (const env of [{ CACHE_DEFAULT_TTL: "0 seconds" }, { CACHE_DEFAULT_TTL: "1e3 seconds" }]) {
        const exit = yield* Effect.exit(
          Layer.build(CacheLayer.CacheLive.pipe(Layer.provide(Redis.layerMemory))).pipe(
            Effect.scoped,
            Effect.provide(withEnv(env))
          )
        )
        expect(String(exit), JSON.stringify(env)).toContain("CACHE_DEFAULT_TTL")
      }
      for (const timeout of ["30 days", "0 millis"]) {
        const env = { REDIS_HOST: "127.0.0.1", REDIS_COMMAND_TIMEOUT: timeout }
        const exit = yield* Effect.exit(
          Layer.build(Redis.layerConfig).pipe(Effect.scoped, Effect.provide(withEnv(env)))
        )
        expect(Exit.isFailure(exit)).toBe(true)
        expect(String(exit), timeout).toContain("REDIS_COMMAND_TIMEOUT")
      }
    }))

  it.effect("refuses a namespace that is not a valid key prefix", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Layer.build(CacheLayer.CacheLive.pipe(Layer.provide(Redis.layerMemory))).pipe(Effect.scoped)
      )
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(exit)).toContain("CACHE_NAMESPACE")
    }).pipe(Effect.provide(withEnv({ CACHE_NAMESPACE: "app*" }))))
})

describe("Cache reading text it did not write", () => {
  it.effect("a value that is not JSON (written by another program) is a miss, and is deleted", () =>
    Effect.gen(function*() {
      const cache = yield* Cache
      const client = yield* RedisClient
      yield* client.use("test.set", (redis) => redis.set("foreign:user:7", "{not json"))
      expect(yield* cache.get(KeyPattern.user({ user_id: 7 }), Schema.Struct({ id: Schema.Number }))).toEqual(
        Option.none()
      )
      expect(yield* client.use("test.exists", (redis) => redis.exists("foreign:user:7"))).toBe(0)
    }).pipe(Effect.provide(CacheLayer.layer({ namespace: "foreign" }).pipe(Layer.provideMerge(Redis.layerMemory)))))
})
