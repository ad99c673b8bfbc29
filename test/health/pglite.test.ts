import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Embedded from "../../src/layers/Embedded.js"
import * as Health from "../../src/layers/Health.js"
import * as Redis from "../../src/layers/Redis.js"
import { Health as HealthTag } from "../../src/services/Health.js"

layer(Health.layer().pipe(Layer.provide(Layer.merge(Embedded.layer(), Redis.layerMemory))), {
  timeout: 60_000,
  excludeTestServices: true
})(
  "health on the embedded defaults",
  (it) => {
    it.effect("embedded PostgreSQL and the in-memory Redis are up", () =>
      Effect.gen(function*() {
        const report = yield* Effect.flatMap(HealthTag, (health) => health.check)
        assert.strictEqual(report.status, "up")
        assert.deepStrictEqual(report.backends.map((b) => b.backend), ["postgres", "memory"])
        assert.isAtLeast(report.backends[0]?.pool?.total ?? 0, 1)
      }))
  }
)
