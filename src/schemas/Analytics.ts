/**
 * Analytics requests: time buckets, grouped metrics and counts, as Schemas, so that input from
 * outside (JSON bodies, query strings) and from code is validated the same way before any name
 * reaches the access policy or any value reaches SQL.
 *
 * @since 0.1.0
 */
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { Filter, maxPerPage, maxTableRows, parseInstant, Sort } from "./Query.js"

/**
 * The aggregations. Each maps to fixed SQL (`AVG`, `SUM`, `MIN`, `MAX`, `COUNT`); the caller's
 * text never reaches a statement.
 *
 * @since 0.1.0
 * @category models
 */
export const Aggregation = Schema.Literal("avg", "sum", "min", "max", "count")

/**
 * @since 0.1.0
 * @category models
 */
export type Aggregation = typeof Aggregation.Type

const unitSeconds = { second: 1, minute: 60, hour: 3_600, day: 86_400 } as const

/**
 * The widest bucket: one year of days.
 *
 * @since 0.1.0
 * @category models
 */
export const maxBucketSeconds = 366 * 86_400

/**
 * Most buckets one request may span, filled or not.
 *
 * @since 0.1.0
 * @category models
 */
export const maxBuckets = 10_000

const widthPattern = /^\s*(\d{1,6})\s*(second|minute|hour|day)s?\s*$/i

/**
 * A bucket width written as `"<n> <unit>"` (`"1 minute"`, `"15 minutes"`, `"1 HOUR"`, `"1 day"`;
 * units second, minute, hour, day), decoded to whole seconds. Buckets are aligned to multiples
 * of the width since the Unix epoch (UTC), so a day bucket starts at UTC midnight. Weeks and
 * months are not offered: they do not align to epoch multiples.
 *
 * @since 0.1.0
 * @category models
 */
export const BucketWidth = Schema.transformOrFail(
  Schema.String.pipe(Schema.maxLength(32)),
  Schema.Int.pipe(Schema.between(1, maxBucketSeconds)),
  {
    strict: true,
    decode: (text, _, ast) => {
      const match = widthPattern.exec(text)
      if (match === null) {
        return ParseResult.fail(
          new ParseResult.Type(ast, text, "expected \"<n> second|minute|hour|day\", e.g. \"15 minutes\"")
        )
      }
      const unit = (match[2] ?? "").toLowerCase() as keyof typeof unitSeconds
      return ParseResult.succeed(Number(match[1]) * unitSeconds[unit])
    },
    encode: (seconds) => ParseResult.succeed(`${seconds} seconds`)
  }
)

/** The first instant of the year 10000: MySQL's `DATETIME`, and SQL Server's, end before it. */
const year10000 = Date.UTC(10_000, 0, 1)

/**
 * An ISO 8601 instant as text (`parseInstant`: without an offset it is UTC), read the same in any
 * process: `Schema.Date` read `"2026-01-01T00:00:00"` in the process's time zone, `"1"` as 2001
 * and February 30th as March 2nd.
 */
const IsoInstant = Schema.transformOrFail(Schema.String.pipe(Schema.maxLength(64)), Schema.DateFromSelf, {
  strict: true,
  decode: (text, _, ast) => {
    const millis = parseInstant(text)
    return Number.isNaN(millis)
      ? ParseResult.fail(new ParseResult.Type(ast, text, "expected an ISO 8601 instant, e.g. \"2026-01-01T00:00:00Z\""))
      : ParseResult.succeed(new Date(millis))
  },
  encode: (date) => ParseResult.succeed(date.toISOString())
})

/**
 * An instant from a `Date` (code) or an ISO 8601 string (JSON), at or after the Unix epoch and
 * before the year 10000 (MariaDB compared a column with a later one as with no date, and
 * answered no buckets).
 *
 * @since 0.1.0
 * @category models
 */
export const Instant = Schema.Union(Schema.DateFromSelf, IsoInstant).pipe(
  Schema.filter((date) => Number.isFinite(date.getTime()) && date.getTime() >= 0 && date.getTime() < year10000, {
    message: () => "expected a valid date from 1970-01-01T00:00:00Z to before the year 10000"
  })
)

const Identifier = Schema.String.pipe(Schema.maxLength(128))
/** A whole number from a number or a numeric string (query strings). */
const Count = Schema.Union(Schema.Number, Schema.NumberFromString).pipe(Schema.int())
const Filters = Schema.optionalWith(Schema.Array(Filter).pipe(Schema.maxItems(64)), { default: () => [] })

/**
 * The first and last bucket index (inclusive) of `[from, to)` for a width in seconds.
 *
 * @since 0.1.0
 * @category constructors
 */
export const bucketRange = (
  from: Date,
  to: Date,
  seconds: number
): { readonly first: number; readonly last: number } => ({
  first: Math.floor(from.getTime() / (seconds * 1_000)),
  last: Math.floor((to.getTime() - 1) / (seconds * 1_000))
})

/**
 * A time-bucket request: rows of `table` with `from <= timeColumn < to` (and the filters) grouped
 * into buckets of `bucket` width, `aggregation` applied to `valueColumn`. `emptyBuckets: "fill"`
 * returns every bucket of the range, those without rows included; `"omit"` (default) only those
 * with rows.
 *
 * @example
 * { table: "prices", timeColumn: "at", valueColumn: "price", bucket: "1 hour", aggregation: "avg",
 *   from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z", filters: [{ field: "region", op: "eq", value: "eu" }] }
 *
 * @since 0.1.0
 * @category models
 */
export const TimeBucketsRequest = Schema.Struct({
  table: Identifier,
  timeColumn: Identifier,
  valueColumn: Identifier,
  aggregation: Aggregation,
  bucket: BucketWidth,
  from: Instant,
  to: Instant,
  filters: Filters,
  emptyBuckets: Schema.optionalWith(Schema.Literal("omit", "fill"), { default: () => "omit" as const })
}).pipe(
  Schema.filter((request) => {
    if (request.from.getTime() >= request.to.getTime()) return { path: ["to"], message: "must be after from" }
    const { first, last } = bucketRange(request.from, request.to, request.bucket)
    return last - first + 1 <= maxBuckets ||
      { path: ["bucket"], message: `the range spans more than ${maxBuckets} buckets` }
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type TimeBucketsRequest = typeof TimeBucketsRequest.Type

/**
 * What a caller passes for a time-bucket request; without `to`, the range runs up to now, the
 * current millisecond included (the seed's `query_time_series_data(start_time=...)`).
 *
 * @since 0.1.0
 * @category models
 */
export type TimeBucketsInput =
  & Omit<typeof TimeBucketsRequest.Encoded, "to">
  & { readonly to?: typeof TimeBucketsRequest.Encoded["to"] | undefined }

/**
 * Most metrics in one request (and at most 8 dimensions).
 *
 * @since 0.1.0
 * @category models
 */
export const maxMetrics = 32

const metricsFields = {
  table: Identifier,
  metrics: Schema.Record({ key: Identifier, value: Aggregation }),
  dimensions: Schema.optionalWith(Schema.Array(Identifier).pipe(Schema.maxItems(8)), { default: () => [] }),
  filters: Filters,
  sort: Schema.optionalWith(Schema.Array(Sort).pipe(Schema.maxItems(8)), { default: () => [] })
}

const checkMetrics = (request: Schema.Struct.Type<typeof metricsFields>) => {
  const metrics = Object.keys(request.metrics).length
  if (metrics === 0 || metrics > maxMetrics) {
    return { path: ["metrics"], message: `expected 1 to ${maxMetrics} metrics` }
  }
  if (new Set(request.dimensions).size !== request.dimensions.length) {
    return { path: ["dimensions"], message: "a dimension is repeated" }
  }
  const known = new Set([...request.dimensions, ...Object.keys(request.metrics)])
  const unknown = request.sort.find((s) => !known.has(s.field))
  return unknown === undefined || { path: ["sort"], message: "a sort key must be a dimension or a metric column" }
}

/**
 * A grouped-metrics request: `metrics` maps a column to its aggregation, `dimensions` are the
 * GROUP BY columns. `sort` keys are dimensions or metric columns (a metric sorts by its
 * aggregated value); groups are then ordered by the dimensions. `limit` defaults to 1,000.
 *
 * @example
 * { table: "trades", metrics: { volume: "sum", price: "avg" }, dimensions: ["region", "product"],
 *   sort: [{ field: "volume", direction: "desc" }], limit: 10 }
 *
 * @since 0.1.0
 * @category models
 */
export const MetricsRequest = Schema.Struct({
  ...metricsFields,
  limit: Schema.optionalWith(Count.pipe(Schema.between(1, maxTableRows)), { default: () => maxPerPage })
}).pipe(Schema.filter(checkMetrics))

/**
 * @since 0.1.0
 * @category models
 */
export type MetricsRequest = typeof MetricsRequest.Type

/**
 * What a caller passes for a metrics request.
 *
 * @since 0.1.0
 * @category models
 */
export type MetricsInput = typeof MetricsRequest.Encoded

/**
 * A page of groups: a metrics request with `page` (from 1) and `perPage` (1 to `maxPerPage`,
 * default 20) in place of `limit`.
 *
 * @since 0.1.0
 * @category models
 */
export const MetricsPageRequest = Schema.Struct({
  ...metricsFields,
  page: Schema.optionalWith(Count.pipe(Schema.greaterThanOrEqualTo(1)), { default: () => 1 }),
  perPage: Schema.optionalWith(Count.pipe(Schema.between(1, maxPerPage)), { default: () => 20 })
}).pipe(Schema.filter(checkMetrics))

/**
 * @since 0.1.0
 * @category models
 */
export type MetricsPageRequest = typeof MetricsPageRequest.Type

/**
 * What a caller passes for a page of groups.
 *
 * @since 0.1.0
 * @category models
 */
export type MetricsPageInput = typeof MetricsPageRequest.Encoded

/**
 * A count request: the rows of `table` that pass the filters.
 *
 * @since 0.1.0
 * @category models
 */
export const CountRequest = Schema.Struct({
  table: Identifier,
  filters: Filters
})

/**
 * @since 0.1.0
 * @category models
 */
export type CountRequest = typeof CountRequest.Type

/**
 * What a caller passes for a count request.
 *
 * @since 0.1.0
 * @category models
 */
export type CountInput = typeof CountRequest.Encoded

/**
 * A page-count request: a count request and a page size (1 to `maxPerPage`, default 20).
 *
 * @since 0.1.0
 * @category models
 */
export const PageCountRequest = Schema.Struct({
  table: Identifier,
  filters: Filters,
  perPage: Schema.optionalWith(Count.pipe(Schema.between(1, maxPerPage)), { default: () => 20 })
})

/**
 * @since 0.1.0
 * @category models
 */
export type PageCountRequest = typeof PageCountRequest.Type

/**
 * What a caller passes for a page-count request.
 *
 * @since 0.1.0
 * @category models
 */
export type PageCountInput = typeof PageCountRequest.Encoded

/**
 * One time bucket: its start, the aggregated value (null when the bucket has no non-null value,
 * except for `count`, which is then 0) and how many rows fell in it.
 *
 * @since 0.1.0
 * @category models
 */
export interface TimeBucket {
  readonly bucket: Date
  readonly value: number | null
  readonly count: number
}

/**
 * A dimension value as the backend returned it.
 *
 * @since 0.1.0
 * @category models
 */
export type DimensionValue = string | number | boolean | Date | null

/**
 * One group: its dimension values, its metrics by column, and how many rows it holds.
 *
 * @since 0.1.0
 * @category models
 */
export interface MetricsRow {
  readonly dimensions: Readonly<Record<string, DimensionValue>>
  readonly metrics: Readonly<Record<string, number | null>>
  readonly count: number
}

/**
 * How many rows and pages there are.
 *
 * @since 0.1.0
 * @category models
 */
export interface PageCount {
  readonly total: number
  readonly perPage: number
  readonly pages: number
}
