/**
 * Row-level security on live PostgreSQL: the application role sees and writes one tenant's rows
 * only, sees nothing with no tenant, and a pooled connection never carries a tenant over.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as AccessPolicyLayer from "../../src/layers/AccessPolicy.js"
import { RepositoryLive } from "../../src/layers/Repository.js"
import * as RowLevelSecurity from "../../src/layers/RowLevelSecurity.js"
import { layerPg } from "../../src/layers/Sql.js"
import * as Repository from "../../src/services/Repository.js"
import { CurrentTenant } from "../../src/services/Repository.js"
import { describeLive, pgOptions, uniqueName } from "../support/services.js"

/**
 * Runs `body` with a table name and an application role of its own (made, `NOLOGIN`, not
 * bypassing row-level security), then drops the table, what the role owns and the role.
 */
const withAppRole = <X, E, R>(
  prefix: string,
  body: (table: string, role: string) => Effect.Effect<X, E, R>
) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const table = uniqueName(prefix)
    const role = uniqueName("dao_app")
    const cleanup = Effect.all([
      sql`DROP TABLE IF EXISTS ${sql(table)}`,
      sql`DROP OWNED BY ${sql(role)}`,
      sql`DROP ROLE IF EXISTS ${sql(role)}`
    ]).pipe(Effect.ignore)
    return yield* Effect.zipRight(sql`CREATE ROLE ${sql(role)} NOLOGIN NOSUPERUSER NOBYPASSRLS`, body(table, role))
      .pipe(
        Effect.ensuring(cleanup)
      )
  })

await describeLive(
  "postgres",
  "RowLevelSecurity (postgres)",
  () =>
    layer(Layer.provideMerge(RepositoryLive, layerPg({ ...pgOptions, maxConnections: 2 })), {
      timeout: "60 seconds",
      excludeTestServices: true
    })(
      "policies",
      (it) => {
        it.effect("the app role sees its tenant only, nothing without one, and cannot write for another", () =>
          withAppRole("rls", (table, role) =>
            Effect.gen(function*() {
              const sql = yield* SqlClient.SqlClient
              const asApp = <X, E, R>(effect: Effect.Effect<X, E, R>) =>
                sql.withTransaction(Effect.zipRight(sql`SET LOCAL ROLE ${sql(role)}`, effect))
              const names = sql<{ readonly name: string }>`SELECT name FROM ${sql(table)} ORDER BY name`.pipe(
                Effect.map((rows) => rows.map((row) => row.name))
              )
              yield* Effect.gen(function*() {
                yield* sql`CREATE TABLE ${
                  sql(table)
                } (id SERIAL PRIMARY KEY, tenant_id TEXT NOT NULL, name TEXT NOT NULL)`
                yield* sql`GRANT USAGE ON SEQUENCE ${sql(`${table}_id_seq`)} TO ${sql(role)}`
                yield* RowLevelSecurity.migration({ table, tenantColumn: "tenant_id", role })
                yield* RowLevelSecurity.migration({ table, tenantColumn: "tenant_id", role })
                const forced = yield* sql<{ readonly forced: boolean }>`
              SELECT relforcerowsecurity AS forced FROM pg_class WHERE oid = to_regclass(${table})`
                expect(forced[0]?.forced).toBe(true)

                const insertAs = (tenant: string, rowTenant: string, name: string) =>
                  asApp(
                    RowLevelSecurity.withTenant(
                      sql`INSERT INTO ${sql(table)} (tenant_id, name) VALUES (${rowTenant}, ${name})`
                    ).pipe(Effect.provideService(CurrentTenant, tenant))
                  )
                yield* insertAs("acme", "acme", "a1")
                yield* insertAs("acme", "acme", "a2")
                yield* insertAs("globex", "globex", "g1")

                const acme = yield* asApp(
                  RowLevelSecurity.withTenant(names).pipe(Effect.provideService(CurrentTenant, "acme"))
                )
                expect(acme).toEqual(["a1", "a2"])
                const globex = yield* asApp(
                  RowLevelSecurity.withTenant(names).pipe(Effect.provideService(CurrentTenant, "globex"))
                )
                expect(globex).toEqual(["g1"])

                // No tenant: raw SQL sees nothing, never everything; on both pooled connections.
                for (let i = 0; i < 4; i++) expect(yield* asApp(names)).toEqual([])

                // Inside a transaction (another tenant's, or none's) a tenant's setting ends with its work.
                const as = (tenant: string) => <X, E, R>(effect: Effect.Effect<X, E, R>) =>
                  RowLevelSecurity.withTenant(effect).pipe(Effect.provideService(CurrentTenant, tenant))
                const nested = yield* asApp(
                  as("acme")(Effect.gen(function*() {
                    const inner = yield* as("globex")(names)
                    const failed = yield* Effect.either(as("globex")(Effect.zipRight(names, Effect.fail("inner"))))
                    return { inner, failed: Either.isLeft(failed), outer: yield* names }
                  }))
                )
                expect(nested).toEqual({ inner: ["g1"], failed: true, outer: ["a1", "a2"] })
                expect(yield* asApp(Effect.zipRight(as("acme")(names), names))).toEqual([])

                const foreign = yield* Effect.either(insertAs("acme", "globex", "sneaky"))
                expect(Either.isLeft(foreign) && foreign.left._tag === "AccessDenied" && foreign.left.reason).toBe(
                  "RowLevelSecurity"
                )
                // A table the role has no GRANT on is refused as that, not as the policy's refusal.
                const ungranted = `${table}_ungranted`
                yield* sql`CREATE TABLE ${sql(ungranted)} (id INTEGER)`
                const denied = yield* Effect.either(asApp(
                  RowLevelSecurity.withTenant(sql`SELECT id FROM ${sql(ungranted)}`).pipe(
                    Effect.provideService(CurrentTenant, "acme")
                  )
                )).pipe(Effect.ensuring(Effect.ignore(sql`DROP TABLE IF EXISTS ${sql(ungranted)}`)))
                expect(Either.isLeft(denied) && [denied.left._tag, (denied.left as { reason?: unknown }).reason])
                  .toEqual([
                    "DataAccessError",
                    "PermissionDenied"
                  ])
                yield* asApp(
                  RowLevelSecurity.withTenant(sql`UPDATE ${sql(table)} SET name = 'stolen'`).pipe(
                    Effect.provideService(CurrentTenant, "acme")
                  )
                )
                const missing = yield* Effect.either(RowLevelSecurity.withTenant(names))
                expect(Either.isLeft(missing) && missing.left._tag === "AccessDenied" && missing.left.reason).toBe(
                  "MissingTenant"
                )
                // The server keeps a lone surrogate as U+FFFD: "acme\uD800" and "acme\uDFFF" were one tenant.
                yield* insertAs("acme\uFFFD", "acme\uFFFD", "replacement")
                for (const tenant of ["acme\uD800", "acme\uDFFF", "acme\u0000"]) {
                  const refused = yield* Effect.either(
                    asApp(RowLevelSecurity.withTenant(names).pipe(Effect.provideService(CurrentTenant, tenant)))
                  )
                  expect(Either.isLeft(refused) && refused.left._tag, JSON.stringify(tenant)).toBe("ValidationError")
                }
                yield* sql`DELETE FROM ${sql(table)} WHERE name = 'replacement'`
                const all = yield* sql<{ readonly tenant_id: string; readonly name: string }>`
              SELECT tenant_id, name FROM ${sql(table)} ORDER BY id`
                expect(all.map((row) => [row.tenant_id, row.name])).toEqual([
                  ["acme", "stolen"],
                  ["acme", "stolen"],
                  ["globex", "g1"]
                ])

                // Repositories compose with it: their own tenant filter, and the policy underneath.
                const Named = Schema.Struct({
                  id: Schema.Number,
                  tenant_id: Schema.optionalWith(Schema.String, { nullable: true }),
                  name: Schema.String
                })
                const named = yield* Repository.make({ table, schema: Named, id: "id", tenant: "tenant_id" }).pipe(
                  Effect.provide(AccessPolicyLayer.layer({ [table]: { readable: ["id", "tenant_id", "name"] } }))
                )
                const asTenant = (tenant: string) => <X, E, R>(effect: Effect.Effect<X, E, R>) =>
                  asApp(RowLevelSecurity.withTenant(effect)).pipe(Effect.provideService(CurrentTenant, tenant))
                yield* asTenant("globex")(named.create({ id: 100, name: "g2" }))
                const seen = yield* asTenant("globex")(named.list({ sort: [{ field: "id" }] }))
                expect(seen.map((row) => row.name)).toEqual(["g1", "g2"])

                const bad = yield* Effect.either(RowLevelSecurity.migration({ table: "x.y", tenantColumn: "t", role }))
                expect(Either.isLeft(bad) && bad.left._tag).toBe("ValidationError")
              })
            })))

        it.effect("countEstimate under row-level security counts the tenant's rows, not the planner's whole table", () =>
          withAppRole("rls_estimate", (table, role) =>
            Effect.gen(function*() {
              const sql = yield* SqlClient.SqlClient
              yield* Effect.gen(function*() {
                yield* sql`CREATE TABLE ${sql(table)} (id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL)`
                yield* RowLevelSecurity.migration({ table, tenantColumn: "tenant_id", role })
                // Far over the repository's estimate threshold (10,000), and analyzed: the planner knows.
                yield* sql`INSERT INTO ${sql(table)} SELECT i, CASE WHEN i <= 10 THEN 'globex' ELSE 'acme' END
                FROM generate_series(1, 20000) i`
                yield* sql`ANALYZE ${sql(table)}`
                const Keyed = Schema.Struct({ id: Schema.Number, tenant_id: Schema.String })
                const keyed = yield* Repository.make({ table, schema: Keyed, id: "id" }).pipe(
                  Effect.provide(AccessPolicyLayer.layer({ [table]: { readable: ["id", "tenant_id"] } }))
                )
                const asGlobex = <X, E, R>(effect: Effect.Effect<X, E, R>) =>
                  sql.withTransaction(
                    Effect.zipRight(sql`SET LOCAL ROLE ${sql(role)}`, RowLevelSecurity.withTenant(effect))
                  )
                    .pipe(Effect.provideService(CurrentTenant, "globex"))
                expect(yield* asGlobex(keyed.count())).toBe(10)
                expect(yield* asGlobex(keyed.countEstimate())).toBe(10)
              })
            })))
      }
    )
)
