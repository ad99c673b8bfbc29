/**
 * The hash store's DDL per dialect, compiled without a server: SQL Server's binary collation,
 * nonclustered path key and NVARCHAR(MAX) listings beside the MySQL and PostgreSQL forms, and
 * the path key's size against each engine's index key limit.
 */
import * as MssqlClient from "@effect/sql-mssql/MssqlClient"
import * as MysqlClient from "@effect/sql-mysql2/MysqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { createCoreTables, createTables } from "../../src/migrations/HashStore.js"
import { maxPathLength } from "../../src/schemas/HashRecord.js"
import { compiled } from "../support/ddl.js"

const names = { records: "r", logs: "l" }

describe("HashStore DDL (compiled)", () => {
  it("path keys fit every engine's index key limit", () => {
    assert.isAtMost(maxPathLength * 4, 3_072, "InnoDB, utf8mb4")
    assert.isAtMost(maxPathLength * 2, 1_700, "SQL Server, NVARCHAR nonclustered")
  })

  it.effect("SQL Server: binary collation, nonclustered path key, BIT flag, NVARCHAR(MAX) listings", () =>
    Effect.gen(function*() {
      const [records, index, logs] = yield* compiled(MssqlClient.makeCompiler(), createTables(names))
      assert.include(
        records,
        `path NVARCHAR(${maxPathLength}) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY NONCLUSTERED`
      )
      assert.include(records, "needs_update BIT NOT NULL")
      assert.include(records, "dirs NVARCHAR(MAX) NOT NULL")
      assert.include(records, "current_dtg_first DATETIME2(3) NOT NULL")
      assert.strictEqual(index, "CREATE INDEX [r_needs_update] ON [r] (needs_update, path)")
      assert.include(
        logs,
        "CREATE TABLE [l] ( log_id NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY"
      )
      assert.include(logs, "CHECK (log_level IN ('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'))")
      const core = yield* compiled(
        MssqlClient.makeCompiler(),
        createCoreTables({ sites: "s", baselines: "b", logs: "cl" })
      )
      assert.include(core[0], "CREATE TABLE [s] ( site_id NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL")
      assert.include(core[1], "baseline_hash NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY")
    }))

  it.effect("MySQL: utf8mb4_bin keys and MEDIUMTEXT listings; PostgreSQL: C-collated keys, TIMESTAMPTZ and BOOLEAN", () =>
    Effect.gen(function*() {
      const [mysql] = yield* compiled(MysqlClient.makeCompiler(), createTables(names))
      assert.include(
        mysql,
        `path VARCHAR(${maxPathLength}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY`
      )
      assert.include(mysql, "dirs MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL")
      assert.include(mysql, "needs_update BOOLEAN NOT NULL")
      const [pg, pgIndex] = yield* compiled(PgClient.makeCompiler(), createTables(names))
      assert.include(pg, `path VARCHAR(${maxPathLength}) COLLATE "C" NOT NULL PRIMARY KEY`)
      assert.include(pg, "current_dtg_latest TIMESTAMPTZ NOT NULL")
      assert.include(pg, "links TEXT NOT NULL")
      assert.strictEqual(pgIndex, `CREATE INDEX "r_needs_update" ON "r" (needs_update, path)`)
    }))
})
