import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { ConnectionError } from "../../src/errors.js"
import * as Redis from "../../src/layers/Redis.js"
import * as Sql from "../../src/layers/Sql.js"

const refused = (build: Effect.Effect<unknown, ConnectionError, Scope.Scope>) =>
  Effect.gen(function*() {
    const started = Date.now()
    const error = yield* Effect.flip(Effect.scoped(build))
    assert.instanceOf(error, ConnectionError)
    assert.isBelow(Date.now() - started, 1_000)
    return error as ConnectionError
  })

describe("whole-number options given in code", () => {
  it.live("a port outside 1..65535, or no whole number, is InvalidOption on every backend, before connecting", () =>
    Effect.gen(function*() {
      // A port of 70,000 left node-postgres' pool unable to end (the build never finished), and
      // mysql2 died with ERR_SOCKET_BAD_PORT; NaN connected to the default port.
      for (const port of [70_000, -1, 0, Number.NaN, 5432.5]) {
        const layers = [
          Layer.build(Sql.layerPg({ host: "127.0.0.1", port, connectTimeout: "2 seconds" })),
          Layer.build(Sql.layerMysql({ host: "127.0.0.1", port })),
          Layer.build(Sql.layerMssql({ host: "127.0.0.1", port })),
          Layer.build(Redis.layer({ host: "127.0.0.1", port }))
        ]
        for (const layer of layers) {
          const error = yield* refused(layer)
          assert.strictEqual(error.reason, "InvalidOption", String(port))
          assert.strictEqual(error.detail, "port must be a whole number from 1 to 65535")
        }
      }
    }))

  it.live("a pool size or a breaker threshold that is no positive whole number, or a Redis name Redis refuses, is InvalidOption", () =>
    Effect.gen(function*() {
      const pool = yield* refused(Layer.build(Sql.layerPg({ host: "127.0.0.1", maxConnections: 0 })))
      assert.strictEqual(pool.reason, "InvalidOption")
      assert.include(pool.detail, "maxConnections")
      const breaker = yield* refused(Layer.build(Sql.layerMysql({ host: "127.0.0.1", breakerThreshold: 2.5 })))
      assert.include(breaker.detail, "breakerThreshold")
      const redis = yield* refused(Layer.build(Redis.layer({ host: "127.0.0.1", breakerThreshold: 0 })))
      assert.include(redis.detail, "breakerThreshold")
      // Redis refuses such a client name, and ioredis went on without one.
      for (const connectionName of ["my app", "", "név"]) {
        const named = yield* refused(Layer.build(Redis.layer({ host: "127.0.0.1", connectionName })))
        assert.strictEqual(named.reason, "InvalidOption", connectionName)
        assert.include(named.detail, "connectionName")
      }
    }))
})
