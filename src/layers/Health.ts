/**
 * `Health` over whichever backends the program has: the SQL client and the Redis client.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { classify, ConnectionError, ValidationError } from "../errors.js"
import type { BackendHealth, HealthService, HealthStatus } from "../services/Health.js"
import { Health } from "../services/Health.js"
import { RedisClient } from "../services/RedisClient.js"
import * as Durations from "./Durations.js"
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

/** One probe of the report: a backend's health, never failing. */
type Check = Effect.Effect<BackendHealth>

interface Limits {
  readonly slow: Duration.Duration
  readonly timeout: Duration.Duration
}

/**
 * The options checked: a slow threshold that is no finite duration, or a timeout that is no
 * duration, none, or over 24 days, is a `ValidationError`; so is a slow threshold given that is
 * not shorter than the timeout, under which no probe could be reported `degraded`.
 */
const settings = (options: HealthOptions): Either.Either<Limits, ValidationError> =>
  Either.all({
    slow: Durations.threshold(options.slowThreshold ?? "500 millis", "slowThreshold"),
    timeout: Durations.timeout(options.timeout ?? "3 seconds", "timeout")
  }).pipe(Either.filterOrLeft(
    ({ slow, timeout }) => options.slowThreshold === undefined || Duration.lessThan(slow, timeout),
    ({ timeout }) =>
      new ValidationError({
        field: "slowThreshold",
        detail: `must be shorter than the timeout (${Duration.format(timeout)})`
      })
  ))

/**
 * Times `ping`, bounded by the timeout: `up`, `degraded` when slow, `down` with the scrubbed
 * reason. A ping past the timeout is interrupted in the background (`disconnect`): on PostgreSQL
 * its interruption cancels the statement over a connection of its own, which a server that
 * stopped answering answers no sooner, and the report came up to 2 seconds after its timeout.
 */
const probe = (
  { slow, timeout }: Limits,
  base: Pick<BackendHealth, "component" | "backend" | "target" | "tier">,
  ping: Effect.Effect<unknown, unknown>
): Effect.Effect<Omit<BackendHealth, "pool">> =>
  Effect.disconnect(Effect.timed(ping)).pipe(
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () =>
        new ConnectionError({
          backend: base.backend,
          operation: "health",
          reason: "Timeout",
          detail: `no answer within ${Duration.format(timeout)}`
        })
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

/** The check of the SQL backend in context (`SELECT 1` and the pool figures), when there is one. */
const sqlCheck = (limits: Limits, tier?: string) =>
  Effect.gen(function*() {
    const sql = yield* Effect.serviceOption(SqlClient.SqlClient)
    const backend = yield* Effect.serviceOption(SqlBackend)
    if (Option.isNone(sql) || Option.isNone(backend)) return Option.none<Check>()
    const { backend: name, pool, target } = backend.value
    const check: Check = Effect.zipWith(
      probe(
        limits,
        { component: "sql", backend: name, target, ...(tier === undefined ? {} : { tier }) },
        sql.value`SELECT 1`
      ),
      pool,
      (health, figures) => Option.isSome(figures) ? { ...health, pool: figures.value } : health
    )
    return Option.some(check)
  })

/** The check of the Redis client in context (`PING`), when there is one. */
const redisCheck = (limits: Limits) =>
  Effect.map(
    Effect.serviceOption(RedisClient),
    Option.map((client): Check =>
      probe(limits, { component: "redis", backend: client.backend, target: client.target }, client.ping)
    )
  )

/** The report of some checks, run concurrently: its status is the worst of theirs. */
const report = (checks: ReadonlyArray<Check>): HealthService => ({
  check: Effect.map(Effect.all(checks, { concurrency: "unbounded" }), (backends) => ({
    status: backends.reduce<HealthStatus>((worst, b) => rank[b.status] > rank[worst] ? b.status : worst, "up"),
    backends
  })).pipe(Effect.withSpan("Health.check"))
})

/**
 * Health of the SQL backend (when `SqlClient` and `SqlBackend` are provided) and of Redis (when
 * `RedisClient` is): each probed with `SELECT 1` / `PING`, timed, bounded by the timeout.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: HealthOptions = {}): Layer.Layer<Health, ValidationError> =>
  Layer.effect(
    Health,
    Effect.gen(function*() {
      const limits = yield* settings(options)
      const checks = [yield* sqlCheck(limits), yield* redisCheck(limits)]
      return report(checks.flatMap(Option.toArray))
    })
  )

/** The checks gathered so far while `layerTiers` visits each tier's backend. */
class TierChecks extends Context.Tag("effect-dao/Health/TierChecks")<TierChecks, ReadonlyArray<Check>>() {}

/**
 * Health by tier, for a program whose DAOs live on several databases (the hash store's remote,
 * core and pipeline tiers, say): each tier's SQL backend layer is probed as its own entry, named
 * by its key (`tier`), with Redis when a `RedisClient` is provided. Give it the same layer values
 * the DAOs are given: layers are shared by reference, so the probe uses the DAO's own pool.
 *
 * @example
 * const health = Health.layerTiers({ remote: remoteDb, core: coreDb, pipeline: pipelineDb })
 * // report.backends: [{ tier: "remote", ... }, { tier: "core", ... }, { tier: "pipeline", ... }]
 *
 * @since 0.1.0
 * @category layers
 */
export const layerTiers = <E>(
  tiers: Readonly<Record<string, Layer.Layer<SqlClient.SqlClient | SqlBackend, E>>>,
  options: HealthOptions = {}
): Layer.Layer<Health, E | ValidationError> => {
  const checked = settings(options)
  if (Either.isLeft(checked)) return Layer.fail(checked.left)
  const limits = checked.right
  const gathered = Object.entries(tiers).reduce(
    (previous, [tier, backend]) =>
      Layer.effect(
        TierChecks,
        Effect.gen(function*() {
          const before = yield* TierChecks
          return [...before, ...Option.toArray(yield* sqlCheck(limits, tier))]
        })
      ).pipe(Layer.provide(Layer.merge(previous, backend))),
    Layer.succeed(TierChecks, [] as ReadonlyArray<Check>) as Layer.Layer<TierChecks, E>
  )
  return Layer.effect(
    Health,
    Effect.gen(function*() {
      const checks = yield* TierChecks
      return report([...checks, ...Option.toArray(yield* redisCheck(limits))])
    })
  ).pipe(Layer.provide(gathered))
}
