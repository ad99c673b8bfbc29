import { afterAll, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import { Redis as IORedisClient } from "ioredis"
import type { Redis as IORedis } from "ioredis"
import * as Redis from "../../src/layers/Redis.js"
import * as RedisSourceLayer from "../../src/layers/RedisSource.js"
import { RetryPolicy } from "../../src/layers/Resilience.js"
import type { Region } from "../../src/schemas/Region.js"
import { RedisClient } from "../../src/services/RedisClient.js"
import { RedisSource } from "../../src/services/RedisSource.js"
import { suite } from "../contracts/RedisSource.js"
import { describeLive, redisOptions, redisUrl, uniqueName } from "../support/services.js"
import { closedPort } from "../support/tcpProxy.js"

const liveNamespace = uniqueName("source")

/** Counts the calls made through `RedisClient.use`: one per round trip. */
const countingCalls = (calls: Ref.Ref<Array<string>>) =>
  Layer.effect(
    RedisClient,
    Effect.map(RedisClient, (client) => ({
      ...client,
      use: <A>(operation: string, f: (redis: IORedis) => Promise<A>) =>
        Effect.zipRight(Ref.update(calls, (list) => [...list, operation]), client.use(operation, f))
    }))
  )

await describeLive("redis", "RedisSource on live Redis", () => {
  suite(
    "RedisSource contract: live Redis",
    RedisSourceLayer.layer({ namespace: liveNamespace }).pipe(Layer.provide(Redis.layer(redisOptions))),
    { clock: "real" }
  )

  it.live("assetRegions takes three pipelined round trips however many regions and versions", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make<Array<string>>([])
      const asset = uniqueName("truck")
      const regions: Array<Region> = Array.from({ length: 20 }, (_, i) => i).flatMap((i) =>
        [1, 2, 3].map((version) => ({
          regionId: `r${i}-${asset}`,
          version,
          name: `region ${i}`,
          kind: "haul_road" as const,
          boundary: [[117, -23], [117.1, -23.1]],
          validFrom: new Date(Date.UTC(2026, 0, version))
        }))
      )
      const layer = RedisSourceLayer.layer({ namespace: liveNamespace }).pipe(
        Layer.provide(countingCalls(calls)),
        Layer.provide(Redis.layer(redisOptions))
      )
      yield* Effect.gen(function*() {
        const source = yield* RedisSource
        yield* Effect.forEach(regions, (region) => source.putRegion(asset, region), { discard: true })
        yield* Ref.set(calls, [])
        expect(yield* source.assetRegions(asset)).toHaveLength(20)
        expect(yield* Ref.get(calls)).toEqual([
          "Redis.pipeline(set)",
          "Redis.pipeline(zrange)",
          "Redis.pipeline(hash)"
        ])
        yield* Ref.set(calls, [])
        expect(yield* source.assetRegions(asset, { includeAllVersions: true })).toHaveLength(60)
        expect(yield* Ref.get(calls)).toHaveLength(3)
      }).pipe(Effect.provide(layer))
    }))

  it.live("a read that cannot reach Redis is retried per the RetryPolicy, then fails with ConnectionError", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make<Array<string>>([])
      const port = yield* Effect.promise(closedPort)
      const layer = RedisSourceLayer.layer().pipe(
        Layer.provide(countingCalls(calls)),
        Layer.provide(Redis.layer({ host: "127.0.0.1", port, requireConnection: false, breakerThreshold: 100 }))
      )
      const error = yield* Effect.flip(
        Effect.flatMap(RedisSource, (source) => source.assetRegions("truck-123")).pipe(Effect.provide(layer))
      )
      expect(error._tag).toBe("ConnectionError")
      expect(yield* Ref.get(calls)).toHaveLength(4)
    }).pipe(
      Effect.provideService(RetryPolicy, {
        ...RetryPolicy.defaultValue(),
        redis: { retries: 3, baseDelay: "5 millis", factor: 2, maxDelay: "50 millis", jitter: false }
      })
    ))
})

suite(
  "RedisSource contract: in-memory Redis client (ioredis-mock)",
  RedisSourceLayer.layer({ namespace: "mock" }).pipe(Layer.provide(Redis.layerMemory)),
  { clock: "real" }
)

afterAll(async () => {
  // Each test removes its keys; this only catches what a failed test left behind.
  const admin = new IORedisClient(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await admin.connect()
    let cursor = "0"
    do {
      const [next, keys] = await admin.scan(cursor, "MATCH", `${liveNamespace}:*`, "COUNT", 1000)
      if (keys.length > 0) await admin.unlink(...keys)
      cursor = next
    } while (cursor !== "0")
  } catch {
    // No server: nothing to clean.
  } finally {
    admin.disconnect()
  }
})
