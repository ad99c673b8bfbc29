/**
 * The SQL of the analytics DAO, as pure functions of a `sql` constructor, so that each dialect's
 * text can be compiled and checked without a server. The two places where dialects differ, the
 * bucket of a time and the floating-point type aggregations are computed in, are written once
 * each, with `sql.onDialectOrElse`.
 *
 * Table and column names reaching these functions have passed the access policy; aggregations
 * are a closed union mapped to fixed SQL; every value is a bound parameter.
 *
 * @since 0.1.0
 */
import type * as Statement from "@effect/sql/Statement"
import type { Aggregation } from "../schemas/Analytics.js"
import type { Sort } from "../schemas/Query.js"
import type { Row, Where } from "./Query.js"
import { orderSql, whereSql } from "./Query.js"
import { countOf } from "./Statements.js"

type Sql = Statement.Constructor
type Fragment = Statement.Fragment

/**
 * The bucket index of a time column: whole seconds since the Unix epoch divided by the width,
 * rounded down. Times are read as UTC on every backend without depending on a session time zone:
 * PostgreSQL takes the epoch of a `TIMESTAMPTZ` (or of a `TIMESTAMP` as a UTC wall time), MySQL
 * and MariaDB count seconds from `'1970-01-01 00:00:00'` with `TIMESTAMPDIFF` (a `DATETIME` holds
 * the UTC wall time the mysql2 layer writes; `UNIX_TIMESTAMP` would read it in the session zone),
 * SQL Server counts them with `DATEDIFF_BIG`. Times are never before the epoch (the request
 * schema refuses such a `from`), so integer division rounds down.
 *
 * @since 0.1.0
 * @category combinators
 */
export const bucketIndexSql = (sql: Sql, column: string, seconds: number): Fragment =>
  sql.onDialectOrElse({
    pg: () => sql`CAST(FLOOR(EXTRACT(EPOCH FROM ${sql(column)}) / ${seconds}) AS BIGINT)`,
    mssql: () => sql`DATEDIFF_BIG(SECOND, '1970-01-01T00:00:00', ${sql(column)}) / ${seconds}`,
    orElse: () => sql`TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', ${sql(column)}) DIV ${seconds}`
  })

/** IEEE double on each dialect (SQL Server's FLOAT is FLOAT(53)). */
const doubleType = (sql: Sql): Fragment =>
  sql.literal(sql.onDialectOrElse({ pg: () => "DOUBLE PRECISION", mssql: () => "FLOAT", orElse: () => "DOUBLE" }))

/**
 * An aggregation as fixed SQL. `avg`, `sum`, `min` and `max` are computed on the value cast to
 * a double, so that every backend gives the same number (MySQL's decimal `AVG` keeps four
 * digits, SQL Server's integer `AVG` truncates); `count` counts the non-null values.
 *
 * @since 0.1.0
 * @category combinators
 */
export const aggregateSql = (sql: Sql, aggregation: Aggregation, value: Fragment): Fragment => {
  const double = sql`CAST(${value} AS ${doubleType(sql)})`
  switch (aggregation) {
    case "avg":
      return sql`AVG(${double})`
    case "sum":
      return sql`SUM(${double})`
    case "min":
      return sql`MIN(${double})`
    case "max":
      return sql`MAX(${double})`
    case "count":
      return countOf(sql, value)
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TimeBucketsPlan {
  readonly table: string
  readonly timeColumn: string
  readonly valueColumn: string
  readonly aggregation: Aggregation
  /** The bucket width in seconds. */
  readonly seconds: number
  /** The caller's filters and the time range. */
  readonly where: Where
}

/**
 * One row per bucket that has rows, ordered by bucket: `bucket_index`, `agg_value`, `row_count`.
 * The index is computed in a derived table so that GROUP BY names a column, not an expression
 * with parameters (which PostgreSQL and SQL Server would not match with the SELECT list).
 *
 * @since 0.1.0
 * @category combinators
 */
export const timeBuckets = (sql: Sql, plan: TimeBucketsPlan): Statement.Statement<Row> => {
  const index = sql("bucket_index")
  const input = sql`${sql("agg_input")}`
  return sql<Row>`SELECT ${index}, ${aggregateSql(sql, plan.aggregation, input)} AS ${sql("agg_value")}, ${
    countOf(sql, "*")
  } AS ${sql("row_count")} FROM (SELECT ${bucketIndexSql(sql, plan.timeColumn, plan.seconds)} AS ${index}, ${
    sql(plan.valueColumn)
  } AS ${input} FROM ${sql(plan.table)} WHERE ${whereSql(sql, plan.where)}) AS ${
    sql("b")
  } GROUP BY ${index} ORDER BY ${index}`
}

/**
 * A metric: a column and its aggregation.
 *
 * @since 0.1.0
 * @category models
 */
export interface Metric {
  readonly column: string
  readonly aggregation: Aggregation
}

/**
 * @since 0.1.0
 * @category models
 */
export interface MetricsPlan {
  readonly table: string
  readonly dimensions: ReadonlyArray<string>
  readonly metrics: ReadonlyArray<Metric>
  readonly where: Where
  /** On the aliases (`dimensionAlias`, `metricAlias`); empty when there are no dimensions. */
  readonly sort: ReadonlyArray<Sort>
  readonly limit: number
  readonly offset: number
}

/**
 * The column alias of the i-th dimension.
 *
 * @since 0.1.0
 * @category models
 */
export const dimensionAlias = (i: number): string => `d${i}`

/**
 * The column alias of the i-th metric.
 *
 * @since 0.1.0
 * @category models
 */
export const metricAlias = (i: number): string => `m${i}`

const groupBySql = (sql: Sql, dimensions: ReadonlyArray<string>): Fragment =>
  dimensions.length === 0 ? sql`` : sql` GROUP BY ${sql.csv(dimensions.map((column) => sql`${sql(column)}`))}`

/**
 * One row per group: dimensions as `d0, d1, ...`, metrics as `m0, m1, ...`, and `row_count`.
 * The grouped rows are a derived table so that the order (NULL placement included, which needs
 * expressions outside PostgreSQL) is on plain columns. With no dimensions there is one row.
 *
 * @since 0.1.0
 * @category combinators
 */
export const metrics = (sql: Sql, plan: MetricsPlan): Statement.Statement<Row> => {
  const dimensions = plan.dimensions.map((column, i) => sql`${sql(column)} AS ${sql(dimensionAlias(i))}`)
  const aggregates = plan.metrics.map((metric, i) =>
    sql`${aggregateSql(sql, metric.aggregation, sql`${sql(metric.column)}`)} AS ${sql(metricAlias(i))}`
  )
  const groupBy = groupBySql(sql, plan.dimensions)
  const grouped = sql`SELECT ${
    sql.csv([...dimensions, ...aggregates, sql`${countOf(sql, "*")} AS ${sql("row_count")}`])
  } FROM ${sql(plan.table)} WHERE ${whereSql(sql, plan.where)}${groupBy}`
  if (plan.sort.length === 0) return sql<Row>`SELECT * FROM (${grouped}) AS ${sql("g")}`
  const limit = sql.onDialectOrElse({
    mssql: () => sql`OFFSET ${plan.offset} ROWS FETCH NEXT ${plan.limit} ROWS ONLY`,
    orElse: () => sql`LIMIT ${plan.limit} OFFSET ${plan.offset}`
  })
  return sql<Row>`SELECT * FROM (${grouped}) AS ${sql("g")} ORDER BY ${orderSql(sql, plan.sort)} ${limit}`
}

/**
 * How many groups the dimensions make over the filtered rows: `SELECT COUNT(*) AS n`. Only
 * meaningful with at least one dimension (without, there is one group and this counts rows).
 *
 * @since 0.1.0
 * @category combinators
 */
export const groupCount = (
  sql: Sql,
  plan: Pick<MetricsPlan, "table" | "dimensions" | "where">
): Statement.Statement<{ readonly n: unknown }> =>
  sql`SELECT ${countOf(sql, "*")} AS ${sql("n")} FROM (SELECT 1 AS ${sql("one")} FROM ${sql(plan.table)} WHERE ${
    whereSql(sql, plan.where)
  }${groupBySql(sql, plan.dimensions)}) AS ${sql("g")}`
