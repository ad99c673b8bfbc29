import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Embedded from "../../src/layers/Embedded.js"
import * as Health from "../../src/layers/Health.js"
import { Health as HealthTag } from "../../src/services/Health.js"
import { Pipeline } from "../../src/services/Pipeline.js"
import { suite } from "../contracts/Pipeline.js"
import { onSql } from "./layers.js"

suite("Pipeline (pglite)", () => onSql(Embedded.layer()))

// The seed's `pipeline_health_check`: the program's `Health` over the pipeline's own client
// (one layer value, so one embedded database serves both).
const backend = Embedded.layer()

layer(Layer.merge(onSql(backend), Health.layer().pipe(Layer.provide(backend))), {
  timeout: 60_000,
  excludeTestServices: true
})(
  "Pipeline health",
  (it) => {
    it.effect("Health.check probes the database the pipeline writes to", () =>
      Effect.gen(function*() {
        const pipeline = yield* Pipeline
        yield* pipeline.requestUpdate("/srv/health")
        const report = yield* Effect.flatMap(HealthTag, (health) => health.check)
        assert.deepStrictEqual(report.backends.map((b) => [b.component, b.backend]), [["sql", "postgres"]])
        assert.notStrictEqual(report.status, "down")
        assert.isAtLeast(report.backends[0]?.pool?.total ?? 0, 1)
      }))
  }
)
