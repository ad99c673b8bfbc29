/**
 * The pipeline tier's DDL per dialect, compiled without a server: SQL Server's binary collation,
 * nonclustered path key and BIT flag beside the MySQL and PostgreSQL forms, and the pending
 * index's key size against each engine's limit.
 */
import * as MssqlClient from "@effect/sql-mssql/MssqlClient"
import * as MysqlClient from "@effect/sql-mysql2/MysqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { createTables, dropTables } from "../../src/migrations/Pipeline.js"
import { maxPathLength } from "../../src/schemas/HashRecord.js"
import { compiled } from "../support/ddl.js"

const names = { updates: "u", sites: "s", completions: "c" }

describe("Pipeline DDL (compiled)", () => {
  it("the pending index (flag, time, path) fits every engine's index key limit", () => {
    assert.isAtMost(1 + 7 + maxPathLength * 4 + 2, 3_072, "InnoDB: BOOLEAN, DATETIME(3), utf8mb4 VARCHAR")
    assert.isAtMost(1 + 7 + maxPathLength * 2, 1_700, "SQL Server: BIT, DATETIME2(3), NVARCHAR nonclustered")
  })

  it.effect("SQL Server: binary collation, nonclustered path key, BIT flag, DATETIME2(3)", () =>
    Effect.gen(function*() {
      const [updates, pending, sites, completions, bySite] = yield* compiled(
        MssqlClient.makeCompiler(),
        createTables(names)
      )
      assert.include(
        updates,
        `update_path NVARCHAR(${maxPathLength}) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY NONCLUSTERED`
      )
      assert.include(updates, "pending BIT NOT NULL")
      assert.include(updates, "requested_at DATETIME2(3) NOT NULL")
      assert.include(updates, "hash_value NVARCHAR(128) COLLATE Latin1_General_100_BIN2,")
      assert.strictEqual(pending, "CREATE INDEX [u_pending] ON [u] ( pending, requested_at, update_path )")
      assert.include(
        sites,
        "CREATE TABLE [s] ( site_id NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY"
      )
      assert.include(completions, "completion_id NVARCHAR(96) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY")
      assert.strictEqual(bySite, "CREATE INDEX [c_site] ON [c] ( site_id, completed_at )")
      assert.deepStrictEqual(yield* compiled(MssqlClient.makeCompiler(), dropTables(names)), [
        "DROP TABLE [c]",
        "DROP TABLE [s]",
        "DROP TABLE [u]"
      ])
    }))

  it.effect("MySQL: utf8mb4_bin keys, BOOLEAN and DATETIME(3); PostgreSQL: C-collated keys, TIMESTAMPTZ", () =>
    Effect.gen(function*() {
      const [mysql] = yield* compiled(MysqlClient.makeCompiler(), createTables(names))
      assert.include(
        mysql,
        `update_path VARCHAR(${maxPathLength}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY`
      )
      assert.include(mysql, "pending BOOLEAN NOT NULL")
      assert.include(mysql, "hashed_at DATETIME(3),")
      const [pg, pgIndex] = yield* compiled(PgClient.makeCompiler(), createTables(names))
      assert.include(pg, `update_path VARCHAR(${maxPathLength}) COLLATE "C" NOT NULL PRIMARY KEY`)
      assert.include(pg, "requested_at TIMESTAMPTZ NOT NULL")
      assert.strictEqual(pgIndex, `CREATE INDEX "u_pending" ON "u" ( pending, requested_at, update_path )`)
    }))
})
