/**
 * Reading structured data that other systems keep in Redis: strings, sets and hashes under typed
 * key patterns, decoded with a Schema, and the versioned regions of mining assets.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import type { BackendError, ValidationError } from "../errors.js"
import type { Key } from "../schemas/KeyPattern.js"
import type { Region } from "../schemas/Region.js"

/**
 * What each kind of Redis structure reads as, before its Schema decodes it.
 *
 * @since 0.1.0
 * @category models
 */
export interface StructureEncoded {
  readonly string: string
  readonly set: ReadonlyArray<string>
  readonly hash: { readonly [field: string]: string }
}

/**
 * @since 0.1.0
 * @category models
 */
export type StructureKind = keyof StructureEncoded

/**
 * @since 0.1.0
 * @category models
 */
export interface AssetRegionsOptions {
  /** Every stored version of each region, oldest first; by default only the latest. */
  readonly includeAllVersions?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RedisSourceService {
  /** The prefix in front of every key ("" for none). */
  readonly namespace: string
  /**
   * Reads one key as a string (`GET`), a set (`SMEMBERS`) or a hash (`HGETALL`) and decodes it.
   * `None` when the key does not exist (Redis drops empty sets and hashes, so those too). A set's
   * members come sorted (by UTF-16 code units), on every layer.
   * A value that does not decode is a `DataAccessError` with reason `Decode`; a key holding another
   * kind of structure, one with reason `WrongType`. Retried per the `RetryPolicy`.
   */
  readonly getByPattern: <K extends StructureKind, A, I extends StructureEncoded[K]>(
    key: Key,
    kind: K,
    schema: Schema.Schema<A, I>
  ) => Effect.Effect<Option.Option<A>, ValidationError | BackendError>
  /** Reads many keys of one kind in a single pipelined round trip; results in the order of `keys`. */
  readonly getMany: <K extends StructureKind, A, I extends StructureEncoded[K]>(
    keys: ReadonlyArray<Key>,
    kind: K,
    schema: Schema.Schema<A, I>
  ) => Effect.Effect<ReadonlyArray<Option.Option<A>>, ValidationError | BackendError>
  /**
   * Replaces a key with the encoded value, atomically (`MULTI`: delete, write, optional expiry).
   * For seeding and for the systems that feed the source.
   */
  readonly setByPattern: <K extends StructureKind, A, I extends StructureEncoded[K]>(
    key: Key,
    kind: K,
    schema: Schema.Schema<A, I>,
    value: A,
    options?: { readonly ttl?: Duration.DurationInput | undefined }
  ) => Effect.Effect<void, ValidationError | BackendError>
  /** Deletes one key; whether it existed. */
  readonly deleteByPattern: (key: Key) => Effect.Effect<boolean, ValidationError | BackendError>
  /**
   * The regions an asset is tracked against: the latest version of each (highest version
   * number), or every version with `includeAllVersions`. Sorted by region id, then version.
   * Three pipelined round trips however many regions there are.
   */
  readonly assetRegions: (
    assetId: string,
    options?: AssetRegionsOptions
  ) => Effect.Effect<ReadonlyArray<Region>, ValidationError | BackendError>
  /** Stores one version of a region and links it to an asset, atomically (`MULTI`). */
  readonly putRegion: (assetId: string, region: Region) => Effect.Effect<void, ValidationError | BackendError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class RedisSource extends Context.Tag("effect-dao/RedisSource")<RedisSource, RedisSourceService>() {}
