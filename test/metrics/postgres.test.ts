import * as SqlClient from "@effect/sql/SqlClient"
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Sql from "../../src/layers/Sql.js"
import { describeLive, pgOptions, uniqueName } from "../support/services.js"
import { callCount, retryCount, timed } from "./labels.js"

await describeLive("postgres", "metrics of statements on live PostgreSQL", () => {
  it.live("each statement is counted by outcome and timed; a failed one under its reason", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const labels = { backend: "postgres", operation: "Metrics.select" }
      const before = yield* callCount({ ...labels, outcome: "success" })
      const timedBefore = yield* timed(labels)
      yield* Sql.run({ operation: "Metrics.select", idempotent: true })(sql`SELECT pg_sleep(0.02)`)
      assert.strictEqual((yield* callCount({ ...labels, outcome: "success" })) - before, 1)
      const after = yield* timed(labels)
      assert.strictEqual(after.count - timedBefore.count, 1)
      assert.isAtLeast(after.sum - timedBefore.sum, 20)
      const error = yield* Effect.flip(
        Sql.run({ operation: "Metrics.missing" })(sql`SELECT * FROM ${sql(uniqueName("missing"))}`)
      )
      assert.strictEqual(error._tag, "DataAccessError")
      const failed = { backend: "postgres", operation: "Metrics.missing", outcome: error.reason }
      assert.strictEqual(yield* callCount(failed), 1)
      assert.strictEqual(yield* callCount({ ...failed, outcome: "success" }), 0)
    }).pipe(Effect.provide(Sql.layerPg(pgOptions))))

  it.live("a refused statement counts each attempt and each retry", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const retries = yield* retryCount({ kind: "sql", reason: "Refused" })
      const error = yield* Effect.flip(Sql.run({ operation: "Metrics.refused", idempotent: true })(sql`SELECT 1`))
      assert.strictEqual(error._tag, "ConnectionError")
      assert.strictEqual(error.reason, "Refused")
      // The default policy: 2 retries after the first attempt.
      assert.strictEqual(yield* callCount({ backend: "postgres", operation: "Metrics.refused", outcome: "Refused" }), 3)
      assert.strictEqual((yield* retryCount({ kind: "sql", reason: "Refused" })) - retries, 2)
    }).pipe(Effect.provide(Sql.layerPg({ host: "127.0.0.1", port: 1, requireConnection: false }))))
})
