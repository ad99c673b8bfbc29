/**
 * The pipeline tier of the hash store (seed: hash-store database client): the queue of paths the
 * pipeline is asked to hash, each with the hash it last recorded, and the names of the pipeline's
 * tables.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { Count, maxCursorLength, maxPerPage } from "./Query.js"
import { Flag } from "./User.js"

/**
 * One row of the update table: a path (`Path` of the remote tier), when its update was last
 * requested, the hash the pipeline last recorded for it and when, and whether it is pending (a
 * request not answered by a hash yet). `pending` is stored, so that the pending list is one
 * indexed range.
 *
 * @since 0.1.0
 * @category models
 */
export const PipelineUpdate = Schema.Struct({
  update_path: Schema.String,
  requested_at: Schema.DateFromSelf,
  hash_value: Schema.NullOr(Schema.String),
  hashed_at: Schema.NullOr(Schema.DateFromSelf),
  pending: Flag
})

/**
 * @since 0.1.0
 * @category models
 */
export type PipelineUpdate = typeof PipelineUpdate.Type

/**
 * What `pendingUpdates` accepts: a page size (1 to 1,000, default 100) and the `nextCursor` of the
 * page before, if any.
 *
 * @since 0.1.0
 * @category models
 */
export const UpdatesRequest = Schema.Struct({
  limit: Schema.optionalWith(Count.pipe(Schema.between(1, maxPerPage)), { default: () => 100 }),
  // As long as the repository's cursors may be: every cursor a page hands out is taken back.
  after: Schema.optional(Schema.String.pipe(Schema.maxLength(maxCursorLength)))
})

/**
 * @since 0.1.0
 * @category models
 */
export type UpdatesRequest = typeof UpdatesRequest.Encoded

/**
 * The names of the pipeline tables, so that several pipelines (or tests) can live in one database.
 *
 * @since 0.1.0
 * @category models
 */
export interface PipelineTables {
  readonly updates: string
  readonly sites: string
  readonly completions: string
}

/**
 * The default pipeline table names.
 *
 * @since 0.1.0
 * @category models
 */
export const pipelineTables: PipelineTables = {
  updates: "pipeline_updates",
  sites: "pipeline_sites",
  completions: "pipeline_site_completions"
}

/**
 * The columns of the update table for the access policy.
 *
 * @since 0.1.0
 * @category models
 */
export const pipelineUpdateColumns = {
  readable: Object.keys(PipelineUpdate.fields),
  filterable: ["update_path", "pending", "requested_at"],
  sortable: ["update_path", "requested_at"]
}
