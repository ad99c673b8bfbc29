/**
 * The hash-store DAO, pipeline tier (seed: hash-store database client): the queue of paths the
 * pipeline hashes, the official sites it processes and the completions it records for them. It
 * usually lives in a database of its own (SQL Server in the seed) and is given its own
 * `SqlClient`. Its health is the program's `Health.check` over that client (the seed's
 * `pipeline_health_check`).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { NotFound } from "../errors.js"
import type { CompletionsQuery, OfficialSite, SiteCompletion } from "../schemas/PipelineSite.js"
import type { PipelineUpdate, UpdatesRequest } from "../schemas/PipelineUpdate.js"
import type { CursorPage } from "../schemas/Query.js"
import type { RepositoryError } from "./Repository.js"

/**
 * Paths are the remote tier's (`Path`: absolute, normalised, at most 512 characters), hashes its
 * `HashValue`, sites its site ids; anything else is `ValidationError` and writes nothing. Times
 * come from the `Clock`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PipelineService {
  /**
   * Asks the pipeline to hash a path: a new path is queued, a path already pending keeps its place
   * (and its request time), a hashed one is queued again with its last hash kept until the next.
   */
  readonly requestUpdate: (path: string) => Effect.Effect<PipelineUpdate, RepositoryError>
  /**
   * The pending updates (the seed's `get_pipeline_updates`), oldest request first, then by path,
   * one keyset page at a time: pass `nextCursor` back as `after` for the next page. Updates
   * hashed meanwhile drop out without shifting the pages; a tampered cursor is `ValidationError`.
   *
   * @example
   * const first = yield* pipeline.pendingUpdates({ limit: 100 })
   * const next = yield* pipeline.pendingUpdates({ limit: 100, after: first.nextCursor ?? undefined })
   */
  readonly pendingUpdates: (request?: UpdatesRequest) => Effect.Effect<CursorPage<PipelineUpdate>, RepositoryError>
  /**
   * Records the hash of a path's update (the seed's `put_pipeline_hash`) and takes it off the
   * pending list. The same hash again for an update no longer pending changes nothing; a path never
   * requested is `NotFound`.
   */
  readonly putHash: (path: string, hash: string) => Effect.Effect<PipelineUpdate, RepositoryError | NotFound>
  /** Registers an official site; a known one is returned unchanged. */
  readonly putOfficialSite: (site: string) => Effect.Effect<OfficialSite, RepositoryError>
  /** The official sites (the seed's `get_official_sites`) in site-id order, read in pages. */
  readonly officialSites: () => Effect.Effect<ReadonlyArray<OfficialSite>, RepositoryError>
  /**
   * Records that the pipeline finished processing a site now (the seed's
   * `put_pipeline_site_completion`). A site that is not official is `NotFound`; a second call at
   * the same instant returns the completion already recorded.
   */
  readonly putSiteCompletion: (site: string) => Effect.Effect<SiteCompletion, RepositoryError | NotFound>
  /** A site's newest completions, newest first (`limit` 1 to 1,000, default 100). */
  readonly siteCompletions: (
    site: string,
    query?: CompletionsQuery
  ) => Effect.Effect<ReadonlyArray<SiteCompletion>, RepositoryError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Pipeline extends Context.Tag("effect-dao/Pipeline")<Pipeline, PipelineService>() {}
