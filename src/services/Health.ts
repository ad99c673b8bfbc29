/**
 * Health of the configured backends.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { Backend } from "../errors.js"

/**
 * Pool figures, where the driver exposes them.
 *
 * @since 0.1.0
 * @category models
 */
export interface PoolFigures {
  readonly total: number
  readonly idle: number
  readonly waiting: number
}

/**
 * `degraded`: it answered, slower than the slow threshold.
 *
 * @since 0.1.0
 * @category models
 */
export type HealthStatus = "up" | "degraded" | "down"

/**
 * @since 0.1.0
 * @category models
 */
export interface BackendHealth {
  readonly component: "sql" | "redis"
  /** The tier the backend serves (e.g. `remote`, `core`, `pipeline`), when health is by tier. */
  readonly tier?: string | undefined
  readonly backend: Backend
  /** host:port/database, never with credentials. */
  readonly target: string
  readonly status: HealthStatus
  /** Round trip of the probe, when it answered. */
  readonly latencyMillis?: number | undefined
  readonly pool?: PoolFigures | undefined
  /** Why it is down (scrubbed of secrets). */
  readonly detail?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface HealthReport {
  /** The worst status of all backends. */
  readonly status: HealthStatus
  readonly backends: ReadonlyArray<BackendHealth>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface HealthService {
  /** Probes every configured backend (`SELECT 1`, `PING`) concurrently; never fails. */
  readonly check: Effect.Effect<HealthReport>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Health extends Context.Tag("effect-dao/Health")<Health, HealthService>() {}
