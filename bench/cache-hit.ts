/**
 * The cache hit path: 50,000 reads of 1,000 warm keys from 32 concurrent callers, `Cache.get`
 * (key checked and rendered, value decoded with a Schema) against raw `ioredis.get` +
 * `JSON.parse` of the same keys; then both with auto-pipelining on.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { Redis } from "ioredis"
import * as CacheLayer from "../src/layers/Cache.js"
import * as RedisLayer from "../src/layers/Redis.js"
import * as KeyPattern from "../src/schemas/KeyPattern.js"
import { Cache } from "../src/services/Cache.js"
import { fibers } from "./dao.js"
import { callers, compare, uniqueName } from "./harness.js"
import * as Servers from "./servers.js"

const reads = Number(process.env["BENCH_CACHE_READS"] ?? 50_000)
const concurrency = 32
const keyCount = 1_000

const Profile = Schema.Struct({
  id: Schema.Number,
  name: Schema.String,
  email: Schema.String,
  plan: Schema.Literal("free", "team", "enterprise"),
  active: Schema.Boolean,
  logins: Schema.Number,
  roles: Schema.Array(Schema.String),
  company: Schema.NullOr(Schema.String)
})

const profile = (id: number): typeof Profile.Type => ({
  id,
  name: `user ${id}`,
  email: `user${id}@example.com`,
  plan: id % 3 === 0 ? "team" : "free",
  active: id % 2 === 0,
  logins: id * 7,
  roles: ["reader", ...(id % 5 === 0 ? ["admin"] : [])],
  company: id % 4 === 0 ? null : `company ${id % 50}`
})

const ids = Array.from({ length: reads }, (_, i) => ((i * 7_919) % keyCount) + 1)

const runtimeOf = (namespace: string, autoPipelining: boolean) =>
  ManagedRuntime.make(
    CacheLayer.layer({ namespace }).pipe(
      Layer.provide(RedisLayer.layer({ ...Servers.redisOptions, autoPipelining }))
    )
  )

/**
 * @since 0.1.0
 */
export const run = async (): Promise<void> => {
  const namespace = uniqueName("bench")
  const plain = runtimeOf(namespace, false)
  const pipelined = runtimeOf(namespace, true)
  const rawPlain = Servers.rawRedis(false)
  const rawPipelined = Servers.rawRedis(true)
  const fullKeys = Array.from(
    { length: keyCount + 1 },
    (_, id) => Either.getOrThrow(KeyPattern.render(KeyPattern.user({ user_id: id }), { namespace }))
  )
  try {
    await plain.runPromise(Effect.flatMap(Cache, (cache) =>
      Effect.forEach(
        Array.from({ length: keyCount }, (_, i) => i + 1),
        (id) => cache.set(KeyPattern.user({ user_id: id }), Profile, profile(id), { ttl: "10 minutes" }),
        { concurrency: 16, discard: true }
      )))
    const daoRound = (runtime: typeof plain) => () =>
      runtime.runPromise(
        Effect.flatMap(Cache, (cache) =>
          fibers(reads, concurrency, (i) =>
            Effect.flatMap(cache.get(KeyPattern.user({ user_id: ids[i]! }), Profile), (found) =>
              Option.isSome(found) ? Effect.void : Effect.dieMessage("cache miss"))))
      )
    const rawRound = (redis: Redis) => () =>
      callers(reads, concurrency, async (i) => {
        const text = await redis.get(fullKeys[ids[i]!]!)
        if (text === null) throw new Error("cache miss")
        return JSON.parse(text) as unknown
      })
    const shared = { units: reads, unitName: "reads", warmup: 1, rounds: 7 }
    await compare({
      title: "cache hit, no pipelining (Cache.get vs ioredis get + JSON.parse)",
      dao: { label: "Cache.get", round: daoRound(plain) },
      raw: { label: "ioredis", round: rawRound(rawPlain) },
      ...shared,
      target: 0.9
    })
    await compare({
      title: "cache hit, DAO auto-pipelined vs raw without pipelining",
      dao: { label: "Cache.get (auto-pipelining)", round: daoRound(pipelined) },
      raw: { label: "ioredis", round: rawRound(rawPlain) },
      ...shared,
      target: 2.0
    })
    await compare({
      title: "cache hit, both auto-pipelined",
      dao: { label: "Cache.get (auto-pipelining)", round: daoRound(pipelined) },
      raw: { label: "ioredis (auto-pipelining)", round: rawRound(rawPipelined) },
      ...shared
    })
  } finally {
    await plain.runPromise(Effect.flatMap(Cache, (cache) => cache.invalidatePrefix(KeyPattern.make("user:")())))
      .catch(() => 0)
    await plain.dispose()
    await pipelined.dispose()
    rawPlain.disconnect()
    rawPipelined.disconnect()
  }
}
