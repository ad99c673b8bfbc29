import { describe, expect, it } from "@effect/vitest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { ValidationError } from "../../src/errors.js"
import * as Health from "../../src/layers/Health.js"
import * as Redis from "../../src/layers/Redis.js"
import * as Sql from "../../src/layers/Sql.js"
import { Health as HealthTag } from "../../src/services/Health.js"
import { startSilentServer } from "../support/silentServer.js"

describe("Health options", () => {
  it.effect("a threshold or timeout that is no duration, none, or over 24 days is a ValidationError naming it", () =>
    Effect.gen(function*() {
      // "abc" and "3 years" died while the layer was built; 0 reported every backend down, NaN degraded.
      const cases: ReadonlyArray<readonly [string, Health.HealthOptions]> = [
        ["slowThreshold", { slowThreshold: "abc" as Duration.DurationInput }],
        ["timeout", { timeout: "1000 days" }],
        ["timeout", { timeout: 0 }],
        ["timeout", { timeout: -5 }],
        ["slowThreshold", { slowThreshold: Number.NaN }],
        ["slowThreshold", { slowThreshold: -1 }],
        // No probe could be degraded: it is down once the timeout passes.
        ["slowThreshold", { slowThreshold: "3 seconds" }],
        ["slowThreshold", { slowThreshold: "2 seconds", timeout: "1 second" }]
      ]
      for (const [field, options] of cases) {
        for (const layer of [Health.layer(options), Health.layerTiers({}, options)]) {
          const error: unknown = yield* Effect.flip(Effect.scoped(Layer.build(layer)))
          expect(error, JSON.stringify(options)).toBeInstanceOf(ValidationError)
          expect((error as ValidationError).field).toBe(field)
        }
      }
      const report = yield* Effect.flatMap(HealthTag, (health) => health.check).pipe(
        Effect.provide(
          Health.layer({ slowThreshold: "1 minute", timeout: "2 minutes" }).pipe(Layer.provide(Redis.layerMemory))
        )
      )
      expect(report.status).toBe("up")
      // The default threshold (500 ms) over a shorter timeout given is no error: nothing is degraded.
      const short = yield* Effect.flatMap(HealthTag, (health) => health.check).pipe(
        Effect.provide(Health.layer({ timeout: "300 millis" }).pipe(Layer.provide(Redis.layerMemory)))
      )
      expect(short.status).toBe("up")
    }))

  it.live(
    "a backend that gives no answer within the timeout is down with reason Timeout",
    () =>
      Effect.gen(function*() {
        const silent = yield* Effect.promise(() => startSilentServer())
        yield* Effect.addFinalizer(() => Effect.promise(() => silent.close()))
        const report = yield* Effect.flatMap(HealthTag, (health) => health.check).pipe(
          Effect.provide(
            Health.layer({ timeout: "300 millis" }).pipe(
              Layer.provide(
                Sql.layerPg({
                  host: "127.0.0.1",
                  port: silent.port,
                  requireConnection: false,
                  connectTimeout: "20 seconds"
                })
              )
            )
          )
        )
        expect(report.status).toBe("down")
        expect(report.backends[0]?.detail).toBe("postgres health: Timeout: no answer within 300ms")
      }).pipe(Effect.scoped),
    30_000
  )
})
