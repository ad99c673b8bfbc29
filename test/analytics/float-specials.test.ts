/**
 * NaN and the infinities in a floating-point column, on the backends that keep them (PostgreSQL,
 * PGlite and memory; MySQL/MariaDB and SQL Server store none): table-query filters and sorts and
 * analytics groups and minimums answer alike, in PostgreSQL's order, where NaN equals NaN and is
 * above every other number, infinity included.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AccessPolicyLayer from "../../src/layers/AccessPolicy.js"
import { AnalyticsLive, AnalyticsTest } from "../../src/layers/Analytics.js"
import * as Embedded from "../../src/layers/Embedded.js"
import type { Row } from "../../src/layers/Query.js"
import type { SqlBackend } from "../../src/layers/Sql.js"
import { layerPg } from "../../src/layers/Sql.js"
import { TableQueryLive, TableQueryTest } from "../../src/layers/TableQuery.js"
import type { Filter } from "../../src/schemas/Query.js"
import { Analytics } from "../../src/services/Analytics.js"
import { TableQuery } from "../../src/services/TableQuery.js"
import { describeLive, pgOptions, uniqueName } from "../support/services.js"

const rows: ReadonlyArray<Row> = [
  { id: 1, d: Number.NaN },
  { id: 2, d: Number.POSITIVE_INFINITY },
  { id: 3, d: Number.NEGATIVE_INFINITY },
  { id: 4, d: null },
  { id: 5, d: 1 },
  { id: 6, d: Number.NaN }
]

/** The checks, over a table `table` holding `rows`, with the DAOs in context. */
const checks = (table: string) =>
  Effect.gen(function*() {
    const tableQuery = yield* TableQuery
    const analytics = yield* Analytics
    const ids = (filters: ReadonlyArray<Filter>) =>
      Effect.map(
        tableQuery.query({ table, columns: ["id"], filters, sort: [{ field: "id" }] }),
        (found) => found.map((row) => row["id"])
      )
    // Memory compared nothing with a stored NaN: `ne 1` and `gt 1e308` left it out.
    expect(yield* ids([{ field: "d", op: "ne", value: 1 }])).toEqual([1, 2, 3, 6])
    expect(yield* ids([{ field: "d", op: "gt", value: 1e308 }])).toEqual([1, 2, 6])
    expect(yield* ids([{ field: "d", op: "lt", value: 0 }])).toEqual([3])
    expect(yield* ids([{ field: "d", op: "between", from: 0, to: 2 }])).toEqual([5])
    const sorted = yield* tableQuery.query({ table, columns: ["id"], sort: [{ field: "d" }, { field: "id" }] })
    expect(sorted.map((row) => row["id"])).toEqual([3, 5, 2, 1, 6, 4])
    // Memory put NaN, both infinities and NULL in one group (JSON writes each as null).
    const groups = yield* analytics.metrics({
      table,
      metrics: { id: "count" },
      dimensions: ["d"],
      sort: [{ field: "d" }]
    })
    expect(groups.map((group) => [group.dimensions["d"], group.count])).toEqual([
      [Number.NEGATIVE_INFINITY, 1],
      [1, 1],
      [Number.POSITIVE_INFINITY, 1],
      [Number.NaN, 2],
      [null, 1]
    ])
    const page = yield* analytics.metricsPage({ table, metrics: { id: "count" }, dimensions: ["d"], page: 1 })
    expect(page.total).toBe(5)
    // NaN is the greatest: the least is -Infinity (memory's Math.min said NaN), the greatest NaN.
    const [extremes] = yield* analytics.metrics({ table, metrics: { d: "min" } })
    expect(extremes?.metrics["d"]).toBe(Number.NEGATIVE_INFINITY)
    const [greatest] = yield* analytics.metrics({ table, metrics: { d: "max" } })
    expect(greatest?.metrics["d"]).toBeNaN()
    expect(yield* analytics.count({ table, filters: [{ field: "d", op: "gte", value: 1 }] })).toBe(4)
  })

const policyFor = (table: string) =>
  AccessPolicyLayer.layer({ [table]: { readable: ["id", "d"], filterable: ["d"], sortable: ["id", "d"] } })

describe("NaN and the infinities (memory)", () => {
  it.effect("filters, sorts, groups and minimums in PostgreSQL's order", () => {
    const table = "specials"
    const tables = new Map([[table, rows]])
    return checks(table).pipe(
      Effect.provide(
        Layer.mergeAll(TableQueryTest(tables), AnalyticsTest(tables)).pipe(Layer.provide(policyFor(table)))
      )
    )
  })
})

/** The same checks over a table of a `DOUBLE PRECISION` column on a PostgreSQL layer. */
const onSql = (layer: Layer.Layer<SqlClient.SqlClient | SqlBackend, unknown>) => () =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const table = uniqueName("specials")
    yield* sql`CREATE TABLE ${sql(table)} (id INTEGER PRIMARY KEY, d DOUBLE PRECISION NULL)`
    yield* sql`INSERT INTO ${sql(table)} ${sql.insert(rows as Array<Record<string, unknown>>)}`
    yield* checks(table).pipe(
      Effect.provide(Layer.mergeAll(TableQueryLive, AnalyticsLive).pipe(Layer.provide(policyFor(table)))),
      Effect.ensuring(Effect.ignore(sql`DROP TABLE ${sql(table)}`))
    )
  }).pipe(Effect.provide(layer))

describe("NaN and the infinities (pglite)", () => {
  it.effect("filters, sorts, groups and minimums in PostgreSQL's order", onSql(Embedded.layer()), 60_000)
})

await describeLive("postgres", "NaN and the infinities (postgres)", () => {
  it.effect("filters, sorts, groups and minimums in PostgreSQL's order", onSql(layerPg(pgOptions)))
})
