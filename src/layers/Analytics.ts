/**
 * The analytics DAO over SQL (`AnalyticsLive`) and over rows in memory (`AnalyticsTest`). Both
 * share the request decoding, the access-policy checks, the empty-bucket policy and the result
 * shapes; only the engine underneath differs (statements through `run`, or plain loops).
 *
 * Numbers: `avg`, `sum`, `min` and `max` are computed in double precision on every backend and
 * come back as JS numbers; counts are exact up to 2^53. Drivers that return numerics as strings
 * (node-postgres for NUMERIC and large BIGINT, mysql2 for DECIMAL, tedious for BIGINT) are
 * decoded in one place.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type { BackendError } from "../errors.js"
import { DataAccessError, ValidationError } from "../errors.js"
import type { Aggregation, DimensionValue, MetricsRow, TimeBucket } from "../schemas/Analytics.js"
import {
  bucketRange,
  CountRequest,
  MetricsPageRequest,
  MetricsRequest,
  PageCountRequest,
  TimeBucketsRequest
} from "../schemas/Analytics.js"
import type { Filter, Sort } from "../schemas/Query.js"
import { decode, page, parseInstant } from "../schemas/Query.js"
import type { AccessPolicyService } from "../services/AccessPolicy.js"
import { AccessPolicy } from "../services/AccessPolicy.js"
import type { AnalyticsError, AnalyticsService } from "../services/Analytics.js"
import { Analytics } from "../services/Analytics.js"
import type { MetricsPlan, TimeBucketsPlan } from "./AnalyticsStatements.js"
import * as AnalyticsStatements from "./AnalyticsStatements.js"
import * as ColumnKinds from "./ColumnKinds.js"
import type { Row, Where } from "./Query.js"
import { comparator, wherePredicate } from "./Query.js"
import { run, SqlBackend } from "./Sql.js"
import * as Statements from "./Statements.js"

// ---------------------------------------------------------------------------------------------
// Engines
// ---------------------------------------------------------------------------------------------

/** A number as a driver returns it: a number, or a numeric string (NUMERIC, DECIMAL, BIGINT). */
const Numeric = Schema.Union(Schema.Number, Schema.NumberFromString)

const BucketRow = Schema.Struct({
  bucket_index: Numeric,
  agg_value: Schema.NullOr(Numeric),
  row_count: Numeric
})

const Group = Schema.Struct({
  dimensions: Schema.Array(
    Schema.Union(Schema.String, Schema.Number, Schema.Boolean, Schema.DateFromSelf, Schema.Null)
  ),
  metrics: Schema.Array(Schema.NullOr(Numeric)),
  count: Numeric
})

type BucketRow = typeof BucketRow.Type
type Group = typeof Group.Type

/** What differs between the SQL and the in-memory layer. */
interface Engine {
  readonly buckets: (plan: TimeBucketsPlan) => Effect.Effect<ReadonlyArray<BucketRow>, BackendError>
  readonly groups: (plan: MetricsPlan) => Effect.Effect<ReadonlyArray<Group>, BackendError>
  /** Only called with at least one dimension. */
  readonly groupCount: (plan: MetricsPlan) => Effect.Effect<number, BackendError>
  readonly count: (table: string, filters: ReadonlyArray<Filter>) => Effect.Effect<number, BackendError>
  /** What the table's columns hold (`ColumnKinds`). */
  readonly kinds: (table: string) => Effect.Effect<ColumnKinds.ColumnKinds, BackendError>
}

/**
 * A column the request uses as `want` (a number to aggregate, a time to bucket by) refused when
 * its kind is known to be another, before any statement: MariaDB cast text that is no number to 0
 * with a warning where PostgreSQL failed, and bucketed a number column by nothing, as memory did.
 */
const usable = (
  kinds: ColumnKinds.ColumnKinds,
  uses: ReadonlyArray<readonly [column: string, want: "number" | "date", field: string]>
): Effect.Effect<void, ValidationError> => {
  for (const [column, want, field] of uses) {
    const kind = kinds.get(column)?.kind
    if (kind === undefined || kind === "other" || kind === want) continue
    return Effect.fail(
      new ValidationError({
        field,
        detail: `${column} holds ${kind} values, where ${want === "number" ? "a number" : "a date"} is needed`
      })
    )
  }
  return Effect.void
}

// ---------------------------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------------------------

interface BucketsPlanned extends TimeBucketsPlan {
  readonly request: TimeBucketsRequest
}

/** A request without `to` runs up to now (read from the `Clock`), its current millisecond included. */
const endingNow = (input: unknown): Effect.Effect<unknown> =>
  typeof input === "object" && input !== null && !Array.isArray(input) &&
    (input as { readonly to?: unknown }).to === undefined
    ? Effect.map(Clock.currentTimeMillis, (now) => ({ ...input, to: new Date(now + 1) }))
    : Effect.succeed(input)

const planBuckets = (policy: AccessPolicyService) => (input: unknown) =>
  Effect.gen(function*() {
    const request = yield* decode(TimeBucketsRequest, "timeBuckets")(yield* endingNow(input))
    yield* policy.columns(request.table, [request.timeColumn, request.valueColumn])
    yield* policy.filters(request.table, request.filters)
    const range: ReadonlyArray<Filter> = [
      { field: request.timeColumn, op: "gte", value: request.from },
      { field: request.timeColumn, op: "lt", value: request.to }
    ]
    const planned: BucketsPlanned = {
      request,
      table: request.table,
      timeColumn: request.timeColumn,
      valueColumn: request.valueColumn,
      aggregation: request.aggregation,
      seconds: request.bucket,
      where: { filters: [...request.filters, ...range] }
    }
    return planned
  })

const planMetrics = (
  policy: AccessPolicyService,
  request: Omit<MetricsRequest, "limit">,
  window: { readonly limit: number; readonly offset: number }
) =>
  Effect.gen(function*() {
    const metrics = Object.entries(request.metrics).map(([column, aggregation]) => ({ column, aggregation }))
    yield* policy.columns(request.table, [...request.dimensions, ...metrics.map((m) => m.column)])
    yield* policy.filters(request.table, request.filters)
    yield* policy.sort(request.table, request.sort)
    // A name that is both a dimension and a metric sorts as the dimension.
    const alias = (field: string): string => {
      const dimension = request.dimensions.indexOf(field)
      return dimension >= 0
        ? AnalyticsStatements.dimensionAlias(dimension)
        : AnalyticsStatements.metricAlias(metrics.findIndex((m) => m.column === field))
    }
    const sorted = new Set(request.sort.map((s) => s.field))
    const sort: ReadonlyArray<Sort> = request.dimensions.length === 0 ? [] : [
      ...request.sort.map((s) => ({ ...s, field: alias(s.field) })),
      ...request.dimensions.flatMap((d, i) =>
        sorted.has(d)
          ? []
          : [{ field: AnalyticsStatements.dimensionAlias(i), direction: "asc", nulls: "last" } as const]
      )
    ]
    const plan: MetricsPlan = {
      table: request.table,
      dimensions: request.dimensions,
      metrics,
      where: { filters: request.filters },
      sort,
      limit: window.limit,
      offset: window.offset
    }
    return plan
  })

const planCount = (policy: AccessPolicyService) => (input: unknown) =>
  Effect.gen(function*() {
    const request = yield* decode(CountRequest, "count")(input)
    yield* policy.table(request.table)
    yield* policy.filters(request.table, request.filters)
    return request
  })

// ---------------------------------------------------------------------------------------------
// The service over an engine
// ---------------------------------------------------------------------------------------------

const toBucket = (seconds: number) => (row: BucketRow): TimeBucket => ({
  bucket: new Date(row.bucket_index * seconds * 1_000),
  value: row.agg_value,
  count: row.row_count
})

/** Every bucket of the range; those without rows have no value (0 for `count`) and count 0. */
const fill = (request: TimeBucketsRequest, rows: ReadonlyArray<BucketRow>): ReadonlyArray<BucketRow> => {
  const byIndex = new Map(rows.map((row) => [row.bucket_index, row]))
  const { first, last } = bucketRange(request.from, request.to, request.bucket)
  const empty = request.aggregation === "count" ? 0 : null
  return Array.from(
    { length: last - first + 1 },
    (_, i) => byIndex.get(first + i) ?? { bucket_index: first + i, agg_value: empty, row_count: 0 }
  )
}

const make = (policy: AccessPolicyService, engine: Engine): AnalyticsService => {
  /**
   * A table's filters checked against its columns, as the table query's are
   * (`ColumnKinds.typedFilters`): MariaDB read a date with an offset in the session's zone and
   * matched every row for `"soon"` or `"1abc"`, where PostgreSQL failed and memory matched none.
   */
  const typed = (table: string, filters: ReadonlyArray<Filter>) =>
    Effect.flatMap(engine.kinds(table), (kinds) => ColumnKinds.typedFilters(kinds, filters))
  const typedPlan = <P extends { readonly table: string; readonly where: Where }>(plan: P) =>
    Effect.map(typed(plan.table, plan.where.filters), (filters): P => ({ ...plan, where: { ...plan.where, filters } }))
  const count = (input: unknown): Effect.Effect<number, AnalyticsError> =>
    Effect.flatMap(
      planCount(policy)(input),
      (request) =>
        Effect.flatMap(typed(request.table, request.filters), (filters) => engine.count(request.table, filters))
    )
  const numeric = (plan: MetricsPlan) =>
    Effect.flatMap(engine.kinds(plan.table), (kinds) =>
      usable(
        kinds,
        plan.metrics.flatMap((m) => m.aggregation === "count" ? [] : [[m.column, "number", "metrics"] as const])
      ))
  const groups = (plan: MetricsPlan): Effect.Effect<ReadonlyArray<MetricsRow>, AnalyticsError> =>
    Effect.map(engine.groups(plan), (found) =>
      // The single group of no dimensions is not paged by the engines.
      (plan.dimensions.length === 0 ? found.slice(plan.offset, plan.offset + plan.limit) : found).map((
        group
      ): MetricsRow => ({
        dimensions: Object.fromEntries(plan.dimensions.map((d, i) => [d, group.dimensions[i] ?? null])),
        metrics: Object.fromEntries(plan.metrics.map((m, i) => [m.column, group.metrics[i] ?? null])),
        count: group.count
      })))
  return {
    timeBuckets: (input) =>
      Effect.gen(function*() {
        const plan = yield* Effect.flatMap(planBuckets(policy)(input), typedPlan)
        yield* usable(yield* engine.kinds(plan.table), [
          [plan.timeColumn, "date", "timeColumn"],
          ...(plan.aggregation === "count" ? [] : [[plan.valueColumn, "number", "valueColumn"] as const])
        ])
        const rows = [...(yield* engine.buckets(plan))].sort((a, b) => a.bucket_index - b.bucket_index)
        const buckets = plan.request.emptyBuckets === "fill" ? fill(plan.request, rows) : rows
        return buckets.map(toBucket(plan.seconds))
      }).pipe(Effect.withSpan("Analytics.timeBuckets")),

    metrics: (input) =>
      Effect.gen(function*() {
        const request = yield* decode(MetricsRequest, "metrics")(input)
        const plan = yield* Effect.flatMap(planMetrics(policy, request, { limit: request.limit, offset: 0 }), typedPlan)
        yield* numeric(plan)
        return yield* groups(plan)
      }).pipe(Effect.withSpan("Analytics.metrics")),

    metricsPage: (input) =>
      Effect.gen(function*() {
        const request = yield* decode(MetricsPageRequest, "metricsPage")(input)
        const offset = (request.page - 1) * request.perPage
        const plan = yield* Effect.flatMap(planMetrics(policy, request, { limit: request.perPage, offset }), typedPlan)
        yield* numeric(plan)
        // Without dimensions there is always exactly one group.
        const total = plan.dimensions.length === 0 ? 1 : yield* engine.groupCount(plan)
        return page(yield* groups(plan), total, request)
      }).pipe(Effect.withSpan("Analytics.metricsPage")),

    count: (input) => count(input).pipe(Effect.withSpan("Analytics.count")),

    pageCount: (input) =>
      Effect.gen(function*() {
        const request = yield* decode(PageCountRequest, "pageCount")(input)
        const total = yield* count({ table: request.table, filters: request.filters })
        return { total, perPage: request.perPage, pages: Math.ceil(total / request.perPage) }
      }).pipe(Effect.withSpan("Analytics.pageCount"))
  }
}

// ---------------------------------------------------------------------------------------------
// SQL
// ---------------------------------------------------------------------------------------------

/**
 * A dimension of a number column as the drivers give DECIMAL and BIGINT (text), made the number
 * the memory layer holds, where a double holds it (to 2^53); beyond, the text stays.
 */
const asNumber = (value: unknown): unknown => {
  if (typeof value !== "string" || value.trim() === "") return value
  const n = Number(value)
  return Number.isFinite(n) && Math.abs(n) <= Number.MAX_SAFE_INTEGER ? n : value
}

/** A dimension of a boolean column as mysql2 gives MySQL/MariaDB's `BOOLEAN` (1 or 0), made a boolean. */
const asBoolean = (value: unknown): unknown => typeof value === "number" ? value !== 0 : value

const GroupRows = Schema.Array(Group)
const BucketRows = Schema.Array(BucketRow)

/**
 * The analytics DAO over the `SqlClient` in context, every statement through `run` (timeout,
 * typed errors, breaker, retry, span).
 *
 * @since 0.1.0
 * @category layers
 */
export const AnalyticsLive: Layer.Layer<Analytics, never, SqlClient.SqlClient | SqlBackend | AccessPolicy> = Layer
  .effect(
    Analytics,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const backend = yield* SqlBackend
      const policy = yield* AccessPolicy
      const read = (operation: string, table: string) => <X, E>(effect: Effect.Effect<X, E>) =>
        run({ operation, table, idempotent: true })(effect).pipe(Effect.provideService(SqlBackend, backend))
      const kinds = ColumnKinds.fromCatalog(sql, (table) => read("Analytics.columns", table))
      return make(policy, {
        buckets: (plan) =>
          AnalyticsStatements.timeBuckets(sql, plan).pipe(
            Effect.flatMap(Schema.decodeUnknown(BucketRows)),
            read("Analytics.timeBuckets", plan.table)
          ),
        groups: (plan) =>
          Effect.flatMap(kinds(plan.table), (columns) =>
            AnalyticsStatements.metrics(sql, plan).pipe(
              Effect.flatMap((rows) =>
                Schema.decodeUnknown(GroupRows)(rows.map((row) => ({
                  dimensions: plan.dimensions.map((d, i) => {
                    const value = row[AnalyticsStatements.dimensionAlias(i)]
                    const kind = columns.get(d)?.kind
                    return kind === "number" ? asNumber(value) : kind === "boolean" ? asBoolean(value) : value
                  }),
                  metrics: plan.metrics.map((_, i) => row[AnalyticsStatements.metricAlias(i)]),
                  count: row["row_count"]
                })))
              ),
              read("Analytics.metrics", plan.table)
            )),
        groupCount: (plan) =>
          AnalyticsStatements.groupCount(sql, plan).pipe(
            Effect.flatMap((rows) => Schema.decodeUnknown(Numeric)(rows[0]?.n)),
            read("Analytics.metricsPage", plan.table)
          ),
        count: (table, filters) =>
          Statements.count(sql, table, { filters }).pipe(
            Effect.flatMap((rows) => Schema.decodeUnknown(Numeric)(rows[0]?.n)),
            read("Analytics.count", table)
          ),
        kinds
      })
    })
  )

// ---------------------------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------------------------

const millisOf = (value: unknown): number | null => {
  if (value instanceof Date) return value.getTime()
  if (typeof value === "string") {
    const parsed = parseInstant(value)
    return Number.isNaN(parsed) ? null : parsed
  }
  return null
}

const numberOf = (value: unknown): number | undefined => {
  if (typeof value === "number") return value
  if (typeof value === "bigint") return Number(value)
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value)
  return undefined
}

/** An aggregation over values as SQL computes it: NULLs skipped, no values gives NULL (0 for count). */
const aggregate = (aggregation: Aggregation, values: ReadonlyArray<unknown>): number | null | undefined => {
  const present = values.filter((v) => v !== null && v !== undefined)
  if (aggregation === "count") return present.length
  const numbers: Array<number> = []
  for (const value of present) {
    const n = numberOf(value)
    if (n === undefined) return undefined
    numbers.push(n)
  }
  if (numbers.length === 0) return null
  switch (aggregation) {
    case "sum":
      return numbers.reduce((a, b) => a + b, 0)
    case "avg":
      return numbers.reduce((a, b) => a + b, 0) / numbers.length
    case "min":
      // NaN is above every number in PostgreSQL's order: the least is NaN only when all are.
      return numbers.reduce((a, b) => Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.min(a, b))
    case "max":
      return numbers.reduce((a, b) => Math.max(a, b))
  }
}

/**
 * A row's value as a group's dimension, as the SQL layers give it: a `Date` copied, so that a
 * caller changing it changes no row, and a bigint a number where a double holds it (the drivers'
 * text beyond). Anything else, bytes or an object, is no dimension (`undefined`): the SQL layers
 * fail to decode it, where its text grouped every object as one.
 */
const dimensionOf = (value: unknown): DimensionValue | undefined =>
  value === undefined || value === null
    ? null
    : value instanceof Date
    ? new Date(value.getTime())
    : typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? value
    : typeof value === "bigint"
    ? Math.abs(Number(value)) <= Number.MAX_SAFE_INTEGER ? Number(value) : String(value)
    : undefined

/** A group's dimensions as text: JSON writes NaN and the infinities as `null`, so they are named. */
const groupKey = (values: ReadonlyArray<DimensionValue | undefined>): string =>
  JSON.stringify(
    values.map((v) =>
      v instanceof Date ? { at: v.getTime() } : typeof v === "number" && !Number.isFinite(v) ? { n: String(v) } : v
    )
  )

const memoryEngine = (tables: ReadonlyMap<string, ReadonlyArray<Row>>): Engine => {
  const failure = (operation: string, table: string, reason: "UndefinedObject" | "InvalidValue", detail: string) =>
    new DataAccessError({ backend: "memory", operation, table, reason, detail })

  const rowsOf = (operation: string, table: string) => {
    const rows = tables.get(table)
    return rows === undefined
      ? Effect.fail(failure(operation, table, "UndefinedObject", `table ${table} does not exist`))
      : Effect.succeed(rows)
  }

  const aggregated = (operation: string, table: string, aggregation: Aggregation, values: ReadonlyArray<unknown>) => {
    const value = aggregate(aggregation, values)
    return value === undefined
      ? Effect.fail(failure(operation, table, "InvalidValue", `${aggregation} of a value that is not a number`))
      : Effect.succeed(value)
  }

  return {
    // A table the map does not hold has no kinds to tell: the read itself says it does not exist.
    kinds: (table) => Effect.succeed(ColumnKinds.fromRows(tables.get(table) ?? [])),
    buckets: (plan) =>
      Effect.gen(function*() {
        const operation = "Analytics.timeBuckets"
        const rows = (yield* rowsOf(operation, plan.table)).filter(wherePredicate(plan.where))
        const buckets = new Map<number, Array<unknown>>()
        for (const row of rows) {
          const millis = millisOf(row[plan.timeColumn])
          if (millis === null) continue
          const index = Math.floor(millis / (plan.seconds * 1_000))
          const values = buckets.get(index) ?? []
          values.push(row[plan.valueColumn])
          buckets.set(index, values)
        }
        return yield* Effect.forEach(buckets, ([index, values]) =>
          Effect.map(aggregated(operation, plan.table, plan.aggregation, values), (value) => ({
            bucket_index: index,
            agg_value: value,
            row_count: values.length
          })))
      }),

    groups: (plan) =>
      Effect.gen(function*() {
        const operation = "Analytics.metrics"
        const rows = (yield* rowsOf(operation, plan.table)).filter(wherePredicate(plan.where))
        const groups = new Map<
          string,
          { readonly dimensions: ReadonlyArray<DimensionValue>; readonly rows: Array<Row> }
        >()
        // With no dimensions SQL returns one group, even over no rows.
        if (plan.dimensions.length === 0) groups.set(groupKey([]), { dimensions: [], rows: [] })
        for (const row of rows) {
          const dimensions: Array<DimensionValue> = []
          for (const d of plan.dimensions) {
            const value = dimensionOf(row[d])
            if (value === undefined) {
              return yield* Effect.fail(
                new DataAccessError({
                  backend: "memory",
                  operation,
                  table: plan.table,
                  reason: "Decode",
                  detail: `${d}: a dimension holds text, numbers, booleans or dates`
                })
              )
            }
            dimensions.push(value)
          }
          const key = groupKey(dimensions)
          const group = groups.get(key) ?? { dimensions, rows: [] }
          group.rows.push(row)
          groups.set(key, group)
        }
        const computed = yield* Effect.forEach(groups.values(), (group) =>
          Effect.map(
            Effect.forEach(
              plan.metrics,
              (m) => aggregated(operation, plan.table, m.aggregation, group.rows.map((row) => row[m.column]))
            ),
            (metrics): Group => ({ dimensions: group.dimensions, metrics, count: group.rows.length })
          ))
        const keyed = (group: Group): Row =>
          Object.fromEntries([
            ...group.dimensions.map((v, i) => [AnalyticsStatements.dimensionAlias(i), v]),
            ...group.metrics.map((v, i) => [AnalyticsStatements.metricAlias(i), v])
          ])
        const order = comparator(plan.sort)
        return plan.sort.length === 0
          ? computed
          : computed
            .map((group) => ({ group, row: keyed(group) }))
            .sort((a, b) => order(a.row, b.row))
            .slice(plan.offset, plan.offset + plan.limit)
            .map(({ group }) => group)
      }),

    groupCount: (plan) =>
      Effect.map(rowsOf("Analytics.metricsPage", plan.table), (rows) =>
        new Set(
          rows.filter(wherePredicate(plan.where)).map((row) =>
            groupKey(plan.dimensions.map((d) => dimensionOf(row[d])))
          )
        ).size),

    count: (table, filters) =>
      Effect.map(rowsOf("Analytics.count", table), (rows) => rows.filter(wherePredicate({ filters })).length)
  }
}

/**
 * The analytics DAO over rows held in memory, by table (the map is read at each request, so a
 * test may fill it later). A table missing from the map fails as a missing SQL table does.
 *
 * @since 0.1.0
 * @category layers
 */
export const AnalyticsTest = (
  tables: ReadonlyMap<string, ReadonlyArray<Row>>
): Layer.Layer<Analytics, never, AccessPolicy> =>
  Layer.effect(Analytics, Effect.map(AccessPolicy, (policy) => make(policy, memoryEngine(tables))))
