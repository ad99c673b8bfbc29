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
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
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

/** A migration that failed is a defect of the Migrator's (`orDie`); here it is its typed failure. */
const typedFailure = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.catchSomeDefect(
    self,
    (defect) => defect instanceof Migrator.MigrationError ? Option.some(Effect.fail(defect)) : Option.none()
  )

/** Taking and giving back the lock of one dialect, as statements without parameters. */
interface LockStatements {
  /** Answers `got`: 1 or true once held; 0, false or null when not (yet). */
  readonly take: string
  readonly release: string
  /** Whether `take` returns at once and is asked again until it holds (else it waits itself). */
  readonly poll: boolean
}

const lockStatements = (sql: SqlClient.SqlClient): LockStatements =>
  sql.onDialectOrElse({
    pg: () => ({
      take: `SELECT pg_try_advisory_lock(hashtext('${table}')) AS got`,
      release: `SELECT pg_advisory_unlock(hashtext('${table}'))`,
      poll: true
    }),
    mysql: () => ({
      take: `SELECT GET_LOCK('${table}', ${lockSeconds}) AS got`,
      release: `SELECT RELEASE_LOCK('${table}')`,
      poll: false
    }),
    mssql: () => ({
      take: `DECLARE @r INT; EXEC @r = sp_getapplock @Resource = '${table}', @LockMode = 'Exclusive', ` +
        `@LockOwner = 'Session', @LockTimeout = ${
          lockSeconds * 1000
        }; SELECT CASE WHEN @r >= 0 THEN 1 ELSE 0 END AS got`,
      release: `EXEC sp_releaseapplock @Resource = '${table}', @LockOwner = 'Session'`,
      poll: false
    }),
    orElse: () => ({ take: "SELECT 1 AS got", release: "SELECT 1", poll: false })
  })

/**
 * Holds the migrations' lock, on a connection of its own, until the scope closes: the Migrator
 * locks its table on PostgreSQL only, and there not before it has made the table, which two
 * first starts made at once (one failing on PostgreSQL's catalog, `pg_type_typname_nsp_index`).
 * On MySQL/MariaDB a second start took the first one's records for a run in progress and answered
 * at once, before the tables it needs existed.
 */
const migrationLock = (sql: SqlClient.SqlClient) =>
  Effect.gen(function*() {
    const statements = lockStatements(sql)
    const connection = yield* sql.reserve
    const held = Effect.filterOrFail(
      connection.execute(statements.take, [], undefined),
      ([row]) => row?.got === true || Number(row?.got) === 1,
      () =>
        new Migrator.MigrationError({
          reason: "locked",
          message: `another start held the migration lock for ${lockSeconds} seconds`
        })
    )
    yield* statements.poll
      ? Effect.retry(held, {
        while: (error) => error._tag === "MigrationError",
        schedule: Schedule.spaced("100 millis").pipe(Schedule.upTo(Duration.seconds(lockSeconds)))
      })
      : held
    yield* Effect.addFinalizer(() => Effect.ignore(connection.execute(statements.release, [], undefined)))
  })

/**
 * MySQL/MariaDB: the Migrator records the migrations it is about to run, then runs them in a
 * transaction that every DDL statement commits, so a failed migration stayed recorded as applied,
 * with those after it. After a failure there the records of what did not complete are deleted,
 * and the next start runs them again.
 */
const forgetIncomplete = (sql: SqlClient.SqlClient, recorded: number, completed: ReadonlySet<number>) =>
  sql.onDialectOrElse({
    mysql: () =>
      Effect.ignore(
        sql`DELETE FROM ${sql(table)} WHERE migration_id > ${recorded}${
          completed.size > 0 ? sql` AND migration_id NOT IN ${sql.in([...completed])}` : sql``
        }`
      ),
    orElse: () => Effect.void
  })

/**
 * Applies what has not been applied yet; returns the migrations it ran. A migration that fails
 * is a `MigrationError` (reason `failed`, its cause the statement's error), and is not recorded.
 *
 * @since 0.1.0
 * @category constructors
 */
export const migrate = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.scoped(Effect.gen(function*() {
    yield* migrationLock(sql)
    const recorded = yield* sql<{ readonly id: unknown }>`SELECT MAX(migration_id) AS id FROM ${sql(table)}`.pipe(
      Effect.map(([row]) => Number(row?.id ?? 0)),
      // No table yet: the Migrator makes it.
      Effect.orElseSucceed(() => 0)
    )
    const completed = new Set<number>()
    return yield* typedFailure(migrator(completed)).pipe(
      Effect.onError(() => forgetIncomplete(sql, recorded, completed))
    )
  })))
