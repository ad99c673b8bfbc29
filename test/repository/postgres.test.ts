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
import { makeRecording } from "../support/recording.js"
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
    "bulk insert",
    (it) => {
      const Kinds = Schema.Struct({
        id: Schema.Number,
        big: Schema.BigIntFromSelf,
        exact: Schema.String,
        ratio: Schema.Number,
        label: Schema.NullOr(Schema.String),
        flag: Schema.Boolean,
        local: Schema.DateFromSelf,
        instant: Schema.DateFromSelf,
        bytes: Schema.Uint8ArrayFromSelf,
        counts: Schema.Array(Schema.Number),
        doc: Schema.parseJson(Schema.Struct({ a: Schema.Number, b: Schema.Array(Schema.String) }))
      })
      const kinds = (id: number): typeof Kinds.Type => ({
        id,
        big: 9_007_199_254_740_993n + BigInt(id),
        exact: "12345678901234567890.125",
        ratio: [Number.NaN, Number.POSITIVE_INFINITY, -0.1, 1e-300][id % 4]!,
        label: id % 2 === 0 ? null : `tab\there, "quotes", back\\slash\nnew line, ünïcödé 🙂 {braces} ${id}`,
        flag: id % 2 === 0,
        local: new Date(2026, 0, 2, 3, 4, 5, 6 + id),
        instant: new Date(Date.UTC(1999, 11, 31, 23, 59, 59, id)),
        bytes: new Uint8Array([0, 92, 120, 255, id]),
        counts: [id, -id, 0],
        doc: { a: id, b: ["x", "y\"z"] }
      })

      it.effect("createMany stores every kind of value exactly as create does, in one JSON parameter", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const table = uniqueName("kinds")
          yield* sql`CREATE TABLE ${
            sql(table)
          } (id INTEGER PRIMARY KEY, big BIGINT NOT NULL, exact NUMERIC(30,3) NOT NULL, ratio DOUBLE PRECISION NOT NULL, label TEXT NULL, flag BOOLEAN NOT NULL, local TIMESTAMP NOT NULL, instant TIMESTAMPTZ NOT NULL, bytes BYTEA NOT NULL, counts INTEGER[] NOT NULL, doc JSONB NOT NULL)`
          yield* Effect.gen(function*() {
            const repository = yield* Repository.make({ table, schema: Kinds, id: "id" }).pipe(
              Effect.provide(AccessPolicyLayer.layer({ [table]: { readable: Object.keys(Kinds.fields) } }))
            )
            const recording = makeRecording()
            yield* repository.createMany([1, 2, 3, 4].map(kinds)).pipe(Effect.provide(recording.layer))
            const statements = recording.spans.map((span) => String(span.attributes.get("db.query.text") ?? ""))
            expect(statements.some((text) => text.includes("json_to_recordset"))).toBe(true)
            for (const n of [1, 2, 3, 4]) yield* repository.create({ ...kinds(n), id: n + 10 })

            const stored = yield* sql<
              Record<string, unknown>
            >`SELECT id, big::text AS big, exact::text AS exact, ratio::text AS ratio, label, flag, local::text AS local, instant, encode(bytes, 'hex') AS bytes, counts::text AS counts, doc, jsonb_typeof(doc) AS doc_type FROM ${
              sql(table)
            } ORDER BY id`
            const many = stored.filter((row) => Number(row["id"]) < 10)
            const single = stored.filter((row) => Number(row["id"]) > 10)
            const withoutId = (row: Record<string, unknown>) => ({ ...row, id: Number(row["id"]) % 10 })
            expect(many.map(withoutId)).toEqual(single.map(withoutId))
            expect(many.map((row) => row["ratio"])).toEqual(["Infinity", "-0.1", "1e-300", "NaN"])
            expect(many[0]).toMatchObject({ big: "9007199254740994", exact: "12345678901234567890.125" })
            expect(many[0]!["bytes"]).toBe("005c78ff01")
            expect(many[0]!["doc_type"]).toBe("object")
            expect(many[0]!["counts"]).toBe("{1,-1,0}")
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
