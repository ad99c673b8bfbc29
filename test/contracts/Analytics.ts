/**
 * The Analytics contract: time buckets, grouped metrics and counts over a table of known rows,
 * the same numbers on every backend, and every bad request refused with a typed error before any
 * SQL runs.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AccessPolicyLayer from "../../src/layers/AccessPolicy.js"
import { AnalyticsLive, AnalyticsTest } from "../../src/layers/Analytics.js"
import type { Row } from "../../src/layers/Query.js"
import type { SqlBackend } from "../../src/layers/Sql.js"
import { columnTypes } from "../../src/migrations/ColumnTypes.js"
import type { MetricsInput, TimeBucketsInput } from "../../src/schemas/Analytics.js"
import type { Filter } from "../../src/schemas/Query.js"
import type { AccessPolicy } from "../../src/services/AccessPolicy.js"
import type { AnalyticsError } from "../../src/services/Analytics.js"
import { Analytics } from "../../src/services/Analytics.js"
import { makeRecording } from "../support/recording.js"
import { uniqueName } from "../support/services.js"
import { inZone } from "../support/zone.js"

/** Creates and drops the seeded table, and gives the Analytics layer over the backend. */
export class AnalyticsFixture extends Context.Tag("test/AnalyticsFixture")<AnalyticsFixture, {
  readonly seed: (table: string, rows: ReadonlyArray<Row>) => Effect.Effect<void, unknown>
  readonly drop: (table: string) => Effect.Effect<void, unknown>
  readonly analytics: Layer.Layer<Analytics, never, AccessPolicy>
  /**
   * Runs `effect` on one connection whose session time zone is +05:30 (PostgreSQL, MySQL/MariaDB),
   * failing unless the session really is in it; as is elsewhere.
   */
  readonly inSessionZone: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, unknown, R>
}>() {}

/**
 * The table on SQL: a `TIMESTAMPTZ` on PostgreSQL, a `DATETIME(3)` on MySQL/MariaDB, a
 * `DATETIME2(3)` on SQL Server; prices as `DECIMAL` (strings from node-postgres and mysql2).
 */
export const sqlFixture: Layer.Layer<AnalyticsFixture, never, SqlClient.SqlClient | SqlBackend> = Layer.effect(
  AnalyticsFixture,
  Effect.gen(function*() {
    const context = yield* Effect.context<SqlClient.SqlClient | SqlBackend>()
    const types = yield* columnTypes
    const { sql, time } = types
    const text = types.text(64)
    const binary = sql.literal(sql.onDialectOrElse({ pg: () => "BYTEA", orElse: () => "VARBINARY(16)" }))
    return {
      seed: (table, rows) =>
        Effect.gen(function*() {
          yield* sql`CREATE TABLE ${sql(table)} (
            id INTEGER NOT NULL PRIMARY KEY, at ${time} NOT NULL, region ${text} NULL, product ${text} NULL,
            price DECIMAL(10, 2) NULL, qty INTEGER NULL, secret ${text} NULL, bin ${binary} NULL, flag ${types.flag} NULL)`
          // Prices as decimal text: tedious binds every JS number as INT, which would cut 10.5 to 10.
          const decimals = rows.map((row) => ({
            ...row,
            price: typeof row["price"] === "number" ? row["price"].toFixed(2) : row["price"]
          }))
          yield* sql`INSERT INTO ${sql(table)} ${sql.insert(decimals)}`
        }),
      drop: (table) => sql`DROP TABLE ${sql(table)}`.pipe(Effect.asVoid),
      analytics: AnalyticsLive.pipe(Layer.provide(Layer.succeedContext(context))),
      inSessionZone: <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, unknown, R> => {
        const shifted = (zone: Effect.Effect<ReadonlyArray<Row>, unknown>) =>
          Effect.flatMap(zone, (rows) =>
            ["+05:30", "<+05:30>-05:30"].includes(String(rows[0]?.["zone"]))
              ? Effect.void
              : Effect.dieMessage(`session time zone not shifted: ${String(rows[0]?.["zone"])}`))
        return sql.onDialectOrElse({
          pg: () =>
            sql.withTransaction(
              sql`SET LOCAL TIME ZONE INTERVAL '+05:30' HOUR TO MINUTE`.pipe(
                Effect.zipRight(shifted(sql`SELECT current_setting('TimeZone') AS zone`)),
                Effect.zipRight(effect)
              )
            ),
          mysql: () =>
            sql.withTransaction(
              sql`SET time_zone = '+05:30'`.pipe(
                Effect.zipRight(shifted(sql`SELECT @@session.time_zone AS zone`)),
                Effect.zipRight(effect),
                Effect.ensuring(Effect.ignore(sql`SET time_zone = DEFAULT`))
              )
            ),
          orElse: () => effect
        })
      }
    }
  })
)

export const memoryFixture: Layer.Layer<AnalyticsFixture> = Layer.sync(AnalyticsFixture, () => {
  const tables = new Map<string, ReadonlyArray<Row>>()
  return {
    seed: (table, rows) => Effect.sync(() => void tables.set(table, rows)),
    drop: (table) => Effect.sync(() => void tables.delete(table)),
    analytics: AnalyticsTest(tables),
    inSessionZone: (effect) => effect
  }
})

const at = (iso: string) => new Date(iso)
const hostile = "x' OR '1'='1"

export const rows: ReadonlyArray<Row> = [
  { id: 1, at: at("2026-01-01T00:05:00Z"), region: "eu", product: "coal", price: 10.5, qty: 3, secret: "s" },
  { id: 2, at: at("2026-01-01T00:20:00Z"), region: "eu", product: "gas", price: 20.25, qty: 1, secret: "s" },
  { id: 3, at: at("2026-01-01T00:59:59Z"), region: "us", product: "coal", price: null, qty: 5, secret: "s" },
  { id: 4, at: at("2026-01-01T01:00:00Z"), region: "us", product: "gas", price: 30, qty: 2, secret: "s" },
  { id: 5, at: at("2026-01-01T01:30:00Z"), region: "eu", product: "coal", price: 15.75, qty: null, secret: "s" },
  { id: 6, at: at("2026-01-01T03:10:00Z"), region: "us", product: "coal", price: 40, qty: 4, secret: "s" },
  { id: 7, at: at("2025-12-31T23:59:59Z"), region: "eu", product: "coal", price: 99, qty: 9, secret: "s" },
  { id: 8, at: at("2026-01-01T05:00:00Z"), region: "eu", product: "gas", price: 50, qty: 1, secret: "s" },
  { id: 9, at: at("2026-01-01T02:15:00Z"), region: "eu", product: hostile, price: null, qty: 1, secret: "s" }
]

/**
 * The policy of a test table: `secret` is not readable, `id` neither filterable nor sortable. Its
 * `_missing` twin is allowed but never created.
 */
const policyFor = (table: string) => {
  const rules = {
    readable: ["id", "at", "region", "product", "price", "qty", "bin", "flag"],
    filterable: ["at", "region", "product", "price", "qty", "flag"],
    sortable: ["region", "product", "price", "qty"]
  }
  return AccessPolicyLayer.layer({ [table]: rules, [`${table}_missing`]: rules })
}

/** Runs `body` against a freshly seeded table, dropped afterwards. */
export const withTable = <X, E>(body: (table: string) => Effect.Effect<X, E, Analytics>) =>
  Effect.gen(function*() {
    const fixture = yield* AnalyticsFixture
    const table = uniqueName("analytics")
    yield* fixture.seed(table, rows)
    return yield* body(table).pipe(
      Effect.provide(fixture.analytics.pipe(Layer.provide(policyFor(table)))),
      Effect.ensuring(Effect.ignore(fixture.drop(table)))
    )
  })

const iso = (
  buckets: ReadonlyArray<{ readonly bucket: Date; readonly value: number | null; readonly count: number }>
) => buckets.map((b) => [b.bucket.toISOString(), b.value, b.count])

/** The tag of a failure, with the reason of an AccessDenied. */
const refusal = <A, R>(effect: Effect.Effect<A, AnalyticsError, R>) =>
  Effect.map(Effect.flip(effect), (e) => e._tag === "AccessDenied" ? e.reason : e._tag)

/** Input as it may arrive from outside, unchecked by the compiler. */
const raw = <A>(input: unknown): A => input as A

export const suite = (name: string, fixtureLayer: Layer.Layer<AnalyticsFixture, unknown>): void => {
  layer(fixtureLayer, { timeout: "60 seconds", excludeTestServices: true })(name, (it) => {
    it.effect("hourly averages are aligned to UTC hours; NULLs are skipped; empty buckets omitted or filled", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const analytics = yield* Analytics
          const request = {
            table,
            timeColumn: "at",
            valueColumn: "price",
            aggregation: "avg",
            bucket: "1 hour",
            from: at("2026-01-01T00:00:00Z"),
            to: at("2026-01-01T05:00:00Z")
          } as const
          const omitted = yield* analytics.timeBuckets(request)
          expect(iso(omitted)).toEqual([
            ["2026-01-01T00:00:00.000Z", 15.375, 3],
            ["2026-01-01T01:00:00.000Z", 22.875, 2],
            ["2026-01-01T02:00:00.000Z", null, 1],
            ["2026-01-01T03:00:00.000Z", 40, 1]
          ])
          const filled = yield* analytics.timeBuckets({ ...request, emptyBuckets: "fill" })
          expect(iso(filled)).toEqual([...iso(omitted), ["2026-01-01T04:00:00.000Z", null, 0]])
          // From JSON: ISO strings and an upper-case unit.
          const fromJson = yield* analytics.timeBuckets({
            ...request,
            bucket: "1 HOUR",
            from: "2026-01-01T00:00:00Z",
            to: "2026-01-01T05:00:00.000Z"
          })
          expect(iso(fromJson)).toEqual(iso(omitted))
          // Text without an offset is UTC, as in filters, whatever the process's time zone (it was
          // read in that zone: 05:30 earlier in Kolkata).
          const unzoned = yield* inZone(
            "Asia/Kolkata",
            analytics.timeBuckets({ ...request, from: "2026-01-01T00:00:00", to: "2026-01-01 05:00" })
          )
          expect(iso(unzoned)).toEqual(iso(omitted))
          // Without `to` the range runs up to now: the same rows as up to a minute from now.
          const daily = { ...request, bucket: "1 day" } as const
          const { to: _, ...openEnded } = daily
          const untilNow = yield* analytics.timeBuckets(openEnded)
          expect(iso(untilNow)).toEqual(
            iso(yield* analytics.timeBuckets({ ...daily, to: new Date(Date.now() + 60_000) }))
          )
          expect(untilNow.length).toBeGreaterThan(0)
          const future = yield* Effect.flip(
            analytics.timeBuckets({ ...openEnded, from: new Date(Date.now() + 86_400_000) })
          )
          expect(future._tag === "ValidationError" && future.detail).toContain("must be after from")
        })
      ))

    it.effect("count, sum, min and max; filters; a range not aligned to the width", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const analytics = yield* Analytics
          const base = { table, timeColumn: "at", bucket: "1 hour" } as const
          const counted = yield* analytics.timeBuckets({
            ...base,
            valueColumn: "qty",
            aggregation: "count",
            from: "2026-01-01T00:00:00Z",
            to: "2026-01-01T05:00:00Z",
            emptyBuckets: "fill"
          })
          expect(iso(counted)).toEqual([
            ["2026-01-01T00:00:00.000Z", 3, 3],
            ["2026-01-01T01:00:00.000Z", 1, 2],
            ["2026-01-01T02:00:00.000Z", 1, 1],
            ["2026-01-01T03:00:00.000Z", 1, 1],
            ["2026-01-01T04:00:00.000Z", 0, 0]
          ])
          const europe = yield* analytics.timeBuckets({
            ...base,
            valueColumn: "qty",
            aggregation: "sum",
            from: "2026-01-01T00:00:00Z",
            to: "2026-01-01T05:00:00Z",
            filters: [{ field: "region", op: "eq", value: "eu" }]
          })
          expect(iso(europe)).toEqual([
            ["2026-01-01T00:00:00.000Z", 4, 2],
            ["2026-01-01T01:00:00.000Z", null, 1],
            ["2026-01-01T02:00:00.000Z", 1, 1]
          ])
          const day = { ...base, bucket: "1 day", valueColumn: "price", from: "2025-12-31T00:00:00Z" } as const
          const lows = yield* analytics.timeBuckets({ ...day, aggregation: "min", to: "2026-01-02T00:00:00Z" })
          const highs = yield* analytics.timeBuckets({ ...day, aggregation: "max", to: "2026-01-02T00:00:00Z" })
          expect(iso(lows)).toEqual([["2025-12-31T00:00:00.000Z", 99, 1], ["2026-01-01T00:00:00.000Z", 10.5, 8]])
          expect(iso(highs)).toEqual([["2025-12-31T00:00:00.000Z", 99, 1], ["2026-01-01T00:00:00.000Z", 50, 8]])
          // The first bucket starts at the hour, but holds only the rows from 00:30 on.
          const unaligned = yield* analytics.timeBuckets({
            ...base,
            valueColumn: "price",
            aggregation: "avg",
            from: "2026-01-01T00:30:00Z",
            to: "2026-01-01T02:00:00Z",
            emptyBuckets: "fill"
          })
          expect(iso(unaligned)).toEqual([
            ["2026-01-01T00:00:00.000Z", null, 1],
            ["2026-01-01T01:00:00.000Z", 22.875, 2]
          ])
          const quarters = yield* analytics.timeBuckets({
            ...base,
            bucket: "15 minutes",
            valueColumn: "id",
            aggregation: "count",
            from: "2026-01-01T00:00:00Z",
            to: "2026-01-01T01:00:00Z",
            emptyBuckets: "fill"
          })
          expect(iso(quarters)).toEqual([
            ["2026-01-01T00:00:00.000Z", 1, 1],
            ["2026-01-01T00:15:00.000Z", 1, 1],
            ["2026-01-01T00:30:00.000Z", 0, 0],
            ["2026-01-01T00:45:00.000Z", 1, 1]
          ])
        })
      ))

    it.effect("buckets do not move with the session time zone (DATETIME on MySQL/MariaDB, TIMESTAMPTZ on PostgreSQL)", () =>
      Effect.gen(function*() {
        const fixture = yield* AnalyticsFixture
        return yield* withTable((table) =>
          Effect.gen(function*() {
            const analytics = yield* Analytics
            const request = {
              table,
              timeColumn: "at",
              valueColumn: "price",
              aggregation: "max",
              from: "2025-12-31T00:00:00Z",
              to: "2026-01-01T04:00:00Z"
            } as const
            const days = yield* fixture.inSessionZone(analytics.timeBuckets({ ...request, bucket: "1 day" }))
            expect(iso(days)).toEqual([["2025-12-31T00:00:00.000Z", 99, 1], ["2026-01-01T00:00:00.000Z", 40, 7]])
            const hours = yield* fixture.inSessionZone(analytics.timeBuckets({ ...request, bucket: "1 hour" }))
            expect(iso(hours)).toEqual([
              ["2025-12-31T23:00:00.000Z", 99, 1],
              ["2026-01-01T00:00:00.000Z", 20.25, 3],
              ["2026-01-01T01:00:00.000Z", 30, 2],
              ["2026-01-01T02:00:00.000Z", null, 1],
              ["2026-01-01T03:00:00.000Z", 40, 1]
            ])
          })
        )
      }))

    it.effect("metrics are grouped by the dimensions, sorted and limited", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const analytics = yield* Analytics
          const byRegion = yield* analytics.metrics({
            table,
            metrics: { price: "sum", qty: "max" },
            dimensions: ["region"]
          })
          expect(byRegion).toEqual([
            { dimensions: { region: "eu" }, metrics: { price: 195.5, qty: 9 }, count: 6 },
            { dimensions: { region: "us" }, metrics: { price: 70, qty: 5 }, count: 3 }
          ])
          const top = yield* analytics.metrics({
            table,
            metrics: { price: "sum" },
            dimensions: ["region", "product"],
            sort: [{ field: "price", direction: "desc" }],
            limit: 3
          })
          expect(top.map((g) => [g.dimensions["region"], g.dimensions["product"], g.metrics["price"], g.count]))
            .toEqual([["eu", "coal", 125.25, 3], ["eu", "gas", 70.25, 2], ["us", "coal", 40, 2]])
          const nullsLast = yield* analytics.metrics({
            table,
            metrics: { price: "sum" },
            dimensions: ["product", "region"],
            sort: [{ field: "price" }]
          })
          expect(nullsLast.map((g) => g.metrics["price"])).toEqual([30, 40, 70.25, 125.25, null])
          const averages = yield* analytics.metrics({
            table,
            metrics: { price: "avg" },
            dimensions: ["region"],
            filters: [{ field: "product", op: "in", values: ["coal", "gas"] }],
            sort: [{ field: "region", direction: "desc" }]
          })
          expect(averages).toEqual([
            { dimensions: { region: "us" }, metrics: { price: 35 }, count: 3 },
            { dimensions: { region: "eu" }, metrics: { price: 39.1 }, count: 5 }
          ])
        })
      ))

    it.effect("without dimensions there is one group, even over no rows; values are bound, never SQL", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const analytics = yield* Analytics
          const all = yield* analytics.metrics({ table, metrics: { qty: "count", price: "min" } })
          expect(all).toEqual([{ dimensions: {}, metrics: { qty: 8, price: 10.5 }, count: 9 }])
          const none = yield* analytics.metrics({
            table,
            metrics: { qty: "count", price: "avg" },
            filters: [{ field: "region", op: "eq", value: "' OR 1=1 --" }]
          })
          expect(none).toEqual([{ dimensions: {}, metrics: { qty: 0, price: null }, count: 0 }])
          const quoted = yield* analytics.metrics({
            table,
            metrics: { qty: "sum" },
            dimensions: ["product"],
            filters: [{ field: "product", op: "eq", value: hostile }]
          })
          expect(quoted).toEqual([{ dimensions: { product: hostile }, metrics: { qty: 1 }, count: 1 }])
        })
      ))

    it.effect("metricsPage pages through the groups in order, with their total", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const analytics = yield* Analytics
          const request = { table, metrics: { qty: "sum" }, dimensions: ["region", "product"], perPage: 2 } as const
          const pages = yield* Effect.forEach([1, 2, 3, 4], (page) => analytics.metricsPage({ ...request, page }))
          expect(pages.map((p) => [p.total, p.page, p.perPage, p.pages])).toEqual([
            [5, 1, 2, 3],
            [5, 2, 2, 3],
            [5, 3, 2, 3],
            [5, 4, 2, 3]
          ])
          expect(
            pages.map((p) => p.items.map((g) => [g.dimensions["region"], g.dimensions["product"], g.metrics["qty"]]))
          )
            .toEqual([
              [["eu", "coal", 12], ["eu", "gas", 2]],
              [["eu", hostile, 1], ["us", "coal", 9]],
              [["us", "gas", 2]],
              []
            ])
          // From a query string.
          expect(yield* analytics.metricsPage({ ...request, page: "2", perPage: "2" })).toEqual(pages[1])
          const american = yield* analytics.metricsPage({
            ...request,
            filters: [{ field: "region", op: "eq", value: "us" }],
            sort: [{ field: "qty", direction: "desc" }]
          })
          expect(american.items.map((g) => g.dimensions["product"])).toEqual(["coal", "gas"])
          expect([american.total, american.pages]).toEqual([2, 1])
          const single = yield* analytics.metricsPage({ table, metrics: { qty: "sum" } })
          expect(single).toEqual({
            items: [{ dimensions: {}, metrics: { qty: 26 }, count: 9 }],
            total: 1,
            page: 1,
            perPage: 20,
            pages: 1
          })
          const beyond = yield* analytics.metricsPage({ table, metrics: { qty: "sum" }, page: 2 })
          expect([beyond.items, beyond.total]).toEqual([[], 1])
        })
      ))

    it.effect("count and pageCount for pagination", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const analytics = yield* Analytics
          const europe = [{ field: "region", op: "eq", value: "eu" }] as const
          expect(yield* analytics.count({ table })).toBe(9)
          expect(yield* analytics.count({ table, filters: europe })).toBe(6)
          expect(
            yield* analytics.count({
              table,
              filters: [{
                field: "at",
                op: "between",
                from: at("2026-01-01T00:05:00Z"),
                to: at("2026-01-01T01:00:00Z")
              }]
            })
          ).toBe(4)
          expect(yield* analytics.pageCount({ table, filters: europe, perPage: 4 })).toEqual({
            total: 6,
            perPage: 4,
            pages: 2
          })
          expect(
            yield* analytics.pageCount({ table, filters: [{ field: "region", op: "eq", value: "none" }], perPage: 4 })
          ).toEqual({ total: 0, perPage: 4, pages: 0 })
          // `qty` is an INTEGER: PostgreSQL failed on a number it cannot hold, the others compared.
          const counted = (filter: Filter) => analytics.count({ table, filters: [filter] })
          expect(yield* counted({ field: "qty", op: "gt", value: 2.5 })).toBe(4)
          expect(yield* counted({ field: "qty", op: "between", from: 0.5, to: 1.5 })).toBe(3)
          expect(yield* counted({ field: "qty", op: "ne", value: 2.5 })).toBe(8)
          expect(yield* counted({ field: "qty", op: "lt", value: 1e12 })).toBe(8)
          expect(yield* counted({ field: "qty", op: "in", values: [1, 1e12, 4.5] })).toBe(3)
        })
      ))

    it.effect("filters are checked against their columns: a date keeps its offset, text that is no date or number is refused", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const analytics = yield* Analytics
          // 02:00+02:00 is midnight UTC: rows 1 to 6, 8 and 9 are at or after it. MariaDB read the
          // text in the session's zone, dropping the offset (counting from 02:00 UTC).
          const fromMidnight = [{ field: "at", op: "gte", value: "2026-01-01T02:00:00+02:00" }] as const
          expect(yield* analytics.count({ table, filters: fromMidnight })).toBe(8)
          expect(yield* analytics.pageCount({ table, filters: fromMidnight, perPage: 5 })).toEqual({
            total: 8,
            perPage: 5,
            pages: 2
          })
          const summed = yield* analytics.metrics({ table, metrics: { qty: "sum" }, filters: fromMidnight })
          expect(summed[0]?.metrics["qty"]).toBe(17)
          const buckets = yield* analytics.timeBuckets({
            table,
            timeColumn: "at",
            valueColumn: "qty",
            aggregation: "count",
            bucket: "1 day",
            from: at("2025-12-31T00:00:00Z"),
            to: at("2026-01-02T00:00:00Z"),
            filters: fromMidnight
          })
          expect(buckets.map((b) => b.count)).toEqual([8])
          // MariaDB matched every row for these, PostgreSQL failed on the server, memory matched none.
          const refused = [
            { field: "at", op: "gte", value: "soon" },
            { field: "at", op: "lt", value: "today" },
            { field: "qty", op: "eq", value: "1abc" },
            { field: "region", op: "eq", value: 5 },
            // PostgreSQL failed on these, or matched U+FFFD for the surrogate; MariaDB matched every
            // row for the invalid date and none before the year 20000; memory matched none.
            { field: "qty", op: "eq", value: Number.NaN },
            { field: "qty", op: "lt", value: Number.POSITIVE_INFINITY },
            { field: "price", op: "between", from: Number.NEGATIVE_INFINITY, to: 1 },
            { field: "at", op: "gt", value: new Date(Number.NaN) },
            { field: "at", op: "lt", value: new Date(Date.UTC(20_000, 0, 1)) },
            { field: "at", op: "gte", value: "0999-12-31T00:00:00Z" },
            { field: "region", op: "in", values: ["eu", "\uD800"] },
            { field: "region", op: "eq", value: "eu\u0000" },
            { field: "product", op: "like", value: "\uDC00" }
          ] as const
          for (const filter of refused) {
            const error = yield* Effect.flip(analytics.count({ table, filters: [filter] }))
            expect(error._tag, JSON.stringify(filter)).toBe("ValidationError")
            const paged = yield* Effect.flip(
              analytics.metricsPage({ table, metrics: { qty: "sum" }, page: 1, perPage: 5, filters: [filter] })
            )
            expect(paged._tag, JSON.stringify(filter)).toBe("ValidationError")
          }
        })
      ))

    it.effect("a metric over a column that holds no numbers, or buckets by one that holds no dates, is a ValidationError", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const analytics = yield* Analytics
          // MariaDB cast text that is no number to 0 where PostgreSQL failed, and bucketed a number column.
          const summed = yield* Effect.flip(analytics.metrics({ table, metrics: { product: "sum" } }))
          expect(summed._tag).toBe("ValidationError")
          expect(summed._tag === "ValidationError" && summed.detail).toContain("product holds string values")
          const paged = yield* Effect.flip(
            analytics.metricsPage({ table, metrics: { region: "max" }, dimensions: ["product"], page: 1, perPage: 5 })
          )
          expect(paged._tag).toBe("ValidationError")
          const request = {
            table,
            timeColumn: "at",
            valueColumn: "price",
            aggregation: "sum",
            bucket: "1 hour",
            from: at("2026-01-01T00:00:00Z"),
            to: at("2026-01-01T05:00:00Z")
          } as const
          const byPriceTime = yield* Effect.flip(analytics.timeBuckets({ ...request, timeColumn: "price" }))
          expect(byPriceTime._tag === "ValidationError" && byPriceTime.field).toBe("timeColumn")
          const ofText = yield* Effect.flip(analytics.timeBuckets({ ...request, valueColumn: "region" }))
          expect(ofText._tag === "ValidationError" && ofText.field).toBe("valueColumn")
          // A DECIMAL dimension is a number, as memory holds it (the drivers give "10.50").
          const byPrice = yield* analytics.metrics({ table, metrics: { qty: "sum" }, dimensions: ["price"] })
          expect(byPrice.map((row) => row.dimensions["price"])).toEqual([10.5, 15.75, 20.25, 30, 40, 50, 99, null])
          // Counting takes any column.
          const counted = yield* analytics.metrics({ table, metrics: { product: "count" } })
          expect(counted[0]?.metrics["product"]).toBe(9)
          const countedBuckets = yield* analytics.timeBuckets({
            ...request,
            valueColumn: "region",
            aggregation: "count"
          })
          expect(countedBuckets.length).toBeGreaterThan(0)
        })
      ))

    it.effect("names off the allow-list are AccessDenied, bad requests ValidationError, before any SQL", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const analytics = yield* Analytics
          const buckets = {
            table,
            timeColumn: "at",
            valueColumn: "price",
            aggregation: "avg",
            bucket: "1 hour",
            from: "2026-01-01T00:00:00Z",
            to: "2026-01-02T00:00:00Z"
          }
          const timeBuckets = (change: Record<string, unknown>) =>
            refusal(analytics.timeBuckets(raw<TimeBucketsInput>({ ...buckets, ...change })))
          const metrics = (input: Record<string, unknown>) =>
            refusal(analytics.metrics(raw<MetricsInput>({ table, metrics: { price: "sum" }, ...input })))
          const refused = yield* Effect.all([
            timeBuckets({ table: "pg_authid" }),
            timeBuckets({ table: `public.${table}` }),
            timeBuckets({ timeColumn: "secret" }),
            timeBuckets({ valueColumn: "price); DROP TABLE x; --" }),
            timeBuckets({ filters: [{ field: "id", op: "eq", value: 1 }] }),
            timeBuckets({ aggregation: "median" }),
            timeBuckets({ aggregation: "avg(price)" }),
            timeBuckets({ bucket: "1 week" }),
            timeBuckets({ bucket: "0 minutes" }),
            timeBuckets({ bucket: "1 hour; DROP TABLE x" }),
            timeBuckets({ from: "2026-01-03T00:00:00Z" }),
            timeBuckets({ from: buckets.to }),
            timeBuckets({ bucket: "1 second" }),
            timeBuckets({ from: "1969-12-31T00:00:00Z" }),
            timeBuckets({ from: "9999-12-31T00:00:00Z", to: "+010000-01-01T00:00:00Z" }),
            timeBuckets({ from: "yesterday" }),
            timeBuckets({ from: "Jan 1 2026" }),
            timeBuckets({ to: "2026-01-01T24:00:00Z" }),
            timeBuckets({ to: "2026-02-30T00:00:00Z" }),
            timeBuckets({ emptyBuckets: "zero" }),
            metrics({ dimensions: ["secret"] }),
            metrics({ metrics: { secret: "count" } }),
            metrics({ metrics: { price: "stddev" } }),
            metrics({ metrics: {} }),
            metrics({ dimensions: ["id"], sort: [{ field: "id" }] }),
            metrics({ dimensions: ["region"], sort: [{ field: "qty" }] }),
            metrics({ dimensions: ["region", "region"] }),
            metrics({ limit: 0 }),
            metrics({ having: "1=1" }),
            refusal(analytics.metricsPage({ table, metrics: { price: "sum" }, page: 0 })),
            refusal(analytics.metricsPage({ table, metrics: { price: "sum" }, perPage: 5_000 })),
            refusal(analytics.metricsPage({ table, metrics: { price: "sum" }, dimensions: ["secret"] })),
            refusal(analytics.count({ table: "users" })),
            refusal(analytics.count({ table, filters: [{ field: "secret", op: "isNull" }] })),
            refusal(analytics.count(raw({ table, filters: [{ field: "region", op: "regex", value: ".*" }] }))),
            refusal(analytics.pageCount({ table, perPage: 0 })),
            refusal(analytics.count(raw("SELECT 1")))
          ])
          expect(refused).toEqual([
            "TableNotAllowed",
            "TableNotAllowed",
            "ColumnNotAllowed",
            "ColumnNotAllowed",
            "FilterNotAllowed",
            "ValidationError",
            "ValidationError",
            "ValidationError",
            "ValidationError",
            "ValidationError",
            "ValidationError",
            "ValidationError",
            "ValidationError",
            "ValidationError",
            "ValidationError",
            "ValidationError",
            "ValidationError",
            "ValidationError",
            "ValidationError",
            "ValidationError",
            "ColumnNotAllowed",
            "ColumnNotAllowed",
            "ValidationError",
            "ValidationError",
            "SortNotAllowed",
            "ValidationError",
            "ValidationError",
            "ValidationError",
            "ValidationError",
            "ValidationError",
            "ValidationError",
            "ColumnNotAllowed",
            "TableNotAllowed",
            "FilterNotAllowed",
            "ValidationError",
            "ValidationError",
            "ValidationError"
          ])
          expect(yield* analytics.count({ table })).toBe(9)
        })
      ))

    it.effect("a refused request sends no SQL; span attributes carry no values", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const analytics = yield* Analytics
          const refused = makeRecording()
          yield* Effect.flip(analytics.count({ table: "pg_authid" })).pipe(Effect.provide(refused.layer))
          yield* Effect.flip(analytics.metrics({ table, metrics: { secret: "max" } })).pipe(
            Effect.provide(refused.layer)
          )
          expect(refused.spans.map((span) => span.name)).toEqual(["Analytics.count", "Analytics.metrics"])
          const answered = makeRecording()
          yield* analytics.metrics({
            table,
            metrics: { qty: "sum" },
            dimensions: ["product"],
            filters: [{ field: "product", op: "eq", value: hostile }]
          }).pipe(Effect.provide(answered.layer))
          const names = answered.spans.map((span) => span.name)
          expect(names).toContain("Analytics.metrics")
          const attributes = JSON.stringify(answered.spans.map((span) => Object.fromEntries(span.attributes)))
          expect(attributes).not.toContain(hostile)
        })
      ))

    it.effect("a caller changing a dimension it got changes nothing stored", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const analytics = yield* Analytics
          const request = { table, metrics: { qty: "sum" }, dimensions: ["at"], limit: 1 } as const
          const [first] = yield* analytics.metrics(request)
          expect(first?.dimensions["at"]).toEqual(at("2025-12-31T23:59:59Z"))
          ;(first?.dimensions["at"] as Date).setTime(Date.UTC(2026, 0, 1, 12))
          const [again] = yield* analytics.metrics(request)
          expect(again?.dimensions["at"]).toEqual(at("2025-12-31T23:59:59Z"))
          expect(
            yield* analytics.count({ table, filters: [{ field: "at", op: "gte", value: "2026-01-01T06:00:00Z" }] })
          )
            .toBe(0)
        })
      ))

    it.effect("a dimension of bytes is DataAccessError Decode, as no driver gives it as a dimension value", () =>
      Effect.gen(function*() {
        const fixture = yield* AnalyticsFixture
        const table = uniqueName("analytics")
        yield* fixture.seed(table, rows.map((row) => ({ ...row, bin: Buffer.from([Number(row["id"]) % 2]) })))
        const body = Effect.gen(function*() {
          const analytics = yield* Analytics
          // Memory grouped them by their text.
          const failure = yield* Effect.flip(analytics.metrics({ table, metrics: { qty: "sum" }, dimensions: ["bin"] }))
          expect(failure._tag === "DataAccessError" && failure.reason).toBe("Decode")
          const paged = yield* Effect.flip(
            analytics.metricsPage({ table, metrics: { qty: "sum" }, dimensions: ["region", "bin"] })
          )
          expect(paged._tag === "DataAccessError" && paged.reason).toBe("Decode")
          expect(yield* analytics.metrics({ table, metrics: { bin: "count" } })).toEqual([
            { dimensions: {}, metrics: { bin: 9 }, count: 9 }
          ])
        })
        return yield* body.pipe(
          Effect.provide(fixture.analytics.pipe(Layer.provide(policyFor(table)))),
          Effect.ensuring(Effect.ignore(fixture.drop(table)))
        )
      }))

    it.effect("a boolean column: true and false dimensions everywhere, no number against it, not summed", () =>
      Effect.gen(function*() {
        const fixture = yield* AnalyticsFixture
        const table = uniqueName("analytics")
        const flagged = rows.map((row) => {
          const id = Number(row["id"])
          return { ...row, flag: id % 3 === 0 ? null : id % 2 === 0 }
        })
        yield* fixture.seed(table, flagged)
        const body = Effect.gen(function*() {
          const analytics = yield* Analytics
          // MariaDB's BOOLEAN is a TINYINT(1): its groups were 0 and 1, and a number matched it.
          expect(yield* analytics.metrics({ table, metrics: { qty: "sum" }, dimensions: ["flag"] })).toEqual([
            { dimensions: { flag: false }, metrics: { qty: 12 }, count: 3 },
            { dimensions: { flag: true }, metrics: { qty: 4 }, count: 3 },
            { dimensions: { flag: null }, metrics: { qty: 10 }, count: 3 }
          ])
          expect(yield* analytics.count({ table, filters: [{ field: "flag", op: "eq", value: true }] })).toBe(3)
          const refused = yield* Effect.all([
            Effect.flip(analytics.count({ table, filters: [{ field: "flag", op: "eq", value: 1 }] })),
            // PostgreSQL failed on the server.
            Effect.flip(analytics.count({ table, filters: [{ field: "qty", op: "eq", value: true }] })),
            Effect.flip(analytics.metrics({ table, metrics: { flag: "sum" } }))
          ])
          expect(refused.map((e) => e._tag)).toEqual(["ValidationError", "ValidationError", "ValidationError"])
        })
        return yield* body.pipe(
          Effect.provide(fixture.analytics.pipe(Layer.provide(policyFor(table)))),
          Effect.ensuring(Effect.ignore(fixture.drop(table)))
        )
      }))

    it.effect("a table created after a request found it missing has its columns checked", () =>
      Effect.gen(function*() {
        const fixture = yield* AnalyticsFixture
        const table = uniqueName("analytics")
        const body = Effect.gen(function*() {
          const analytics = yield* Analytics
          const missing = yield* Effect.flip(
            analytics.count({ table, filters: [{ field: "qty", op: "eq", value: 1 }] })
          )
          expect(missing._tag === "DataAccessError" && missing.reason).toBe("UndefinedObject")
          yield* fixture.seed(table, rows)
          // MariaDB matched every row for it, had the layer kept the missing table's lack of columns.
          const refused = yield* Effect.flip(
            analytics.count({ table, filters: [{ field: "qty", op: "eq", value: "1abc" }] })
          )
          expect(refused._tag).toBe("ValidationError")
          const summed = yield* Effect.flip(analytics.metrics({ table, metrics: { product: "sum" } }))
          expect(summed._tag).toBe("ValidationError")
        })
        return yield* body.pipe(
          Effect.provide(fixture.analytics.pipe(Layer.provide(policyFor(table)))),
          Effect.ensuring(Effect.ignore(fixture.drop(table)))
        )
      }))

    it.effect("an allowed table that does not exist is DataAccessError UndefinedObject", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const analytics = yield* Analytics
          const missing = `${table}_missing`
          const failures = yield* Effect.all([
            Effect.flip(analytics.count({ table: missing })),
            Effect.flip(analytics.metrics({ table: missing, metrics: { qty: "sum" }, dimensions: ["region"] })),
            Effect.flip(analytics.timeBuckets({
              table: missing,
              timeColumn: "at",
              valueColumn: "qty",
              aggregation: "sum",
              bucket: "1 day",
              from: "2026-01-01T00:00:00Z",
              to: "2026-01-02T00:00:00Z"
            }))
          ])
          expect(failures.map((e) => e._tag === "DataAccessError" ? [e.reason, e.table] : e._tag)).toEqual([
            ["UndefinedObject", missing],
            ["UndefinedObject", missing],
            ["UndefinedObject", missing]
          ])
        })
      ))
  })
}
