/**
 * The schema of the bundled domain DAOs, as @effect/sql migrations: one DDL per dialect, applied
 * once and recorded in `effect_dao_migrations` (the Migrator also takes a lock, so concurrent
 * starts do not race).
 *
 * @since 0.1.0
 */
import * as Migrator from "@effect/sql/Migrator"
import type * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
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

/**
 * Applies what has not been applied yet; returns the migrations it ran.
 *
 * @since 0.1.0
 * @category constructors
 */
export const migrate = Migrator.make({})({
  loader: Migrator.fromRecord(migrations),
  table: "effect_dao_migrations"
})
