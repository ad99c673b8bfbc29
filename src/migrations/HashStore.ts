/**
 * The tables of the hash store: the remote tier's records keyed by path and its scan log, and the
 * core tier's sites, baselines and central log; one DDL for every dialect with the differences in
 * `sql.onDialectOrElse`. The tiers usually live in different databases, so each has its own
 * migration.
 *
 * Keys and hashes compare exactly on every backend: `utf8mb4_bin` on MySQL/MariaDB and a binary
 * collation on SQL Server, whose default would make `/A` and `/a` one key. The path key is
 * bounded (`maxPathLength`) so that it stays an index key: 2,048 bytes in utf8mb4 (InnoDB allows
 * 3,072), 1,024 bytes in NVARCHAR as a nonclustered key (SQL Server allows 1,700).
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import type { CoreTables } from "../schemas/CoreSite.js"
import { coreTables } from "../schemas/CoreSite.js"
import type { HashStoreTables } from "../schemas/HashRecord.js"
import { hashStoreTables, maxPathLength } from "../schemas/HashRecord.js"
import { columnTypes } from "./ColumnTypes.js"

/** A log table (the remote tier's scan log and the core's central log have one shape). */
const logTable = (name: string) =>
  Effect.gen(function*() {
    const { long, sql, text, time } = yield* columnTypes
    yield* sql`CREATE TABLE ${sql(name)} (
      log_id ${text(64)} NOT NULL PRIMARY KEY,
      site_id ${text(64)},
      log_level ${text(16)} NOT NULL CHECK (log_level IN ('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL')),
      logged_at ${time} NOT NULL,
      session_id ${text(64)},
      summary_message ${text(1000)} NOT NULL,
      detailed_message ${long}
    )`
    yield* sql`CREATE INDEX ${sql(`${name}_session`)} ON ${sql(name)} (session_id, logged_at)`
    yield* sql`CREATE INDEX ${sql(`${name}_logged_at`)} ON ${sql(name)} (logged_at)`
    yield* sql`CREATE INDEX ${sql(`${name}_level`)} ON ${sql(name)} (log_level, logged_at)`
  })

/**
 * Creates the record and log tables (and their indexes) under the given names.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createTables = (names: HashStoreTables = hashStoreTables) =>
  Effect.gen(function*() {
    const { flag, long, primaryKey, sql, text, time } = yield* columnTypes
    yield* sql`CREATE TABLE ${sql(names.records)} (
      path ${text(maxPathLength)} NOT NULL ${primaryKey},
      current_hash ${text(128)} NOT NULL,
      current_dtg_first ${time} NOT NULL,
      current_dtg_latest ${time} NOT NULL,
      prev_hash ${text(128)},
      prev_dtg_latest ${time},
      target_hash ${text(128)},
      needs_update ${flag} NOT NULL,
      dirs ${long} NOT NULL,
      files ${long} NOT NULL,
      links ${long} NOT NULL,
      session_id ${text(64)}
    )`
    // The priority list is `needs_update = true` in path order: one index range.
    yield* sql`CREATE INDEX ${sql(`${names.records}_needs_update`)} ON ${sql(names.records)} (needs_update, path)`
    yield* logTable(names.logs)
  })

/**
 * Drops the tables `createTables` made under the given names.
 *
 * @since 0.1.0
 * @category constructors
 */
export const dropTables = (names: HashStoreTables = hashStoreTables) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DROP TABLE ${sql(names.logs)}`
    yield* sql`DROP TABLE ${sql(names.records)}`
  })

/**
 * The migration for `migrations/index.ts`: the tables under their default names.
 *
 * @since 0.1.0
 * @category models
 */
export const migration: Effect.Effect<void, unknown, SqlClient.SqlClient> = createTables()

/**
 * Creates the core tier's tables (sites, baselines, central log) under the given names.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createCoreTables = (names: CoreTables = coreTables) =>
  Effect.gen(function*() {
    const { sql, text, time } = yield* columnTypes
    yield* sql`CREATE TABLE ${sql(names.sites)} (
      site_id ${text(64)} NOT NULL PRIMARY KEY,
      current_hash ${text(128)},
      hash_dtg ${time},
      last_seen ${time} NOT NULL,
      record_count INTEGER NOT NULL CHECK (record_count >= 0)
    )`
    yield* sql`CREATE TABLE ${sql(names.baselines)} (
      baseline_hash ${text(128)} NOT NULL PRIMARY KEY,
      created_at ${time} NOT NULL
    )`
    yield* sql`CREATE INDEX ${sql(`${names.baselines}_created`)} ON ${sql(names.baselines)} (created_at)`
    yield* logTable(names.logs)
  })

/**
 * Drops the tables `createCoreTables` made under the given names.
 *
 * @since 0.1.0
 * @category constructors
 */
export const dropCoreTables = (names: CoreTables = coreTables) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DROP TABLE ${sql(names.logs)}`
    yield* sql`DROP TABLE ${sql(names.baselines)}`
    yield* sql`DROP TABLE ${sql(names.sites)}`
  })

/**
 * The core tier's migration, for the database that holds the core tier: its tables under their
 * default names.
 *
 * @since 0.1.0
 * @category models
 */
export const coreMigration: Effect.Effect<void, unknown, SqlClient.SqlClient> = createCoreTables()
