import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import * as Context from "effect/Context"
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

  layer(Layer.provideMerge(RepositoryLive, pg), { excludeTestServices: true, timeout: "60 seconds" })(
    "transactions",
    (it) => {
      it.effect("a point read inside a transaction sees its own writes, even beside an outside read", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const table = uniqueName("txread")
          yield* sql`CREATE TABLE ${sql(table)} (id VARCHAR(64) PRIMARY KEY, n INTEGER NOT NULL)`
          yield* Effect.gen(function*() {
            const Item = Schema.Struct({ id: Schema.String, n: Schema.Number })
            const items = yield* Repository.make({ table, schema: Item, id: "id" }).pipe(
              Effect.provide(AccessPolicyLayer.layer({ [table]: { readable: ["id", "n"] } }))
            )
            const outside = <A, E>(effect: Effect.Effect<A, E>) =>
              Effect.mapInputContext(
                effect,
                (context: Context.Context<never>) =>
                  Context.omit(SqlClient.TransactionConnection)(
                    context as Context.Context<SqlClient.TransactionConnection>
                  ) as Context.Context<never>
              )
            const [seenOutside, seenInside] = yield* Repository.withTransaction(Effect.gen(function*() {
              yield* items.create({ id: "x", n: 1 })
              // The outside read opens a batch first; the inside one must not join it.
              return yield* Effect.all([outside(items.findById("x")), items.findById("x")], {
                concurrency: "unbounded"
              })
            }))
            expect(seenOutside._tag).toBe("None")
            expect(seenInside._tag).toBe("Some")
          }).pipe(Effect.ensuring(Effect.ignore(sql`DROP TABLE ${sql(table)}`)))
        }))
    }
  )
})
