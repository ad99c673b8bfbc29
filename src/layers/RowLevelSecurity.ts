/**
 * PostgreSQL row-level security for tenant tables, so that even raw SQL sees one tenant only.
 *
 * `migration` enables and forces RLS on a table with a policy that compares the tenant column to
 * the transaction-local setting `app.tenant_id`, and grants the application role its rights.
 * `withTenant` runs work in a transaction that first sets that setting from `CurrentTenant` with
 * `set_config(..., true)`: local to the transaction, so a pooled connection never carries one
 * tenant's setting into another's work. With no setting the policy matches no row.
 *
 * The application must connect as a role that neither owns the tables nor is a superuser (or has
 * BYPASSRLS): PostgreSQL exempts those from every policy.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { BackendError, ConnectionError } from "../errors.js"
import { AccessDenied, DataAccessError, ValidationError } from "../errors.js"
import { isIdentifier } from "./AccessPolicy.js"
import { transaction } from "./Resilience.js"
import type { SqlBackendService } from "./Sql.js"
import { run, SqlBackend } from "./Sql.js"
import { requireTenant } from "./Tenancy.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RowLevelSecurityOptions {
  readonly table: string
  readonly tenantColumn: string
  /** The role the application connects as: granted SELECT, INSERT, UPDATE, DELETE. */
  readonly role: string
  /** The policy's name (default `tenant_isolation`). */
  readonly policy?: string | undefined
}

/**
 * The setting the policies read.
 *
 * @since 0.1.0
 * @category models
 */
export const tenantSetting = "app.tenant_id"

/**
 * Enables and forces row-level security on a table, with one policy for reads and writes. Fit
 * for `Migrator.fromRecord({ "0002_tenant_rls": migration({ ... }) })`; running it again
 * replaces the policy.
 *
 * @since 0.1.0
 * @category constructors
 */
export const migration = (
  options: RowLevelSecurityOptions
): Effect.Effect<void, ValidationError | BackendError, SqlClient.SqlClient | SqlBackend> =>
  Effect.gen(function*() {
    const policy = options.policy ?? "tenant_isolation"
    const bad = [options.table, options.tenantColumn, options.role, policy].find((name) => !isIdentifier(name))
    if (bad !== undefined) {
      return yield* Effect.fail(new ValidationError({ field: "rowLevelSecurity", detail: `not an identifier: ${bad}` }))
    }
    yield* postgresOnly(yield* SqlBackend, "RowLevelSecurity.migration")
    const sql = yield* SqlClient.SqlClient
    const table = sql(options.table)
    const column = sql(options.tenantColumn)
    const name = sql(policy)
    const current = sql.literal(`NULLIF(current_setting('${tenantSetting}', true), '')`)
    yield* Effect.all([
      sql`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
      sql`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
      sql`DROP POLICY IF EXISTS ${name} ON ${table}`,
      sql`CREATE POLICY ${name} ON ${table} USING (${column} = ${current}) WITH CHECK (${column} = ${current})`,
      sql`GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO ${sql(options.role)}`
    ], { discard: true }).pipe(
      run({ operation: "RowLevelSecurity.migration", table: options.table }),
      Effect.withSpan("RowLevelSecurity.migration", { attributes: { table: options.table } })
    )
  })

/** Row-level security is PostgreSQL's: elsewhere `set_config` and policies do not exist. */
const postgresOnly = (backend: SqlBackendService, operation: string): Effect.Effect<void, DataAccessError> =>
  backend.dialect.name === "pg" ? Effect.void : Effect.fail(
    new DataAccessError({
      backend: backend.backend,
      operation,
      reason: "UndefinedObject",
      detail: `row-level security is PostgreSQL's; ${backend.backend} has none: confine rows with a repository's tenant`
    })
  )

/**
 * Runs `effect` in a transaction whose RLS tenant is `CurrentTenant` (missing: `AccessDenied`
 * MissingTenant; text the server would not keep as it is, a lone surrogate or a NUL:
 * `ValidationError`). A row the policy refuses to write fails with `AccessDenied` RowLevelSecurity.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withTenant = <X, E, R>(
  effect: Effect.Effect<X, E, R>
): Effect.Effect<
  X,
  E | DataAccessError | ConnectionError | AccessDenied | ValidationError,
  R | SqlClient.SqlClient | SqlBackend
> =>
  Effect.gen(function*() {
    const tenant = yield* requireTenant()
    const sql = yield* SqlClient.SqlClient
    const backend = yield* SqlBackend
    yield* postgresOnly(backend, "RowLevelSecurity.withTenant")
    const setTenant = (value: string) =>
      sql`SELECT set_config(${tenantSetting}, ${value}, true)`.pipe(run({ operation: "RowLevelSecurity.setTenant" }))
    // Inside a transaction the work is a savepoint, and a setting made there outlives its release:
    // the enclosing work (another tenant's, or none's) would go on as this tenant. The setting it
    // had is put back once the work succeeds; a failed savepoint is rolled back with its setting.
    const enclosing = Option.isSome(yield* Effect.serviceOption(SqlClient.TransactionConnection))
    const confined = enclosing
      ? Effect.gen(function*() {
        const [before] = yield* sql<{ readonly previous: string | null }>`
          SELECT current_setting(${tenantSetting}, true) AS previous`.pipe(
          run({ operation: "RowLevelSecurity.setTenant" })
        )
        yield* setTenant(tenant)
        const result = yield* effect
        yield* setTenant(before?.previous ?? "")
        return result
      })
      : Effect.zipRight(setTenant(tenant), effect)
    return yield* transaction({
      backend: backend.backend,
      operation: "RowLevelSecurity.withTenant",
      target: backend.target
    })(confined).pipe(
      // Only a row the policy refuses is AccessDenied RowLevelSecurity; another refusal of the same
      // code (a table the role has no GRANT on) stays the PermissionDenied it is.
      Effect.mapError((error) =>
        error instanceof DataAccessError && error.reason === "PermissionDenied" &&
          /row-level security/i.test(error.detail)
          ? new AccessDenied({ reason: "RowLevelSecurity", table: error.table, detail: error.detail })
          : error
      )
    )
  })
