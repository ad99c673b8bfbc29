/**
 * The asset-cycle DAO (seed: mining asset tracking): start a cycle, move it through work states,
 * complete it (copying it to the final table in the same transaction), list what is in progress.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { NotFound } from "../errors.js"
import type { AssetCycle } from "../schemas/AssetCycle.js"
import type { Page, PageRequest } from "../schemas/Query.js"
import type { RepositoryError } from "./Repository.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface AssetCyclesService {
  /** Starts a cycle (status INPROGRESS); validates the input first (`ValidationError`). */
  readonly insert: (cycle: unknown) => Effect.Effect<AssetCycle, RepositoryError>
  readonly findById: (id: string) => Effect.Effect<Option.Option<AssetCycle>, RepositoryError>
  /** Moves an in-progress cycle to another work state; a completed one is a `ValidationError`. */
  readonly advance: (id: string, workStateId: number) => Effect.Effect<AssetCycle, RepositoryError | NotFound>
  /** Marks the cycle COMPLETE and copies it to `asset_cycles_final`, both or neither. */
  readonly complete: (id: string) => Effect.Effect<AssetCycle, RepositoryError | NotFound>
  /** In-progress cycles, newest first, optionally of one site. */
  readonly inProgress: (
    request: typeof PageRequest.Encoded,
    siteGuid?: string
  ) => Effect.Effect<Page<AssetCycle>, RepositoryError>
  /** Every completed cycle of an asset, from the final table, oldest first. */
  readonly completedFor: (assetGuid: string) => Effect.Effect<ReadonlyArray<AssetCycle>, RepositoryError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class AssetCycles extends Context.Tag("effect-dao/AssetCycles")<AssetCycles, AssetCyclesService>() {}
