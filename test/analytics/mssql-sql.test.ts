/**
 * The analytics SQL per dialect, compiled without a server: the one bucket expression of each
 * dialect, aggregations as fixed SQL over doubles, values bound, and SQL Server's ordered
 * `OFFSET ... FETCH` in place of `LIMIT`.
 */
import * as MssqlClient from "@effect/sql-mssql/MssqlClient"
import * as MysqlClient from "@effect/sql-mysql2/MysqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Statement from "@effect/sql/Statement"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as AnalyticsStatements from "../../src/layers/AnalyticsStatements.js"

const offline = (compiler: Statement.Compiler) =>
  Statement.make(Effect.dieMessage("compiled only"), compiler, [], undefined)

const mssql = offline(MssqlClient.makeCompiler())
const pg = offline(PgClient.makeCompiler())
const mysql = offline(MysqlClient.makeCompiler())

const hostile = "x' OR '1'='1"
const from = new Date("2026-01-01T00:00:00Z")

const bucketsPlan: AnalyticsStatements.TimeBucketsPlan = {
  table: "prices",
  timeColumn: "at",
  valueColumn: "price",
  aggregation: "avg",
  seconds: 3_600,
  where: {
    filters: [{ field: "region", op: "eq", value: hostile }, { field: "at", op: "gte", value: from }]
  }
}

const metricsPlan: AnalyticsStatements.MetricsPlan = {
  table: "trades",
  dimensions: ["region"],
  metrics: [{ column: "volume", aggregation: "sum" }, { column: "price", aggregation: "count" }],
  where: { filters: [{ field: "product", op: "eq", value: hostile }] },
  sort: [{ field: "m0", direction: "desc", nulls: "last" }, { field: "d0", direction: "asc", nulls: "last" }],
  limit: 10,
  offset: 20
}

describe("Analytics SQL (compiled)", () => {
  it("SQL Server buckets with DATEDIFF_BIG from the epoch; values and the width are bound", () => {
    const [text, params] = AnalyticsStatements.timeBuckets(mssql, bucketsPlan).compile()
    expect(text).toBe(
      "SELECT [bucket_index], AVG(CAST([agg_input] AS FLOAT)) AS [agg_value], COUNT_BIG(*) AS [row_count] FROM " +
        "(SELECT DATEDIFF_BIG(SECOND, '1970-01-01T00:00:00', [at]) / @1 AS [bucket_index], [price] AS [agg_input] " +
        "FROM [prices] WHERE ([region] = @2 AND [at] >= @3)) AS [b] GROUP BY [bucket_index] ORDER BY [bucket_index]"
    )
    expect(params).toEqual([3_600, hostile, from])
  })

  it("PostgreSQL takes the epoch of the time, MySQL/MariaDB count seconds with TIMESTAMPDIFF", () => {
    const [pgText] = AnalyticsStatements.timeBuckets(pg, bucketsPlan).compile()
    expect(pgText).toContain("CAST(FLOOR(EXTRACT(EPOCH FROM \"at\") / $1) AS BIGINT) AS \"bucket_index\"")
    expect(pgText).toContain("AVG(CAST(\"agg_input\" AS DOUBLE PRECISION))")
    const [myText] = AnalyticsStatements.timeBuckets(mysql, bucketsPlan).compile()
    expect(myText).toContain("TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', `at`) DIV ? AS `bucket_index`")
    expect(myText).toContain("AVG(CAST(`agg_input` AS DOUBLE))")
    expect(myText).not.toContain("UNIX_TIMESTAMP")
  })

  it("each aggregation is fixed SQL", () => {
    const compiled = (["avg", "sum", "min", "max", "count"] as const).map((aggregation) =>
      AnalyticsStatements.timeBuckets(pg, { ...bucketsPlan, aggregation }).compile()[0].split(" AS \"agg_value\"")[0]
    )
    expect(compiled).toEqual([
      "SELECT \"bucket_index\", AVG(CAST(\"agg_input\" AS DOUBLE PRECISION))",
      "SELECT \"bucket_index\", SUM(CAST(\"agg_input\" AS DOUBLE PRECISION))",
      "SELECT \"bucket_index\", MIN(CAST(\"agg_input\" AS DOUBLE PRECISION))",
      "SELECT \"bucket_index\", MAX(CAST(\"agg_input\" AS DOUBLE PRECISION))",
      "SELECT \"bucket_index\", COUNT(\"agg_input\")"
    ])
  })

  it("SQL Server orders grouped metrics with CASE keys for NULLs and pages with OFFSET ... FETCH", () => {
    const [text, params] = AnalyticsStatements.metrics(mssql, metricsPlan).compile()
    expect(text).toBe(
      "SELECT * FROM (SELECT [region] AS [d0], SUM(CAST([volume] AS FLOAT)) AS [m0], COUNT_BIG([price]) AS [m1], " +
        "COUNT_BIG(*) AS [row_count] FROM [trades] WHERE [product] = @1 GROUP BY [region]) AS [g] ORDER BY " +
        "CASE WHEN [m0] IS NULL THEN 1 ELSE 0 END, [m0] DESC, CASE WHEN [d0] IS NULL THEN 1 ELSE 0 END, [d0] ASC " +
        "OFFSET @2 ROWS FETCH NEXT @3 ROWS ONLY"
    )
    expect(params).toEqual([hostile, 20, 10])
    const [pgText] = AnalyticsStatements.metrics(pg, metricsPlan).compile()
    expect(pgText).toMatch(/ORDER BY "m0" DESC NULLS LAST, "d0" ASC NULLS LAST LIMIT \$2 OFFSET \$3$/)
  })

  it("a sort key on a column an earlier key sorts by is left out (SQL Server refuses a column twice)", () => {
    const repeated = {
      ...metricsPlan,
      sort: [
        { field: "m0", direction: "desc", nulls: "last" },
        { field: "d0", direction: "asc", nulls: "last" },
        { field: "m0", direction: "asc", nulls: "first" }
      ]
    } as const
    expect(AnalyticsStatements.metrics(mssql, repeated).compile()).toEqual(
      AnalyticsStatements.metrics(mssql, metricsPlan).compile()
    )
  })

  it("groups are counted over a grouped derived table", () => {
    const [text, params] = AnalyticsStatements.groupCount(mssql, metricsPlan).compile()
    expect(text).toBe(
      "SELECT COUNT_BIG(*) AS [n] FROM (SELECT 1 AS [one] FROM [trades] WHERE [product] = @1 GROUP BY [region]) AS [g]"
    )
    expect(params).toEqual([hostile])
  })

  it("without dimensions there is no GROUP BY, order or limit: one row", () => {
    const [text] = AnalyticsStatements.metrics(mssql, { ...metricsPlan, dimensions: [], sort: [] }).compile()
    expect(text).toBe(
      "SELECT * FROM (SELECT SUM(CAST([volume] AS FLOAT)) AS [m0], COUNT_BIG([price]) AS [m1], COUNT_BIG(*) AS [row_count] " +
        "FROM [trades] WHERE [product] = @1) AS [g]"
    )
  })
})
