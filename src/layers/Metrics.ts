/**
 * Metrics of what the DAOs send to their backends, as Effect `Metric`s: kept in Effect's metric
 * registry, read with `Metric.value` or `Metric.snapshot`, and exported by whatever the program
 * installs (`@effect/opentelemetry`'s metrics, say). Their labels are few and bounded: the
 * backend, the operation (`Repository.findById`, `Cache.get`: never a value or a key) and the
 * outcome, `success` or the failure's reason (`QueryTimeout`, `Refused`, `UniqueViolation`).
 * Labels a program adds with `Effect.tagMetrics` are added to them.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Metric from "effect/Metric"
import * as MetricLabel from "effect/MetricLabel"
import * as Option from "effect/Option"

/**
 * Statements (SQL) and commands (Redis) sent, each attempt counted once, by `backend`,
 * `operation` and `outcome`; a call that an open circuit refused counts as `CircuitOpen`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const calls = Metric.counter("effect_dao_calls_total", {
  description: "statements and commands sent, by backend, operation and outcome",
  incremental: true
})

/**
 * How long each statement or command took, in milliseconds, by `backend` and `operation`.
 *
 * @since 0.1.0
 * @category metrics
 */
export const callDuration = Metric.timerWithBoundaries(
  "effect_dao_call_duration",
  [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000],
  "time of each statement or command, in milliseconds, by backend and operation"
)

/**
 * Retries after a transient failure, by `kind` (`sql`, `redis`) and the `reason` of the failure
 * retried.
 *
 * @since 0.1.0
 * @category metrics
 */
export const retries = Metric.counter("effect_dao_retries_total", {
  description: "retries after a transient failure, by kind and reason",
  incremental: true
})

/** A typed error's reason (`Refused`), else its tag, else `failure`. */
export const reasonOf = (error: unknown): string => {
  if (typeof error !== "object" || error === null) return "failure"
  const { _tag, reason } = error as { readonly _tag?: unknown; readonly reason?: unknown }
  return typeof reason === "string" ? reason : typeof _tag === "string" ? _tag : "failure"
}

const outcomeOf = (exit: Exit.Exit<unknown, unknown>): string =>
  Exit.isSuccess(exit) ? "success" : Option.match(Cause.failureOption(exit.cause), {
    onNone: () => Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "defect",
    onSome: reasonOf
  })

// One tagged metric per set of labels, made once: tagging makes new keys, which the registry
// would otherwise hash on every call.
const tagged = new Map<string, Metric.Metric.Counter<number>>()
const timers = new Map<string, typeof callDuration>()

const remembered = <M>(cache: Map<string, M>, key: string, make: () => M): M => {
  const found = cache.get(key)
  if (found !== undefined) return found
  const made = make()
  cache.set(key, made)
  return made
}

/**
 * Counts and times each run of `self` as one call of `operation` on `backend`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const tracked = (backend: string, operation: string) => {
  const labels = [MetricLabel.make("backend", backend), MetricLabel.make("operation", operation)]
  const timer = remembered(timers, `${backend}\u0000${operation}`, () => Metric.taggedWithLabels(callDuration, labels))
  const counter = (outcome: string) =>
    remembered(
      tagged,
      `${backend}\u0000${operation}\u0000${outcome}`,
      () => Metric.taggedWithLabels(calls, [...labels, MetricLabel.make("outcome", outcome)])
    )
  return <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.suspend(() => {
      const started = performance.now()
      return Effect.onExit(self, (exit) =>
        Effect.zipRight(
          Metric.update(timer, Duration.millis(performance.now() - started)),
          Metric.increment(counter(outcomeOf(exit)))
        ))
    })
}

/**
 * Counts one retry of a `kind` after `error`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const retried = (kind: "sql" | "redis", error: unknown): Effect.Effect<void> =>
  Metric.increment(
    remembered(
      tagged,
      `retry\u0000${kind}\u0000${reasonOf(error)}`,
      () =>
        Metric.taggedWithLabels(retries, [MetricLabel.make("kind", kind), MetricLabel.make("reason", reasonOf(error))])
    )
  )
