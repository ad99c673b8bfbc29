/**
 * The schema of the bundled domain DAOs, as @effect/sql migrations: one DDL per dialect, applied
 * once and recorded in `effect_dao_migrations`, under a lock of the server's so that concurrent
 * starts wait for each other (an advisory lock on PostgreSQL, a named lock on MySQL/MariaDB, an
 * application lock on SQL Server).
 *
 * @since 0.1.0
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { classify } from "../errors.js"
import { atMost } from "../layers/Deadline.js"
import { SqlBackend } from "../layers/Sql.js"
import { columnTypes } from "./ColumnTypes.js"
import * as HashStoreMigrations from "./HashStore.js"
import * as PipelineMigrations from "./Pipeline.js"

const assetCycleTable = (name: string) =>
  Effect.gen(function*() {
    const { sql, text, time } = yield* columnTypes
    yield* sql`CREATE TABLE ${sql(name)} (
      cycle_id ${text(64)} NOT NULL PRIMARY KEY,
      asset_guid ${text(64)} NOT NULL,
      site_guid ${text(64)} NOT NULL,
      cycle_status ${text(16)} NOT NULL CHECK (cycle_status IN ('INPROGRESS', 'COMPLETE')),
      current_work_state_id INTEGER NOT NULL,
      created_date ${time} NOT NULL,
      updated_date ${time} NOT NULL
    )`
    yield* sql`CREATE INDEX ${sql(`${name}_status_site`)} ON ${sql(name)} (cycle_status, site_guid, created_date)`
    yield* sql`CREATE INDEX ${sql(`${name}_asset`)} ON ${sql(name)} (asset_guid)`
  })

const usersTable = Effect.gen(function*() {
  const { flag, sql, text, time } = yield* columnTypes
  yield* sql`CREATE TABLE users (
    id ${text(64)} NOT NULL PRIMARY KEY,
    username ${text(32)} NOT NULL,
    email ${text(254)} NOT NULL,
    hashed_password ${text(255)} NOT NULL,
    is_active ${flag} NOT NULL,
    created_at ${time},
    updated_at ${time},
    deleted_at ${time}
  )`
  yield* sql`CREATE UNIQUE INDEX users_username ON users (username)`
  yield* sql`CREATE UNIQUE INDEX users_email ON users (email)`
})

/**
 * The migrations, in order. Ids are the numbers before the underscore.
 *
 * @since 0.1.0
 * @category models
 */
export const migrations: Record<string, Effect.Effect<void, unknown, SqlClient.SqlClient>> = {
  "1_asset_cycles": Effect.zipRight(assetCycleTable("asset_cycles"), assetCycleTable("asset_cycles_final")),
  "2_users": usersTable,
  "3_hash_store": HashStoreMigrations.migration,
  "4_hash_store_core": HashStoreMigrations.coreMigration,
  "5_hash_store_pipeline": PipelineMigrations.migration
}

const table = "effect_dao_migrations"

/** How long a start waits for another one's migrations. */
const lockSeconds = 120

/** The Migrator over `migrations`, noting the id of each as it completes. */
const migrator = (completed: Set<number>) =>
  Migrator.make({})({
    loader: Migrator.fromRecord(Object.fromEntries(
      Object.entries(migrations).map(([key, migration]) => [
        key,
        Effect.tap(migration, () => Effect.sync(() => completed.add(Number.parseInt(key, 10))))
      ])
    )),
    table
  })

/**
 * A migration that failed is a defect of the Migrator's (`orDie`); here it is its typed failure.
 * So is a COMMIT or ROLLBACK that failed (a connection lost mid-run), which @effect/sql makes a
 * defect: it fails as the driver's error, which `classified` types.
 */
const typedFailure = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.catchSomeDefect(
    self,
    (defect) =>
      defect instanceof Migrator.MigrationError || defect instanceof SqlError
        ? Option.some(Effect.fail(defect))
        : Option.none()
  )

const lockFailure = () =>
  new Migrator.MigrationError({
    reason: "locked",
    message: `another start held the migration lock for ${lockSeconds} seconds`
  })

/** A lock statement's answer `got`: 1 once the lock is held. */
const held = <E, R>(take: Effect.Effect<ReadonlyArray<{ readonly got?: unknown }>, E, R>) =>
  Effect.filterOrFail(take, ([row]) => Number(row?.got) === 1, lockFailure)

/**
 * Starts wait for each other under a lock of the server's: the Migrator locks its table on
 * PostgreSQL only, and there not before it has made the table, which two first starts made at
 * once (one failing on PostgreSQL's catalog, `pg_type_typname_nsp_index`); on MySQL/MariaDB a
 * second start took the first one's records for a run in progress and answered at once, before
 * the tables it needs existed. PostgreSQL and SQL Server: the whole run is one transaction
 * holding a transaction's lock (the Migrator's transaction becomes a savepoint of it).
 */
const inLockedTransaction = (sql: SqlClient.SqlClient) =>
  sql.withTransaction(Effect.zipRight(
    sql.onDialectOrElse({
      // The table as the Migrator makes it, made here under the lock: the Migrator tries to
      // read it first, which inside a transaction would abort it.
      pg: () =>
        Effect.all([
          sql.unsafe(`SET LOCAL lock_timeout = '${lockSeconds}s'`),
          sql.unsafe(`SELECT pg_advisory_xact_lock(hashtext('${table}'))`),
          sql`CREATE TABLE IF NOT EXISTS ${sql(table)} (
            migration_id integer primary key,
            created_at timestamp with time zone not null default now(),
            name text not null
          )`
        ], { discard: true }),
      mssql: () =>
        held(sql.unsafe<{ readonly got: unknown }>(
          `DECLARE @r INT; EXEC @r = sp_getapplock @Resource = '${table}', @LockMode = 'Exclusive', ` +
            `@LockOwner = 'Transaction', @LockTimeout = ${lockSeconds * 1000}; ` +
            "SELECT CASE WHEN @r >= 0 THEN 1 ELSE 0 END AS got"
        )),
      orElse: () => Effect.void
    }),
    migrator(new Set())
  ))

/**
 * MySQL/MariaDB, where every DDL statement commits: a named lock (`GET_LOCK`, held by a session)
 * on a connection reserved for the run, and every statement of the run on that connection too,
 * so that one connection is enough: provided as a transaction's connection of depth -1, the
 * Migrator's transaction is the outermost one and begins on it. The Migrator records the
 * migrations it is about to run before running them, so a failed migration stayed recorded as
 * applied, with those after it: after a failure the records of what did not complete are
 * deleted, and the next start runs them again.
 */
const onMysql = (sql: SqlClient.SqlClient) =>
  Effect.suspend(() => {
    // What the run found recorded, and what it completed, for the cleanup after a failure.
    let recorded: number | undefined
    const completed = new Set<number>()
    const run = Effect.scoped(Effect.gen(function*() {
      const connection = yield* sql.reserve
      yield* held(connection.execute(`SELECT GET_LOCK('${table}', ${lockSeconds}) AS got`, [], undefined))
      yield* Effect.addFinalizer(() =>
        // Bounded: a server that stopped answering would hold the run's end forever.
        Effect.ignore(connection.execute(`SELECT RELEASE_LOCK('${table}')`, [], undefined).pipe(atMost("5 seconds")))
      )
      return yield* Effect.gen(function*() {
        recorded = yield* sql<{ readonly id: unknown }>`SELECT MAX(migration_id) AS id FROM ${sql(table)}`.pipe(
          Effect.map(([row]) => Number(row?.id ?? 0)),
          // No table yet: the Migrator makes it.
          Effect.orElseSucceed(() => 0)
        )
        return yield* migrator(completed)
      }).pipe(Effect.provideService(SqlClient.TransactionConnection, [connection, -1] as const))
    }))
    // On a pooled connection once the run's is given back: the run's own may be the one lost,
    // and a pool of one has no other. A few tries, bounded: left, the records of what did not
    // complete made every later start answer that the schema was up to date.
    const cleanup = (since: number) =>
      sql`DELETE FROM ${sql(table)} WHERE migration_id > ${since}${
        completed.size > 0 ? sql` AND migration_id NOT IN ${sql.in([...completed])}` : sql``
      }`.pipe(
        Effect.retry(Schedule.intersect(Schedule.spaced("200 millis"), Schedule.recurs(4))),
        atMost("5 seconds"),
        Effect.catchAllCause(() =>
          Effect.logError(
            `migrations: the records of migrations that did not complete could not be deleted; ` +
              `delete those after ${since} from ${table} before the next start`
          )
        )
      )
    return run.pipe(Effect.onError(() => recorded === undefined ? Effect.void : cleanup(recorded)))
  })

/**
 * A statement of the run outside any migration (making the migrations table, reading it, taking
 * the lock) fails with the driver's `SqlError`, which reached a program unclassified: a user who
 * may not create tables ended `npm start` with a raw "CREATE command denied". It is classified as
 * any statement is (`PermissionDenied`, a lost connection), its detail scrubbed.
 */
const classified = <A, E, R>(sql: SqlClient.SqlClient, self: Effect.Effect<A, E | SqlError, R>) =>
  Effect.flatMap(Effect.serviceOption(SqlBackend), (backend) => {
    const context = Option.match(backend, {
      onNone: () => ({
        backend: sql.onDialectOrElse({
          mysql: () => "mysql" as const,
          mssql: () => "mssql" as const,
          orElse: () => "postgres" as const
        }),
        operation: "migrate"
      }),
      onSome: ({ backend, target }) => ({ backend, operation: "migrate", target })
    })
    return Effect.catchIf(
      self,
      (error): error is SqlError => error instanceof SqlError,
      (error) => Effect.fail(classify(context)(error))
    )
  })

/**
 * Applies what has not been applied yet; returns the migrations it ran. A migration that fails
 * is a `MigrationError` (reason `failed`, its cause the statement's error), and is not recorded; a
 * statement of the run's own (the migrations table, the lock) a `ConnectionError` or
 * `DataAccessError`.
 * Concurrent starts wait for each other (`inLockedTransaction`, `onMysql`); a pool of one
 * connection is enough.
 *
 * @since 0.1.0
 * @category constructors
 */
export const migrate = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) =>
    classified(
      sql,
      typedFailure(sql.onDialectOrElse({ mysql: () => onMysql(sql), orElse: () => inLockedTransaction(sql) }))
    )
)
