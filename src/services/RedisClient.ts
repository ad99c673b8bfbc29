/**
 * The Redis connection every Redis DAO uses.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type { Redis } from "ioredis"
import type { BackendError } from "../errors.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RedisClientService {
  /** `redis` for a server, `memory` for the in-process stand-in. */
  readonly backend: "redis" | "memory"
  /** host:port/db, never with credentials. */
  readonly target: string
  /**
   * Runs one call on the connection: bounded by the command timeout, failures classified into
   * `ConnectionError` / `DataAccessError`, protected by the Redis circuit breaker, in a span named
   * after `operation`. Not retried here: callers retry what is idempotent (`retrying("redis")`).
   */
  readonly use: <A>(operation: string, f: (redis: Redis) => Promise<A>) => Effect.Effect<A, BackendError>
  /** Round trip of a `PING`. */
  readonly ping: Effect.Effect<Duration.Duration, BackendError>
}

/**
 * A scoped ioredis connection (or an in-memory stand-in with the same commands).
 *
 * @since 0.1.0
 * @category tags
 */
export class RedisClient extends Context.Tag("effect-dao/RedisClient")<RedisClient, RedisClientService>() {}
