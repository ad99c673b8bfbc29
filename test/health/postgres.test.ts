import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Health from "../../src/layers/Health.js"
import * as Redis from "../../src/layers/Redis.js"
import * as Sql from "../../src/layers/Sql.js"
import { Health as HealthTag } from "../../src/services/Health.js"
import { describeLive, pgOptions, redisOptions } from "../support/services.js"
import { startProxy } from "../support/tcpProxy.js"

const check = Effect.flatMap(HealthTag, (health) => health.check)

await describeLive("postgres", "health on live PostgreSQL and Redis", () => {
  it.live("both up, with latency and pool figures", () =>
    Effect.gen(function*() {
      const report = yield* check
      assert.strictEqual(report.status, "up")
      const [sql, redis] = report.backends
      assert.strictEqual(sql?.component, "sql")
      assert.strictEqual(sql?.backend, "postgres")
      assert.strictEqual(sql?.status, "up")
      assert.isAtLeast(sql?.latencyMillis ?? -1, 0)
      assert.isAtLeast(sql?.pool?.total ?? -1, 1)
      assert.strictEqual(redis?.backend, "redis")
      assert.strictEqual(redis?.status, "up")
    }).pipe(
      Effect.provide(Health.layer().pipe(Layer.provide(Layer.merge(Sql.layerPg(pgOptions), Redis.layer(redisOptions)))))
    ))

  it.live("slower than the slow threshold is degraded", () =>
    Effect.gen(function*() {
      const report = yield* check
      assert.strictEqual(report.status, "degraded")
      assert.strictEqual(report.backends[0]?.status, "degraded")
    }).pipe(
      Effect.provide(Health.layer({ slowThreshold: "0 millis" }).pipe(Layer.provide(Sql.layerPg(pgOptions))))
    ))

  it.live("closed ports are down, with the reason and no waiting past the timeout", () =>
    Effect.gen(function*() {
      const report = yield* check
      assert.strictEqual(report.status, "down")
      const [sql, redis] = report.backends
      assert.strictEqual(sql?.status, "down")
      assert.include(sql?.detail ?? "", "Refused")
      assert.strictEqual(sql?.latencyMillis, undefined)
      assert.strictEqual(redis?.status, "down")
    }).pipe(
      Effect.provide(
        Health.layer({ timeout: "2 seconds" }).pipe(
          Layer.provide(Layer.merge(
            Sql.layerPg({ host: "127.0.0.1", port: 1, requireConnection: false, connectTimeout: "1 second" }),
            Redis.layer({ host: "127.0.0.1", port: 1, requireConnection: false })
          ))
        )
      )
    ))

  it.live(
    "a server that stops answering is down at the timeout, not when the statement's cancel gives up",
    () =>
      Effect.gen(function*() {
        const proxy = yield* Effect.acquireRelease(
          Effect.promise(() => startProxy({ host: "127.0.0.1", port: 5432 })),
          (proxy) => Effect.promise(() => proxy.stop())
        )
        const layer = Health.layer({ timeout: "500 millis" }).pipe(
          Layer.provide(Sql.layerPg({ ...pgOptions, port: proxy.port }))
        )
        yield* Effect.gen(function*() {
          assert.strictEqual((yield* check).status, "up")
          proxy.freeze()
          const started = Date.now()
          const report = yield* check
          // The cancel of the interrupted `SELECT 1` could not reach the server either: 2.5 s.
          assert.isBelow(Date.now() - started, 1_500)
          assert.strictEqual(report.status, "down")
          assert.include(report.backends[0]?.detail ?? "", "Timeout")
        }).pipe(Effect.provide(layer))
      }).pipe(Effect.scoped),
    30_000
  )

  it.live("one backend down makes the whole report down while the other stays up", () =>
    Effect.gen(function*() {
      const report = yield* check
      assert.strictEqual(report.status, "down")
      assert.strictEqual(report.backends[0]?.status, "up")
      assert.strictEqual(report.backends[1]?.status, "down")
    }).pipe(
      Effect.provide(
        Health.layer().pipe(
          Layer.provide(Layer.merge(Sql.layerPg(pgOptions), Redis.layer({ port: 1, requireConnection: false })))
        )
      )
    ))
})
