/**
 * The SQL statements of the repository, as pure functions of a `sql` constructor, so that each
 * dialect's text can be compiled and checked without a server (`statement.compile()`). Where the
 * text differs (paging, upsert, planner estimate) it branches with `sql.onDialectOrElse`, here
 * and nowhere else.
 *
 * Table and column names reaching these functions have passed the access policy.
 *
 * @since 0.1.0
 */
import type * as Statement from "@effect/sql/Statement"
import type { Sort } from "../schemas/Query.js"
import type { Row, Where } from "./Query.js"
import { orderSql, whereSql } from "./Query.js"

type Sql = Statement.Constructor
type Fragment = Statement.Fragment

/**
 * A window of rows.
 *
 * @since 0.1.0
 * @category models
 */
export interface Window {
  readonly limit?: number | undefined
  readonly offset?: number | undefined
  /**
   * Positions in the sort of date columns that are also read as the backend's own text, under
   * `exactAlias(i)`, for the keyset position after a page: a `Date` keeps milliseconds only, and a
   * position taken from it (`.123` for a stored `.123400`) would sort before its own row, so the
   * next page would start with that row again. The text holds every digit the column stores and
   * compares with the column exactly. PostgreSQL and MySQL/MariaDB; SQL Server pages by the `Date`.
   */
  readonly exact?: ReadonlyArray<number> | undefined
}

/**
 * The name under which a page reads its `i`-th sort column as text (see `Window.exact`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const exactAlias = (i: number): string => `dao_exact_${i}`

/** A table's name as `to_regclass` reads it: quoted, so that its case is kept. */
const regclass = (table: string) => `"${table.replaceAll("\"", "\"\"")}"`

const columnList = (sql: Sql, columns: ReadonlyArray<string>) => sql.csv(columns.map((c) => sql`${sql(c)}`))

/** The columns of a page, and the sort columns it also reads as text (`Window.exact`). */
const pageColumns = (sql: Sql, columns: ReadonlyArray<string>, sort: ReadonlyArray<Sort>, window: Window) => {
  const exact = (window.exact ?? []).flatMap((i) => {
    const field = sort[i]?.field
    if (field === undefined) return []
    const alias = sql(exactAlias(i))
    return sql.onDialectOrElse({
      pg: () => [sql`CAST(${sql(field)} AS TEXT) AS ${alias}`],
      mysql: () => [sql`CAST(${sql(field)} AS CHAR) AS ${alias}`],
      orElse: () => []
    })
  })
  return exact.length === 0 ? columnList(sql, columns) : sql.csv([columnList(sql, columns), ...exact])
}

const windowSql = (sql: Sql, window: Window) => {
  if (window.limit === undefined && !window.offset) return sql``
  const offset = window.offset ?? 0
  return sql.onDialectOrElse({
    mssql: () =>
      window.limit === undefined
        ? sql`OFFSET ${offset} ROWS`
        : sql`OFFSET ${offset} ROWS FETCH NEXT ${window.limit} ROWS ONLY`,
    // MySQL has no OFFSET without LIMIT; its documented "no limit" is the largest BIGINT UNSIGNED.
    orElse: () => sql`LIMIT ${window.limit ?? Number.MAX_SAFE_INTEGER} OFFSET ${offset}`
  })
}

/**
 * Where a locking read says so: SQL Server takes a table hint after the table's name, the others a
 * clause after the whole query. Either way the rows read are locked against other writers and
 * locking readers until the transaction ends. A plain read does not wait for them on PostgreSQL and
 * MySQL/MariaDB (it reads the last committed version); on SQL Server without snapshot isolation it
 * waits for rows another transaction has written.
 */
const rowLock = (sql: Sql, table: string, forUpdate: boolean) => {
  const name = sql(table)
  if (!forUpdate) return { source: sql`${name}`, clause: sql`` }
  return sql.onDialectOrElse({
    mssql: () => ({ source: sql`${name} WITH (UPDLOCK, ROWLOCK)`, clause: sql`` }),
    orElse: () => ({ source: sql`${name}`, clause: sql` FOR UPDATE` })
  })
}

/**
 * `SELECT columns FROM table WHERE ... ORDER BY ... LIMIT/OFFSET` (`OFFSET ... FETCH` on SQL Server).
 * With `forUpdate` it is a locking read, for use inside a transaction: `... FOR UPDATE` on
 * PostgreSQL and MySQL/MariaDB, `FROM table WITH (UPDLOCK, ROWLOCK)` on SQL Server.
 *
 * @since 0.1.0
 * @category combinators
 */
export const select = (
  sql: Sql,
  table: string,
  columns: ReadonlyArray<string>,
  where: Where,
  sort: ReadonlyArray<Sort>,
  window: Window = {},
  forUpdate: boolean = false
): Statement.Statement<Row> => {
  const { clause, source } = rowLock(sql, table, forUpdate)
  return sql<Row>`SELECT ${sortWhole(sql, sort)}${pageColumns(sql, columns, sort, window)} FROM ${source} WHERE ${
    whereSql(sql, where)
  } ${orderBy(sql, sort)} ${windowSql(sql, window)}${clause}`
}

/**
 * MySQL sorts text of a PAD SPACE collation by its first `max_sort_length` bytes (1,024 by
 * default), and rows alike that far came out in any order, which keyset walks (whole values) did
 * not follow: a sorted read raises it for itself (`SET_VAR`, MySQL 8). MariaDB reads the hint as a
 * comment; its statements raise it in their `SET STATEMENT` prefix (`layers/Sql.ts`).
 */
const sortWhole = (sql: Sql, sort: ReadonlyArray<Sort>): Fragment =>
  sort.length === 0 ? sql`` : sql.onDialectOrElse({
    mysql: () => sql.literal("/*+ SET_VAR(max_sort_length = 8388608) */ "),
    orElse: () => sql``
  })

/** SQL Server pages only an ordered result; with no sort it gets the "any order" idiom. */
const orderBy = (sql: Sql, sort: ReadonlyArray<Sort>) =>
  sort.length > 0
    ? sql`ORDER BY ${orderSql(sql, sort)}`
    : sql.onDialectOrElse({ mssql: () => sql`ORDER BY (SELECT NULL)`, orElse: () => sql`` })

/**
 * A text column that must equal a value exactly: the same characters, case, accents and trailing
 * spaces, whatever the column's collation.
 *
 * @since 0.1.0
 * @category models
 */
export interface ExactMatch {
  readonly column: string
  readonly value: string
}

/**
 * `exact` as SQL. PostgreSQL's `=` is exact under its deterministic collations; MySQL/MariaDB's
 * default collations ignore case and trailing spaces, SQL Server's case, and even their binary
 * collations pad: a binary collation and the length with the spaces counted.
 */
const exactSql = (sql: Sql, exact: ExactMatch): Fragment => {
  const column = sql(exact.column)
  return sql.onDialectOrElse({
    mysql: () =>
      sql`${column} = ${exact.value} COLLATE utf8mb4_bin AND CHAR_LENGTH(${column}) = CHAR_LENGTH(${exact.value})`,
    mssql: () =>
      sql`${column} = ${exact.value} COLLATE Latin1_General_100_BIN2 AND LEN(${column} + N'x') = LEN(${exact.value} + N'x')`,
    orElse: () => sql`${column} = ${exact.value}`
  })
}

/**
 * `COUNT(x)` as a count of any size: SQL Server's `COUNT` is an `int`, which fails (error 8115)
 * past 2,147,483,647 rows, so there it is `COUNT_BIG`; the drivers answer both as a number or a
 * numeric string.
 *
 * @since 0.1.0
 * @category combinators
 */
export const countOf = (sql: Sql, counted: Statement.Fragment | "*"): Statement.Fragment => {
  const inner = counted === "*" ? sql.literal("*") : counted
  return sql.onDialectOrElse({ mssql: () => sql`COUNT_BIG(${inner})`, orElse: () => sql`COUNT(${inner})` })
}

/**
 * `SELECT COUNT(*) AS n`, and with `exact` beside it the count of the rows whose column equals
 * its value exactly (`e`): where they differ, the filters matched some rows only loosely.
 *
 * @since 0.1.0
 * @category combinators
 */
export const count = (
  sql: Sql,
  table: string,
  where: Where,
  exact?: ExactMatch
): Statement.Statement<{ readonly n: unknown; readonly e?: unknown }> =>
  exact === undefined
    ? sql`SELECT ${countOf(sql, "*")} AS n FROM ${sql(table)} WHERE ${whereSql(sql, where)}`
    : sql`SELECT ${countOf(sql, "*")} AS n, ${
      countOf(sql, sql`CASE WHEN ${exactSql(sql, exact)} THEN 1 END`)
    } AS e FROM ${sql(table)} WHERE ${whereSql(sql, where)}`

/**
 * A multi-row `INSERT`. Callers keep `rows.length * columns` under the dialect's parameter limit
 * (see `chunk`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const insert = (sql: Sql, table: string, rows: ReadonlyArray<Row>): Statement.Statement<Row> =>
  sql<Row>`INSERT INTO ${sql(table)} ${sql.insert(rows as ReadonlyArray<Record<string, unknown>>)}`

/**
 * A column and the type a value is cast to on its way into it, as PostgreSQL's catalog spells it
 * (`format_type`): the column's type without its length or precision (`character varying`, not
 * `character varying(200)`), a domain's base type, `bit varying` for `bit` and `bpchar` for
 * `character` (which `format_type` spells as if it were `character(1)`). The `INSERT` then applies
 * the column's own length, precision and domain checks as it does to a bound parameter: an
 * explicit cast to `varchar(200)` would cut longer text without a word, and one to `bit` or
 * `character` would keep one bit or character.
 *
 * @since 0.1.0
 * @category models
 */
export interface TypedColumn {
  readonly name: string
  readonly type: string
}

/**
 * The types of a table's columns (PostgreSQL's catalog, `TypedColumn`); no rows if the table does
 * not exist.
 *
 * @since 0.1.0
 * @category combinators
 */
export const columnTypes = (sql: Sql, table: string): Statement.Statement<TypedColumn> =>
  sql<TypedColumn>`SELECT a.attname AS name, CASE b.oid WHEN 'bit'::regtype THEN 'bit varying'
  WHEN '_bit'::regtype THEN 'bit varying[]' WHEN 'bpchar'::regtype THEN 'bpchar' WHEN '_bpchar'::regtype THEN 'bpchar[]'
  ELSE format_type(b.oid, NULL) END AS type
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
WHERE a.attrelid = to_regclass(${regclass(table)}) AND a.attnum > 0 AND NOT a.attisdropped`

/**
 * `INSERT ... RETURNING columns` of one row: the row as stored (PostgreSQL, MariaDB 10.5 and later).
 *
 * @since 0.1.0
 * @category combinators
 */
export const insertReturning = (
  sql: Sql,
  table: string,
  row: Row,
  columns: ReadonlyArray<string>
): Statement.Statement<Row> =>
  sql<Row>`INSERT INTO ${sql(table)} ${sql.insert(row as Record<string, unknown>)} RETURNING ${
    columnList(sql, columns)
  }`

/**
 * What a column holds, as far as a filter value must match it: `other` for the types a filter
 * value is not checked against (JSON, arrays, times of day, binary).
 *
 * @since 0.1.0
 * @category models
 */
export type ColumnKind = "date" | "number" | "string" | "boolean" | "other"

/**
 * A column as the catalog describes it (`columnKinds`): its name, its kind and, on PostgreSQL, the
 * width in bits of an integer column (`SMALLINT`, `INTEGER`, `BIGINT`, or a domain over one), the
 * one dialect that refuses to compare such a column with a fractional or out-of-range number
 * (the others compare the values as numbers).
 *
 * @since 0.1.0
 * @category models
 */
export interface CatalogColumn {
  readonly name: string
  readonly kind: ColumnKind
  readonly bits?: number | null
}

/**
 * A table's columns and their kinds (`CatalogColumn`), from the catalog of each dialect: on
 * PostgreSQL the table the statements' own name resolves to (`to_regclass`, the search path); on
 * MySQL/MariaDB the current database's (`BOOLEAN` is a `TINYINT(1)` there, by convention a
 * boolean, as the other dialects' booleans); on SQL Server the current schema's. No rows if the
 * table does not exist.
 *
 * @since 0.1.0
 * @category combinators
 */
export const columnKinds = (
  sql: Sql,
  table: string
): Statement.Statement<CatalogColumn> =>
  sql.onDialectOrElse({
    pg: () =>
      sql<CatalogColumn>`SELECT a.attname AS name, CASE
          WHEN a.atttypid IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) THEN 'date'
          WHEN t.typcategory = 'N' THEN 'number' WHEN t.typcategory = 'S' THEN 'string'
          WHEN t.typcategory = 'B' THEN 'boolean' ELSE 'other' END AS kind,
          CASE COALESCE(NULLIF(t.typbasetype, 0), t.oid) WHEN 'int2'::regtype THEN 16
            WHEN 'int4'::regtype THEN 32 WHEN 'int8'::regtype THEN 64 END AS bits
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = to_regclass(${regclass(table)}) AND a.attnum > 0 AND NOT a.attisdropped`,
    mssql: () =>
      sql<CatalogColumn>`SELECT COLUMN_NAME AS name, CASE
          WHEN DATA_TYPE IN ('date', 'datetime', 'datetime2', 'datetimeoffset', 'smalldatetime') THEN 'date'
          WHEN DATA_TYPE IN ('tinyint', 'smallint', 'int', 'bigint', 'decimal', 'numeric', 'float', 'real', 'money', 'smallmoney') THEN 'number'
          WHEN DATA_TYPE IN ('char', 'varchar', 'nchar', 'nvarchar', 'text', 'ntext') THEN 'string'
          WHEN DATA_TYPE = 'bit' THEN 'boolean' ELSE 'other' END AS kind
        FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = SCHEMA_NAME() AND TABLE_NAME = ${table}`,
    orElse: () =>
      sql<CatalogColumn>`SELECT COLUMN_NAME AS name, CASE
          WHEN DATA_TYPE IN ('date', 'datetime', 'timestamp') THEN 'date'
          WHEN COLUMN_TYPE = 'tinyint(1)' THEN 'boolean'
          WHEN DATA_TYPE IN ('tinyint', 'smallint', 'mediumint', 'int', 'bigint', 'decimal', 'float', 'double') THEN 'number'
          WHEN DATA_TYPE IN ('char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set') THEN 'string'
          ELSE 'other' END AS kind
        FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${table}`
  })

/**
 * A multi-row `INSERT` on PostgreSQL whose rows travel as one JSON parameter: an array of
 * objects holding each value as the text its parameter would be sent as (or null), turned back
 * into rows by `json_to_recordset` and cast to the column types (`TypedColumn`), so every value
 * goes through its type's input function and its column's checks as a bound parameter would. One
 * parameter instead of one per value is parsed, bound and planned much faster, and has no
 * parameter limit.
 *
 * @since 0.1.0
 * @category combinators
 */
export const insertRecordset = (
  sql: Sql,
  table: string,
  columns: ReadonlyArray<TypedColumn>,
  json: string
): Statement.Statement<Row> =>
  sql<Row>`INSERT INTO ${sql(table)} (${columnList(sql, columns.map((c) => c.name))}) SELECT ${
    sql.csv(columns.map((c) => sql`x.${sql(c.name)}::${sql.unsafe(c.type)}`))
  } FROM json_to_recordset(${json}::json) AS x(${sql.csv(columns.map((c) => sql`${sql(c.name)} text`))})`

/**
 * `UPDATE table SET ... WHERE ...`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const update = (
  sql: Sql,
  table: string,
  set: Row,
  where: Where,
  returning?: ReadonlyArray<string>
): Statement.Statement<Row> =>
  sql<Row>`UPDATE ${sql(table)} SET ${
    sql.csv(Object.entries(set).map(([column, value]) => sql`${sql(column)} = ${value}`))
  } WHERE ${whereSql(sql, where)}${returning === undefined ? sql`` : sql` RETURNING ${columnList(sql, returning)}`}`

/**
 * `DELETE FROM table WHERE ...`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const remove = (sql: Sql, table: string, where: Where): Statement.Statement<Row> =>
  sql<Row>`DELETE FROM ${sql(table)} WHERE ${whereSql(sql, where)}`

/**
 * Insert or update on a conflict of the `on` columns: `ON CONFLICT ... DO UPDATE` (PostgreSQL),
 * `ON DUPLICATE KEY UPDATE` (MySQL/MariaDB), `MERGE ... WITH (HOLDLOCK)` (SQL Server). The
 * `updates` columns take the new values; the others keep theirs.
 *
 * @since 0.1.0
 * @category combinators
 */
export const upsert = (
  sql: Sql,
  table: string,
  row: Row,
  on: ReadonlyArray<string>,
  updates: ReadonlyArray<string>
): Statement.Statement<Row> => {
  const columns = Object.keys(row)
  const changed = updates.length > 0 ? updates : on
  return sql.onDialectOrElse({
    pg: () =>
      sql<Row>`INSERT INTO ${sql(table)} ${sql.insert(row)} ON CONFLICT (${columnList(sql, on)}) DO UPDATE SET ${
        sql.csv(changed.map((c) => sql`${sql(c)} = EXCLUDED.${sql(c)}`))
      }`,
    mssql: () =>
      sql<Row>`MERGE INTO ${sql(table)} WITH (HOLDLOCK) AS target USING (VALUES (${
        sql.csv(columns.map((c) => sql`${row[c]}`))
      })) AS source (${columnList(sql, columns)}) ON ${
        sql.and(on.map((c) => sql`target.${sql(c)} = source.${sql(c)}`))
      } WHEN MATCHED THEN UPDATE SET ${
        sql.csv(changed.map((c) => sql`target.${sql(c)} = source.${sql(c)}`))
      } WHEN NOT MATCHED THEN INSERT (${columnList(sql, columns)}) VALUES (${
        sql.csv(columns.map((c) => sql`source.${sql(c)}`))
      });`,
    orElse: () =>
      sql<Row>`INSERT INTO ${sql(table)} ${sql.insert(row)} ON DUPLICATE KEY UPDATE ${
        sql.csv(changed.map((c) => sql`${sql(c)} = VALUES(${sql(c)})`))
      }`
  })
}

/**
 * The planner's row estimate (PostgreSQL); `undefined` on dialects that keep none. A table under
 * row-level security answers -1 (no estimate, so the rows are counted): the estimate is of every
 * row, and would tell a tenant how many rows the others hold.
 *
 * @since 0.1.0
 * @category combinators
 */
export const estimate = (sql: Sql, table: string): Statement.Statement<{ readonly n: unknown }> | undefined =>
  sql.onDialectOrElse({
    pg: () =>
      sql<{ readonly n: unknown }>`SELECT CASE WHEN relrowsecurity THEN -1 ELSE reltuples::bigint END AS n
        FROM pg_class WHERE oid = to_regclass(${regclass(table)})`,
    orElse: () => undefined
  })

/**
 * Splits rows so that no statement carries more than `maxParams` bound parameters.
 *
 * @since 0.1.0
 * @category combinators
 */
export const chunk = <A>(
  rows: ReadonlyArray<A>,
  columns: number,
  maxParams: number
): ReadonlyArray<ReadonlyArray<A>> => {
  const size = Math.max(1, Math.floor(maxParams / Math.max(1, columns)))
  const chunks: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < rows.length; i += size) chunks.push(rows.slice(i, i + size))
  return chunks
}

/** What one bound value adds to a statement, at most: its bytes and its framing on the wire. */
const valueBytes = (value: unknown, exact: boolean): number =>
  16 + (
    typeof value === "string"
      ? exact ? Buffer.byteLength(value) : value.length * 3
      : value instanceof Uint8Array
      ? value.byteLength
      : value !== null && typeof value === "object" && !(value instanceof Date)
      ? (exact ? Buffer.byteLength(JSON.stringify(value) ?? "") : (JSON.stringify(value) ?? "").length * 3)
      : 8
  )

const rowBytes = (row: Readonly<Record<string, unknown>>, exact: boolean): number => {
  let bytes = 0
  for (const key in row) bytes += valueBytes(row[key], exact)
  return bytes
}

/**
 * Splits rows so that no statement carries more than about `maxBytes` of values, a row that is
 * larger alone in its own. MySQL refuses a statement larger than its `max_allowed_packet`; on
 * every dialect the bound keeps what one statement holds in memory small. Rows are measured by
 * an upper bound first (three bytes a UTF-16 unit), and exactly only when that bound is over.
 *
 * @since 0.1.0
 * @category combinators
 */
export const splitBySize = <R extends Readonly<Record<string, unknown>>>(
  rows: ReadonlyArray<R>,
  maxBytes: number
): ReadonlyArray<ReadonlyArray<R>> => {
  let bound = 0
  for (const row of rows) bound += rowBytes(row, false)
  if (bound <= maxBytes || rows.length <= 1) return [rows]
  const parts: Array<ReadonlyArray<R>> = []
  let start = 0
  let size = 0
  for (let i = 0; i < rows.length; i++) {
    const bytes = rowBytes(rows[i]!, true)
    if (i > start && size + bytes > maxBytes) {
      parts.push(rows.slice(start, i))
      start = i
      size = 0
    }
    size += bytes
  }
  parts.push(rows.slice(start))
  return parts
}
