/**
 * Cache-aside over Redis: values kept under typed keys, encoded with a Schema, with TTLs,
 * invalidation by key and by prefix, and single-flight loading.
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

/**
 * @since 0.1.0
 * @category models
 */
export interface SetOptions {
  /** How long the value lives; the layer's default TTL when absent. */
  readonly ttl?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CacheService {
  /** The prefix in front of every key ("" for none). */
  readonly namespace: string
  /**
   * The cached value, or `None` on a miss. A stored value that no longer decodes with `schema` is
   * a miss, and is deleted. A Redis failure (after the retries of the policy) is an error here;
   * use `getOrSet` for reads that must not depend on Redis.
   */
  readonly get: <A, I>(
    key: Key,
    schema: Schema.Schema<A, I>
  ) => Effect.Effect<Option.Option<A>, ValidationError | BackendError>
  /**
   * Stores a value with a TTL. A Redis failure is logged, not returned: a cache write is never
   * worth failing the caller's work for. A value that does not encode is a `ValidationError`.
   */
  readonly set: <A, I>(
    key: Key,
    schema: Schema.Schema<A, I>,
    value: A,
    options?: SetOptions
  ) => Effect.Effect<void, ValidationError>
  /**
   * Cache-aside: the cached value, or on a miss the value of `load`, then stored. Concurrent
   * calls for one key in this process share one read and one `load` (single-flight). With Redis
   * unreachable it returns `load`'s value (a warning is logged once per outage). All callers of
   * one key are expected to agree on its schema.
   */
  readonly getOrSet: <A, I, E, R>(
    key: Key,
    schema: Schema.Schema<A, I>,
    load: Effect.Effect<A, E, R>,
    options?: SetOptions
  ) => Effect.Effect<A, E | ValidationError, R>
  /** Deletes one key; whether it existed. A Redis failure is an error: a stale entry could outlive it. */
  readonly invalidate: (key: Key) => Effect.Effect<boolean, ValidationError | BackendError>
  /**
   * Deletes every key under the rendered `prefix` (for example `KeyPattern.apiEndpoint`),
   * walking the keyspace with SCAN and deleting in batches with UNLINK; never KEYS. Returns how
   * many keys were deleted. A prefix ending in `:` takes every key starting with it; one ending
   * inside a segment, such as a whole key (`user:1`), takes that key and `user:1:...`, not `user:10`.
   */
  readonly invalidatePrefix: (prefix: Key) => Effect.Effect<number, ValidationError | BackendError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Cache extends Context.Tag("effect-dao/Cache")<Cache, CacheService>() {}
