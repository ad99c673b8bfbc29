/**
 * The pipeline tier of the hash store over the generic repository: `PipelineLive` on SQL,
 * `PipelineTest` in memory. It is composed apart from `HashStore` and `Core`, so it can be given a
 * `SqlClient` of its own, and `Health.layer()` over the same client reports its health:
 *
 * @example
 * const pipelineDb = layerMssql(pipelineOptions)
 * const pipeline = Layer.merge(
 *   PipelineLive.pipe(Layer.provide(AccessPolicy.layer(tables)), Layer.provide(pipelineDb)),
 *   Health.layer().pipe(Layer.provide(pipelineDb))
 * )
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { isUniqueViolation, NotFound } from "../errors.js"
import { HashValue, Path, SessionId } from "../schemas/HashRecord.js"
import {
  completionId,
  CompletionsQuery,
  OfficialSite,
  officialSiteColumns,
  SiteCompletion,
  siteCompletionColumns
} from "../schemas/PipelineSite.js"
import type { PipelineTables } from "../schemas/PipelineUpdate.js"
import { pipelineTables, PipelineUpdate, pipelineUpdateColumns, UpdatesRequest } from "../schemas/PipelineUpdate.js"
import { decode } from "../schemas/Query.js"
import type { AccessPolicy } from "../services/AccessPolicy.js"
import type { PipelineService } from "../services/Pipeline.js"
import { Pipeline } from "../services/Pipeline.js"
import * as Repository from "../services/Repository.js"
import type { PolicyTables } from "./AccessPolicy.js"
import { provideLive, provideTest } from "./Repository.js"
import type { SqlBackend } from "./Sql.js"

/**
 * The tables a pipeline on the given table names needs on the access policy.
 *
 * @since 0.1.0
 * @category models
 */
export const tablesFor = (names: PipelineTables = pipelineTables): PolicyTables => ({
  [names.updates]: pipelineUpdateColumns,
  [names.sites]: officialSiteColumns,
  [names.completions]: siteCompletionColumns
})

/**
 * The tables this DAO needs on the access policy, under the default names.
 *
 * @since 0.1.0
 * @category models
 */
export const tables: PolicyTables = tablesFor()

/** Sites per page when the official list is read. */
const sitePage = 500

const decodePath = decode(Path, "path")
const decodeHash = decode(HashValue, "hash")
const decodeSite = decode(SessionId, "site")
const decodeUpdates = decode(UpdatesRequest, "request")
const decodeCompletions = decode(CompletionsQuery, "query")

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (names: PipelineTables = pipelineTables) =>
  Effect.gen(function*() {
    const updates = yield* Repository.make({ table: names.updates, schema: PipelineUpdate, id: "update_path" })
    const sites = yield* Repository.make({ table: names.sites, schema: OfficialSite, id: "site_id" })
    const completions = yield* Repository.make({
      table: names.completions,
      schema: SiteCompletion,
      id: "completion_id"
    })
    const repositories = yield* Repository.Repositories
    const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))
    const span = (name: string, table: string) => Effect.withSpan(`Pipeline.${name}`, { attributes: { table } })

    const service: PipelineService = {
      requestUpdate: (input) =>
        Effect.gen(function*() {
          const path = yield* decodePath(input)
          return yield* repositories.withTransaction(Effect.gen(function*() {
            // Locked to the end of the transaction: the write below is computed from this read.
            const [current] = yield* updates.findByField("update_path", path, { forUpdate: true })
            if (current?.pending === true) return current
            const at = yield* now
            if (current === undefined) {
              return yield* updates.create({
                update_path: path,
                requested_at: at,
                hash_value: null,
                hashed_at: null,
                pending: true
              })
            }
            // The row is locked: nothing can delete it before this write, so NotFound is a bug.
            return yield* Effect.catchTag(
              updates.update(path, { requested_at: at, pending: true }),
              "NotFound",
              Effect.die
            )
          }))
        }).pipe(
          // Two first requests of one path race to insert; the loser runs again and finds it pending.
          Effect.retry({ times: 1, while: isUniqueViolation }),
          span("requestUpdate", names.updates)
        ),

      pendingUpdates: (input) =>
        Effect.gen(function*() {
          const request = yield* decodeUpdates(input ?? {})
          return yield* updates.listCursor(
            {
              limit: request.limit,
              sort: [{ field: "requested_at", direction: "asc" }],
              ...(request.after !== undefined ? { after: request.after } : {})
            },
            { filters: [{ field: "pending", op: "eq", value: true }] }
          )
        }).pipe(span("pendingUpdates", names.updates)),

      putHash: (pathInput, hashInput) =>
        Effect.gen(function*() {
          const path = yield* decodePath(pathInput)
          const hash = yield* decodeHash(hashInput)
          return yield* repositories.withTransaction(Effect.gen(function*() {
            // Locked to the end of the transaction: concurrent answers of one update take turns.
            const [current] = yield* updates.findByField("update_path", path, { forUpdate: true })
            if (current === undefined) return yield* Effect.fail(new NotFound({ table: names.updates, id: path }))
            if (!current.pending && current.hash_value === hash) return current
            return yield* updates.update(path, { hash_value: hash, hashed_at: yield* now, pending: false })
          }))
        }).pipe(span("putHash", names.updates)),

      putOfficialSite: (input) =>
        Effect.gen(function*() {
          const site = yield* decodeSite(input)
          return yield* repositories.withTransaction(Effect.gen(function*() {
            const [known] = yield* sites.findByField("site_id", site)
            if (known !== undefined) return known
            return yield* sites.create({ site_id: site, registered_at: yield* now })
          })).pipe(Effect.retry({ times: 1, while: isUniqueViolation }))
        }).pipe(span("putOfficialSite", names.sites)),

      officialSites: () =>
        sites.stream({ sort: [{ field: "site_id" }] }, sitePage).pipe(
          Stream.runCollect,
          Effect.map(Chunk.toReadonlyArray),
          span("officialSites", names.sites)
        ),

      putSiteCompletion: (input) =>
        Effect.gen(function*() {
          const site = yield* decodeSite(input)
          // Read once, outside the transaction: a retry records the same instant, so it finds the
          // completion a lost answer had already stored instead of adding a second one.
          const at = yield* now
          const id = completionId(site, at)
          return yield* repositories.withTransaction(Effect.gen(function*() {
            const [official] = yield* sites.findByField("site_id", site)
            if (official === undefined) return yield* Effect.fail(new NotFound({ table: names.sites, id: site }))
            const [recorded] = yield* completions.findByField("completion_id", id)
            if (recorded !== undefined) return recorded
            return yield* completions.create({ completion_id: id, site_id: site, completed_at: at })
          })).pipe(Effect.retry({ times: 1, while: isUniqueViolation }))
        }).pipe(span("putSiteCompletion", names.completions)),

      siteCompletions: (siteInput, queryInput) =>
        Effect.gen(function*() {
          const site = yield* decodeSite(siteInput)
          const query = yield* decodeCompletions(queryInput ?? {})
          return yield* completions.list({
            filters: [{ field: "site_id", op: "eq", value: site }],
            sort: [{ field: "completed_at", direction: "desc" }],
            limit: query.limit
          })
        }).pipe(span("siteCompletions", names.completions))
    }
    return service
  })

/**
 * The DAO on tables of the given names, over whichever `Repositories` is provided.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (names: PipelineTables = pipelineTables) => Layer.effect(Pipeline, make(names))

/**
 * On SQL, on tables of the given names. The repositories underneath are built fresh for this
 * layer: tiers composed in one program over different `SqlClient`s never share them.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerLive = (names: PipelineTables = pipelineTables): Layer.Layer<
  Pipeline,
  Effect.Effect.Error<ReturnType<typeof make>>,
  AccessPolicy | SqlClient.SqlClient | SqlBackend
> => provideLive(layer(names))

/**
 * In memory, on a store of its own, under the given table names.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerTest = (
  names: PipelineTables = pipelineTables
): Layer.Layer<Pipeline, Effect.Effect.Error<ReturnType<typeof make>>, AccessPolicy> => provideTest(layer(names))

/**
 * On SQL (tables from `migrations/Pipeline`).
 *
 * @since 0.1.0
 * @category layers
 */
export const PipelineLive: Layer.Layer<
  Pipeline,
  Effect.Effect.Error<ReturnType<typeof make>>,
  AccessPolicy | SqlClient.SqlClient | SqlBackend
> = layerLive()

/**
 * In memory, for users' tests.
 *
 * @since 0.1.0
 * @category layers
 */
export const PipelineTest: Layer.Layer<Pipeline, Effect.Effect.Error<ReturnType<typeof make>>, AccessPolicy> =
  layerTest()
