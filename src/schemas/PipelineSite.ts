/**
 * The sites of the pipeline tier (seed: hash-store database client): the official sites the
 * pipeline processes, and the completions it records for them.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { Count, maxPerPage } from "./Query.js"

/**
 * An official site, and when it was first registered.
 *
 * @since 0.1.0
 * @category models
 */
export const OfficialSite = Schema.Struct({
  site_id: Schema.String,
  registered_at: Schema.DateFromSelf
})

/**
 * @since 0.1.0
 * @category models
 */
export type OfficialSite = typeof OfficialSite.Type

/**
 * One completion of the pipeline's processing for a site. `completion_id` is the site and the
 * instant (`<site_id>/<epoch millis>`), so recording a completion of one site at one instant twice
 * keeps one row.
 *
 * @since 0.1.0
 * @category models
 */
export const SiteCompletion = Schema.Struct({
  completion_id: Schema.String,
  site_id: Schema.String,
  completed_at: Schema.DateFromSelf
})

/**
 * @since 0.1.0
 * @category models
 */
export type SiteCompletion = typeof SiteCompletion.Type

/**
 * The id of a site's completion at an instant (`/` cannot occur in a site id).
 *
 * @since 0.1.0
 * @category constructors
 */
export const completionId = (siteId: string, at: Date): string => `${siteId}/${at.getTime()}`

/**
 * What `siteCompletions` accepts: how many of the newest completions (1 to 1,000, default 100).
 *
 * @since 0.1.0
 * @category models
 */
export const CompletionsQuery = Schema.Struct({
  limit: Schema.optionalWith(Count.pipe(Schema.between(1, maxPerPage)), { default: () => 100 })
})

/**
 * @since 0.1.0
 * @category models
 */
export type CompletionsQuery = typeof CompletionsQuery.Encoded

/**
 * @since 0.1.0
 * @category models
 */
export const officialSiteColumns = { readable: Object.keys(OfficialSite.fields) }

/**
 * @since 0.1.0
 * @category models
 */
export const siteCompletionColumns = { readable: Object.keys(SiteCompletion.fields) }
