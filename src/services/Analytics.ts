/**
 * The analytics DAO (seed: async analytics DAOs): time-series buckets with an aggregation,
 * grouped metrics over dimensions, and counts for pagination, on any allowed table. Requests are
 * decoded from outside input and every name passes the access policy before any SQL runs.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { AccessDenied, ConnectionError, DataAccessError, ValidationError } from "../errors.js"
import type {
  CountInput,
  MetricsInput,
  MetricsPageInput,
  MetricsRow,
  PageCount,
  PageCountInput,
  TimeBucket,
  TimeBucketsInput
} from "../schemas/Analytics.js"
import type { Page } from "../schemas/Query.js"

/**
 * @since 0.1.0
 * @category errors
 */
export type AnalyticsError = AccessDenied | ValidationError | DataAccessError | ConnectionError

/**
 * @since 0.1.0
 * @category models
 */
export interface AnalyticsService {
  /**
   * Buckets of `from <= timeColumn < to`, aligned to UTC epoch multiples of the width, oldest
   * first. Values are JS numbers computed in double precision (see the README).
   *
   * @example
   * analytics.timeBuckets({ table: "prices", timeColumn: "at", valueColumn: "price", bucket: "1 hour",
   *   aggregation: "avg", from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z" })
   */
  readonly timeBuckets: (request: TimeBucketsInput) => Effect.Effect<ReadonlyArray<TimeBucket>, AnalyticsError>
  /**
   * One row per group of the dimensions (one row in all when there are none, even over no rows).
   *
   * @example
   * analytics.metrics({ table: "trades", metrics: { volume: "sum", price: "avg" }, dimensions: ["region"] })
   */
  readonly metrics: (request: MetricsInput) => Effect.Effect<ReadonlyArray<MetricsRow>, AnalyticsError>
  /**
   * One page of groups, in the same order as `metrics`, with the number of groups and pages.
   *
   * @example
   * analytics.metricsPage({ table: "trades", metrics: { volume: "sum" }, dimensions: ["region"], page: 2, perPage: 50 })
   */
  readonly metricsPage: (request: MetricsPageInput) => Effect.Effect<Page<MetricsRow>, AnalyticsError>
  /** The rows that pass the filters. */
  readonly count: (request: CountInput) => Effect.Effect<number, AnalyticsError>
  /** The rows that pass the filters and how many pages of `perPage` they make. */
  readonly pageCount: (request: PageCountInput) => Effect.Effect<PageCount, AnalyticsError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Analytics extends Context.Tag("effect-dao/Analytics")<Analytics, AnalyticsService>() {}
