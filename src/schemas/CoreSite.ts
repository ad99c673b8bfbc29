/**
 * The core tier of the hash store (seed: hash-store database client): the sites that report in,
 * the official baselines (root hashes) they should match, the central log, and the dashboard
 * computed from them.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { HashValue, SessionId } from "./HashRecord.js"

/**
 * One row of the site table: the root hash a site last reported and when it changed, when the
 * site was last seen, and how many hash records it holds.
 *
 * @since 0.1.0
 * @category models
 */
export const CoreSite = Schema.Struct({
  site_id: Schema.String,
  current_hash: Schema.NullOr(Schema.String),
  hash_dtg: Schema.NullOr(Schema.DateFromSelf),
  last_seen: Schema.DateFromSelf,
  record_count: Schema.Int.pipe(Schema.nonNegative())
})

/**
 * @since 0.1.0
 * @category models
 */
export type CoreSite = typeof CoreSite.Type

/**
 * An official baseline: a root hash sites are expected to reach, newest last.
 *
 * @since 0.1.0
 * @category models
 */
export const Baseline = Schema.Struct({
  baseline_hash: Schema.String,
  created_at: Schema.DateFromSelf
})

/**
 * @since 0.1.0
 * @category models
 */
export type Baseline = typeof Baseline.Type

/**
 * What a site reports: its id, and optionally its root hash and record count (left out: kept).
 *
 * @since 0.1.0
 * @category models
 */
export const SiteReport = Schema.Struct({
  site_id: SessionId,
  current_hash: Schema.optionalWith(HashValue, { exact: true }),
  record_count: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 2_147_483_647)), { exact: true })
})

/**
 * @since 0.1.0
 * @category models
 */
export type SiteReport = typeof SiteReport.Encoded

/**
 * The dashboard (the seed's `get_dashboard_content`). The sync buckets and the live buckets each
 * split the sites without overlap, so each set sums to the number of sites.
 *
 * - sync: `current` (root hash = newest baseline), `1_behind` (= the one before), `l24_behind`
 *   (= an older baseline made in the last 24 h), `g24_behind` (= a baseline older than 24 h),
 *   `unknown` (no hash, or a hash that is no baseline).
 * - live, by last report: `current` (35 minutes), `1_behind` (35 to 70 minutes), `l24_behind`
 *   (70 minutes to 24 h), `inactive` (longer).
 *
 * @since 0.1.0
 * @category models
 */
export interface Dashboard {
  readonly crit_error_count: number
  readonly hash_record_count: number
  readonly sync_current: number
  readonly sync_1_behind: number
  readonly sync_l24_behind: number
  readonly sync_g24_behind: number
  readonly sync_unknown: number
  readonly live_current: number
  readonly live_1_behind: number
  readonly live_l24_behind: number
  readonly live_inactive: number
}

/**
 * The names of the core tables.
 *
 * @since 0.1.0
 * @category models
 */
export interface CoreTables {
  readonly sites: string
  readonly baselines: string
  readonly logs: string
}

/**
 * The default core table names.
 *
 * @since 0.1.0
 * @category models
 */
export const coreTables: CoreTables = { sites: "core_sites", baselines: "core_baselines", logs: "core_logs" }

/**
 * @since 0.1.0
 * @category models
 */
export const coreSiteColumns = { readable: Object.keys(CoreSite.fields) }

/**
 * @since 0.1.0
 * @category models
 */
export const baselineColumns = { readable: Object.keys(Baseline.fields) }
