/**
 * Column types for portable DDL, written once per dialect. Text compares by code point everywhere
 * (`COLLATE "C"` on PostgreSQL, `utf8mb4_bin` on MySQL/MariaDB, a `BIN2` collation on SQL Server),
 * so keys, uniqueness and sort order agree across backends and with the in-memory layers, but for
 * one rule of the last two: they pad the shorter text with spaces before comparing, so text that
 * differs only by trailing spaces is equal there (the DAOs refuse keys with trailing whitespace),
 * and a text sorts after a longer one that goes on with a character below the space (`/a` after
 * `/a\tb`, where PostgreSQL and memory put it first). The binary collations that do not pad,
 * MySQL 8's `utf8mb4_0900_bin` and MariaDB's `utf8mb4_nopad_bin`, each exist on one server only.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"

/**
 * The client and its column types.
 *
 * @since 0.1.0
 * @category constructors
 */
export const columnTypes = Effect.map(SqlClient.SqlClient, (sql) => ({
  sql,
  /** Text of at most `n` characters. */
  text: (n: number) =>
    sql.literal(sql.onDialectOrElse({
      pg: () => `VARCHAR(${n}) COLLATE "C"`,
      mysql: () => `VARCHAR(${n}) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
      mssql: () => `NVARCHAR(${n}) COLLATE Latin1_General_100_BIN2`,
      orElse: () => `VARCHAR(${n})`
    })),
  /** Text without a useful bound (never a key). */
  long: sql.literal(sql.onDialectOrElse({
    mysql: () => "MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
    mssql: () => "NVARCHAR(MAX)",
    orElse: () => "TEXT"
  })),
  /** An instant, to the millisecond. */
  time: sql.literal(sql.onDialectOrElse({
    pg: () => "TIMESTAMPTZ",
    mysql: () => "DATETIME(3)",
    mssql: () => "DATETIME2(3)",
    orElse: () => "TIMESTAMP"
  })),
  flag: sql.literal(sql.onDialectOrElse({ mssql: () => "BIT", orElse: () => "BOOLEAN" })),
  /** SQL Server clusters on the primary key by default; long text keys are better nonclustered. */
  primaryKey: sql.literal(sql.onDialectOrElse({ mssql: () => "PRIMARY KEY NONCLUSTERED", orElse: () => "PRIMARY KEY" }))
}))
