/**
 * The asset-cycle DAO over the generic repository: `AssetCyclesLive` on SQL, `AssetCyclesTest` in
 * memory. Both run the same code; only the `Repositories` underneath differ.
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { NotFound, ValidationError } from "../errors.js"
import type { AssetCycle } from "../schemas/AssetCycle.js"
import { AssetCycle as AssetCycleSchema, assetCycleColumns, AssetCycleInsert, Guid } from "../schemas/AssetCycle.js"
import { decode } from "../schemas/Query.js"
import type { AccessPolicy } from "../services/AccessPolicy.js"
import type { AssetCyclesService } from "../services/AssetCycles.js"
import { AssetCycles } from "../services/AssetCycles.js"
import * as Repository from "../services/Repository.js"
import type { PolicyTables } from "./AccessPolicy.js"
import { provideLive, provideTest } from "./Repository.js"
import type { SqlBackend } from "./Sql.js"

/**
 * The tables this DAO needs on the access policy.
 *
 * @since 0.1.0
 * @category models
 */
export const tables: PolicyTables = {
  asset_cycles: { readable: assetCycleColumns },
  asset_cycles_final: { readable: assetCycleColumns }
}

const decodeInsert = decode(AssetCycleInsert, "cycle")
// A guid that no insert takes is a ValidationError on every backend: MariaDB's PAD SPACE
// collation matched `site-1 ` with `site-1`, where PostgreSQL and memory found nothing.
const decodeSiteGuid = decode(Guid, "siteGuid")
const decodeAssetGuid = decode(Guid, "assetGuid")

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const cycles = yield* Repository.make({ table: "asset_cycles", schema: AssetCycleSchema, id: "cycle_id" })
  const finals = yield* Repository.make({ table: "asset_cycles_final", schema: AssetCycleSchema, id: "cycle_id" })
  const repositories = yield* Repository.Repositories
  const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

  const found = <A, E>(id: string, effect: Effect.Effect<Option.Option<A>, E>) =>
    Effect.flatMap(
      effect,
      Option.match({
        onNone: () => Effect.fail(new NotFound({ table: "asset_cycles", id })),
        onSome: Effect.succeed
      })
    )

  const service: AssetCyclesService = {
    insert: (input) =>
      Effect.gen(function*() {
        const cycle = yield* decodeInsert(input)
        const at = yield* now
        return yield* cycles.create({
          ...cycle,
          cycle_id: crypto.randomUUID(),
          cycle_status: "INPROGRESS",
          created_date: at,
          updated_date: at
        })
      }).pipe(Effect.withSpan("AssetCycles.insert", { attributes: { table: "asset_cycles" } })),

    findById: (id) =>
      cycles.findById(id).pipe(Effect.withSpan("AssetCycles.findById", { attributes: { table: "asset_cycles" } })),

    advance: (id, workStateId) =>
      repositories.withTransaction(Effect.gen(function*() {
        // Locked, as `complete` locks it: a completed cycle stays as its final copy has it.
        const current = yield* found(id, cycles.findById(id, { forUpdate: true }))
        if (current.cycle_status === "COMPLETE") {
          return yield* new ValidationError({
            field: "id",
            detail: `cycle ${id} is complete: it takes no other work state`
          })
        }
        const at = yield* now
        return yield* cycles.update(id, { current_work_state_id: workStateId, updated_date: at })
      })).pipe(Effect.withSpan("AssetCycles.advance", { attributes: { table: "asset_cycles" } })),

    complete: (id) =>
      repositories.withTransaction(Effect.gen(function*() {
        // Locked to the end of the transaction: a concurrent complete waits, then sees COMPLETE.
        const current = yield* found(id, cycles.findById(id, { forUpdate: true }))
        if (current.cycle_status === "COMPLETE") return current
        const at = yield* now
        const completed: AssetCycle = yield* cycles.update(id, { cycle_status: "COMPLETE", updated_date: at })
        yield* finals.create(completed)
        return completed
      })).pipe(Effect.withSpan("AssetCycles.complete", { attributes: { table: "asset_cycles" } })),

    inProgress: (request, siteGuid) =>
      Effect.gen(function*() {
        const site = siteGuid === undefined ? undefined : yield* decodeSiteGuid(siteGuid)
        return yield* cycles.listPage(request, {
          filters: [
            { field: "cycle_status", op: "eq", value: "INPROGRESS" },
            ...(site !== undefined ? [{ field: "site_guid", op: "eq" as const, value: site }] : [])
          ],
          sort: [{ field: "created_date", direction: "desc" }]
        })
      }).pipe(Effect.withSpan("AssetCycles.inProgress", { attributes: { table: "asset_cycles" } })),

    completedFor: (assetGuid) =>
      Effect.flatMap(decodeAssetGuid(assetGuid), (asset) =>
        finals.list({
          filters: [{ field: "asset_guid", op: "eq", value: asset }],
          sort: [{ field: "created_date", direction: "asc" }]
        })).pipe(Effect.withSpan("AssetCycles.completedFor", { attributes: { table: "asset_cycles_final" } }))
  }
  return service
})

/**
 * The DAO over whichever `Repositories` is provided.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = Layer.effect(AssetCycles, make)

/**
 * On SQL (tables from `migrations`).
 *
 * @since 0.1.0
 * @category layers
 */
export const AssetCyclesLive: Layer.Layer<
  AssetCycles,
  Effect.Effect.Error<typeof make>,
  AccessPolicy | SqlClient.SqlClient | SqlBackend
> = provideLive(layer)

/**
 * In memory, for users' tests.
 *
 * @since 0.1.0
 * @category layers
 */
export const AssetCyclesTest: Layer.Layer<AssetCycles, Effect.Effect.Error<typeof make>, AccessPolicy> = provideTest(
  layer
)
