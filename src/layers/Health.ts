/**
 * `Health` over whichever backends the program has: the SQL client and the Redis client.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { classify } from "../errors.js"
import type { BackendHealth, HealthStatus } from "../services/Health.js"
import { Health } from "../services/Health.js"
import { RedisClient } from "../services/RedisClient.js"
import { SqlBackend } from "./Sql.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface HealthOptions {
  /** A probe slower than this marks the backend `degraded`. Default 500 ms. */
  readonly slowThreshold?: Duration.DurationInput | undefined
  /** A probe with no answer by then marks it `down`. Default 3 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
}

const rank: Record<HealthStatus, number> = { up: 0, degraded: 1, down: 2 }

/**
 * Health of the SQL backend (when `SqlClient` and `SqlBackend` are provided) and of Redis (when
 * `RedisClient` is): each probed with `SELECT 1` / `PING`, timed, bounded by the timeout.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: HealthOptions = {}): Layer.Layer<Health> =>
  Layer.effect(
    Health,
    Effect.gen(function*() {
      const slow = Duration.decode(options.slowThreshold ?? "500 millis")
      const timeout = Duration.decode(options.timeout ?? "3 seconds")
      const sql = yield* Effect.serviceOption(SqlClient.SqlClient)
      const sqlBackend = yield* Effect.serviceOption(SqlBackend)
      const redis = yield* Effect.serviceOption(RedisClient)

      const probe = (
        base: Pick<BackendHealth, "component" | "backend" | "target">,
        ping: Effect.Effect<unknown, unknown>
      ): Effect.Effect<Omit<BackendHealth, "pool">> =>
        Effect.timed(ping).pipe(
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () => new Error(`no answer within ${Duration.format(timeout)}`)
          }),
          Effect.map(([elapsed]) => ({
            ...base,
            status: Duration.greaterThan(elapsed, slow) ? "degraded" as const : "up" as const,
            latencyMillis: Duration.toMillis(elapsed)
          })),
          Effect.catchAll((error) =>
            Effect.succeed({
              ...base,
              status: "down" as const,
              detail: classify({ backend: base.backend, operation: "health" })(error).message
            })
          )
        )

      const checks: Array<Effect.Effect<BackendHealth>> = []
      if (Option.isSome(sql) && Option.isSome(sqlBackend)) {
        const backend = sqlBackend.value
        checks.push(
          Effect.zipWith(
            probe({ component: "sql", backend: backend.backend, target: backend.target }, sql.value`SELECT 1`),
            backend.pool,
            (health, pool) => Option.isSome(pool) ? { ...health, pool: pool.value } : health
          )
        )
      }
      if (Option.isSome(redis)) {
        const client = redis.value
        checks.push(probe({ component: "redis", backend: client.backend, target: client.target }, client.ping))
      }
      return {
        check: Effect.map(Effect.all(checks, { concurrency: "unbounded" }), (backends) => ({
          status: backends.reduce<HealthStatus>((worst, b) => rank[b.status] > rank[worst] ? b.status : worst, "up"),
          backends
        })).pipe(Effect.withSpan("Health.check"))
      }
    })
  )
