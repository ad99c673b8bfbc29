import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as AccessPolicyLayer from "../../src/layers/AccessPolicy.js"
import { RepositoryLive } from "../../src/layers/Repository.js"
import { layerMysql } from "../../src/layers/Sql.js"
import * as Repository from "../../src/services/Repository.js"
import { CurrentTenant } from "../../src/services/Repository.js"
import { microsecondSuite, sqlTables, suite } from "../contracts/Repository.js"
import { describeLive, mysqlOptions, uniqueName } from "../support/services.js"

const mysql = layerMysql(mysqlOptions)

await describeLive("mariadb", "Repository (mariadb)", () => {
  suite("contract", Layer.merge(RepositoryLive, sqlTables).pipe(Layer.provide(mysql)), {
    sideBySide: true,
    readsBeside: true
  })
  microsecondSuite("dates finer than a millisecond", Layer.provideMerge(RepositoryLive, mysql))

  layer(Layer.provideMerge(RepositoryLive, mysql), { excludeTestServices: true, timeout: "60 seconds" })(
    "collation",
    (it) => {
      it.effect("a case-insensitive tenant column fails reads and counts instead of leaking another tenant's rows", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const table = uniqueName("ci")
          // The server's default collation: 'acme' = 'ACME' = 'acme '.
          yield* sql`CREATE TABLE ${sql(table)} (id VARCHAR(20) PRIMARY KEY, tenant_id VARCHAR(20) NOT NULL)`
          yield* Effect.gen(function*() {
            const Row = Schema.Struct({
              id: Schema.String,
              tenant_id: Schema.optionalWith(Schema.String, { nullable: true })
            })
            const rows = yield* Repository.make({ table, schema: Row, id: "id", tenant: "tenant_id" }).pipe(
              Effect.provide(AccessPolicyLayer.layer({ [table]: { readable: ["id", "tenant_id"] } }))
            )
            yield* rows.create({ id: "a" }).pipe(Effect.provideService(CurrentTenant, "acme"))
            yield* rows.create({ id: "b" }).pipe(Effect.provideService(CurrentTenant, "ACME"))
            const reason = <X, E extends { readonly _tag: string }>(effect: Effect.Effect<X, E>) =>
              Effect.map(
                Effect.either(effect),
                (o) => Either.isLeft(o) && o.left._tag === "AccessDenied" && (o.left as { reason?: string }).reason
              )
            yield* rows.create({ id: "c" }).pipe(Effect.provideService(CurrentTenant, "Acme "))
            yield* rows.create({ id: "d" }).pipe(Effect.provideService(CurrentTenant, "other"))
            const outcomes = yield* Effect.all([
              reason(rows.list()),
              reason(rows.findById("b")),
              reason(rows.listPage({ page: 1, perPage: 10 })),
              // A page past the rows has none to check: its total was counted loosely.
              reason(rows.listPage({ page: 50, perPage: 10 })),
              reason(rows.listCursor({ limit: 10 })),
              reason(rows.update("b", {})),
              // Counts would tell of the other tenants' rows, and with filters, of what they hold.
              reason(rows.count()),
              reason(rows.count({ filters: [{ field: "id", op: "gte", value: "b" }] })),
              reason(rows.countEstimate())
            ]).pipe(Effect.provideService(CurrentTenant, "acme"))
            expect(outcomes).toEqual(
              Array(9).fill("TenantMismatch")
            )
            // A tenant whose rows all match it exactly counts them.
            const others = yield* Effect.all([rows.count(), rows.countEstimate()]).pipe(
              Effect.provideService(CurrentTenant, "other")
            )
            expect(others).toEqual([1, 1])
          }).pipe(Effect.ensuring(Effect.ignore(sql`DROP TABLE ${sql(table)}`)))
        }))
    }
  )

  layer(Layer.provideMerge(RepositoryLive, mysql), { excludeTestServices: true, timeout: "120 seconds" })(
    "statement size",
    (it) => {
      it.effect("createMany and loadMany of more than max_allowed_packet go in statements under it, whole", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const [packet] = yield* sql<{ limit: number }>`SELECT @@max_allowed_packet AS ${sql("limit")}`
          const limit = Number(packet?.limit)
          const table = uniqueName("wide")
          yield* sql`CREATE TABLE ${sql(table)} (id INT PRIMARY KEY, body LONGTEXT NOT NULL)`
          yield* Effect.gen(function*() {
            const Row = Schema.Struct({ id: Schema.Number, body: Schema.String })
            const rows = yield* Repository.make({ table, schema: Row, id: "id" }).pipe(
              Effect.provide(AccessPolicyLayer.layer({ [table]: { readable: ["id", "body"] } }))
            )
            // Quotes, backslashes and characters of two and three bytes, 10,000 bytes a row.
            const body = (i: number) => `${i}'\\é€`.padEnd(1_000, "x").repeat(10)
            const count = Math.ceil((limit * 1.25) / 10_000)
            const records = Array.from({ length: count }, (_, i) => ({ id: i, body: body(i) }))
            expect(yield* rows.createMany(records)).toBe(count)
            expect(yield* rows.loadMany(records.map((r) => ({ ...r, id: r.id + count })))).toBe(count)
            const [stored] = yield* sql<{ n: number; bytes: number }>`
              SELECT COUNT(*) AS n, SUM(LENGTH(body)) AS bytes FROM ${sql(table)}`
            expect([Number(stored?.n), Number(stored?.bytes)]).toEqual([
              2 * count,
              2 * count * Buffer.byteLength(body(0))
            ])
            expect(yield* rows.findById(count - 1)).toEqual(Option.some({ id: count - 1, body: body(count - 1) }))
            expect(yield* rows.findById(2 * count - 1)).toEqual(
              Option.some({ id: 2 * count - 1, body: body(count - 1) })
            )
          }).pipe(Effect.ensuring(Effect.ignore(sql`DROP TABLE ${sql(table)}`)))
        }))
    }
  )
})
