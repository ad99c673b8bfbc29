/**
 * An asset's work cycle (seed: mining asset tracking): a truck or loader moves through work
 * states until the cycle is complete, when it is copied to the final table.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * @since 0.1.0
 * @category models
 */
export const CycleStatus = Schema.Literal("INPROGRESS", "COMPLETE")

/**
 * @since 0.1.0
 * @category models
 */
export type CycleStatus = typeof CycleStatus.Type

/**
 * Identifiers from outside: short, printable, no whitespace.
 *
 * @since 0.1.0
 * @category models
 */
export const Guid = Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9._:-]{1,64}$/))

/**
 * One row of `asset_cycles` (and of `asset_cycles_final`).
 *
 * @since 0.1.0
 * @category models
 */
export const AssetCycle = Schema.Struct({
  cycle_id: Schema.String,
  asset_guid: Guid,
  site_guid: Guid,
  cycle_status: CycleStatus,
  current_work_state_id: Schema.Int.pipe(Schema.between(0, 1_000_000)),
  created_date: Schema.DateFromSelf,
  updated_date: Schema.DateFromSelf
})

/**
 * @since 0.1.0
 * @category models
 */
export type AssetCycle = typeof AssetCycle.Type

/**
 * What a caller gives to start a cycle; the DAO fills in the id, status and dates.
 *
 * @since 0.1.0
 * @category models
 */
export const AssetCycleInsert = Schema.Struct({
  asset_guid: Guid,
  site_guid: Guid,
  current_work_state_id: Schema.Int.pipe(Schema.between(0, 1_000_000))
})

/**
 * @since 0.1.0
 * @category models
 */
export type AssetCycleInsert = typeof AssetCycleInsert.Type

/**
 * The columns callers may read, filter and sort on, for the access policy.
 *
 * @since 0.1.0
 * @category models
 */
export const assetCycleColumns: ReadonlyArray<string> = Object.keys(AssetCycle.fields)
