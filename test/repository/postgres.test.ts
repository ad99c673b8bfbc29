import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as AccessPolicyLayer from "../../src/layers/AccessPolicy.js"
import { RepositoryLive } from "../../src/layers/Repository.js"
import { layerPg } from "../../src/layers/Sql.js"
import * as Repository from "../../src/services/Repository.js"
import { sqlTables, suite } from "../contracts/Repository.js"
import { describeLive, pgOptions, uniqueName } from "../support/services.js"

const pg = layerPg(pgOptions)

await describeLive("postgres", "Repository (postgres)", () => {
  suite("contract", Layer.merge(RepositoryLive, sqlTables).pipe(Layer.provide(pg)))

  layer(Layer.provideMerge(RepositoryLive, pg), { excludeTestServices: true, timeout: "60 seconds" })(
    "planner",
    (it) => {
      it.effect("countEstimate reads the planner's estimate for a big table", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const table = uniqueName("big")
          yield* sql`CREATE TABLE ${sql(table)} (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`
          yield* Effect.gen(function*() {
            yield* sql`INSERT INTO ${sql(table)} SELECT g, g % 10 FROM generate_series(1, 25000) g`
            yield* sql`ANALYZE ${sql(table)}`
            const Big = Schema.Struct({ id: Schema.Number, n: Schema.Number })
            const big = yield* Repository.make({ table, schema: Big, id: "id" }).pipe(
              Effect.provide(AccessPolicyLayer.layer({ [table]: { readable: ["id", "n"] } }))
            )
            const estimate = yield* big.countEstimate()
            expect(Math.abs(estimate - 25_000)).toBeLessThan(1_000)
            expect(yield* big.count({ filters: [{ field: "n", op: "eq", value: 3 }] })).toBe(2_500)
          }).pipe(Effect.ensuring(Effect.ignore(sql`DROP TABLE ${sql(table)}`)))
        }))
    }
  )
})
