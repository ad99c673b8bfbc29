/**
 * The tables of the hash store's pipeline tier: the update queue keyed by path, the official
 * sites and their completions; one DDL for every dialect with the differences in `columnTypes`.
 * The pipeline usually lives in a database of its own, so it has its own migration.
 *
 * Keys compare exactly on every backend (binary collations), and the path key is bounded as the
 * remote tier's is (`maxPathLength`), so that the pending index stays within InnoDB's 3,072 bytes
 * and SQL Server's 1,700 bytes for a nonclustered key.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import { maxPathLength } from "../schemas/HashRecord.js"
import type { PipelineTables } from "../schemas/PipelineUpdate.js"
import { pipelineTables } from "../schemas/PipelineUpdate.js"
import { columnTypes } from "./ColumnTypes.js"

/**
 * Creates the update, site and completion tables (and their indexes) under the given names.
 *
 * @since 0.1.0
 * @category constructors
 */
export const createTables = (names: PipelineTables = pipelineTables) =>
  Effect.gen(function*() {
    const { flag, primaryKey, sql, text, time } = yield* columnTypes
    yield* sql`CREATE TABLE ${sql(names.updates)} (
      update_path ${text(maxPathLength)} NOT NULL ${primaryKey},
      requested_at ${time} NOT NULL,
      hash_value ${text(128)},
      hashed_at ${time},
      pending ${flag} NOT NULL
    )`
    // The pending list is `pending = true` in request order, then by path: one index range.
    yield* sql`CREATE INDEX ${sql(`${names.updates}_pending`)} ON ${sql(names.updates)} (
      pending, requested_at, update_path
    )`
    yield* sql`CREATE TABLE ${sql(names.sites)} (
      site_id ${text(64)} NOT NULL PRIMARY KEY,
      registered_at ${time} NOT NULL
    )`
    // A site id (64) and the epoch millis of the completion, with a separator.
    yield* sql`CREATE TABLE ${sql(names.completions)} (
      completion_id ${text(96)} NOT NULL PRIMARY KEY,
      site_id ${text(64)} NOT NULL,
      completed_at ${time} NOT NULL
    )`
    yield* sql`CREATE INDEX ${sql(`${names.completions}_site`)} ON ${sql(names.completions)} (
      site_id, completed_at
    )`
  })

/**
 * Drops the tables `createTables` made under the given names.
 *
 * @since 0.1.0
 * @category constructors
 */
export const dropTables = (names: PipelineTables = pipelineTables) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`DROP TABLE ${sql(names.completions)}`
    yield* sql`DROP TABLE ${sql(names.sites)}`
    yield* sql`DROP TABLE ${sql(names.updates)}`
  })

/**
 * The migration for `migrations/index.ts`, for the database that holds the pipeline tier: its
 * tables under their default names.
 *
 * @since 0.1.0
 * @category models
 */
export const migration: Effect.Effect<void, unknown, SqlClient.SqlClient> = createTables()
