/**
 * Retries and circuit breaking, in one place.
 *
 * `RetryPolicy` holds the retry options for each kind of backend (SQL: 2 retries, Redis: 3, with
 * exponential backoff and jitter) and retries only transient failures. `CircuitBreaker` fails
 * fast while a backend is known to be down. Both read time from `Clock`, so `TestClock` drives
 * them in tests.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import type { Backend, BackendError, ErrorContext } from "../errors.js"
import { classify, ConnectionError, DataAccessError, isTransient, ValidationError } from "../errors.js"
import * as Durations from "./Durations.js"
import * as Metrics from "./Metrics.js"

// ---------------------------------------------------------------------------------------------
// Retry
// ---------------------------------------------------------------------------------------------

/**
 * How one kind of backend call is retried.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryOptions {
  /** Retries after the first attempt (0 disables retrying). */
  readonly retries: number
  /** Delay before the first retry; each next one is `factor` times longer. */
  readonly baseDelay: Duration.DurationInput
  readonly factor: number
  /** No single delay is longer than this. */
  readonly maxDelay: Duration.DurationInput
  /** Spread each delay randomly over 80%..120% so that clients do not retry in step. */
  readonly jitter: boolean
}

/**
 * The retry options in force, per backend kind. A `Context.Reference`: it has defaults (those
 * of the seeds) and a program overrides them with `RetryPolicy.layerConfig` or, in code,
 * `RetryPolicy.layer` (checked; `Layer.succeed(RetryPolicy, ...)` takes the options unchecked).
 *
 * @since 0.1.0
 * @category tags
 */
export class RetryPolicy extends Context.Reference<RetryPolicy>()("effect-dao/RetryPolicy", {
  defaultValue: (): { readonly sql: RetryOptions; readonly redis: RetryOptions } => ({
    sql: { retries: 2, baseDelay: "100 millis", factor: 2, maxDelay: "5 seconds", jitter: true },
    redis: { retries: 3, baseDelay: "50 millis", factor: 2, maxDelay: "2 seconds", jitter: true }
  })
}) {
  /**
   * Reads `SQL_RETRIES`, `SQL_RETRY_BASE_DELAY`, `REDIS_RETRIES`, `REDIS_RETRY_BASE_DELAY`
   * (durations such as `100 millis`), keeping the defaults for what is not set.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerConfig: Layer.Layer<RetryPolicy, ConfigError.ConfigError> = Layer.effect(
    RetryPolicy,
    Effect.gen(function*() {
      const defaults = RetryPolicy.defaultValue()
      const read = (prefix: string, base: RetryOptions) =>
        Config.all({
          retries: Config.integer(`${prefix}_RETRIES`).pipe(
            Config.validate({ message: "must be between 0 and 20", validation: (n) => n >= 0 && n <= 20 }),
            Config.withDefault(base.retries)
          ),
          // A delay past a Node timer's 24 days would fire at once.
          baseDelay: Durations.timeoutConfig(`${prefix}_RETRY_BASE_DELAY`).pipe(
            Config.withDefault(Duration.decode(base.baseDelay))
          )
        }).pipe(Config.map((read): RetryOptions => ({ ...base, ...read })))
      return {
        sql: yield* read("SQL", defaults.sql),
        redis: yield* read("REDIS", defaults.redis)
      }
    })
  )

  /**
   * A policy given in code, each kind's options over the defaults, checked (a bad one is a
   * `ValidationError` naming it, where `Layer.succeed(RetryPolicy, ...)` with a delay that is no
   * duration made the first retry a defect): `retries` a whole number from 0 to 20, `baseDelay`
   * and `maxDelay` durations of more than nothing and at most 24 days, `factor` a finite number
   * of at least 1.
   *
   * @example
   * Layer.provide(program, RetryPolicy.layer({ sql: { retries: 5, baseDelay: "200 millis" } }))
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer = (options: {
    readonly sql?: Partial<RetryOptions> | undefined
    readonly redis?: Partial<RetryOptions> | undefined
  }): Layer.Layer<RetryPolicy, ValidationError> => {
    const defaults = RetryPolicy.defaultValue()
    const kind = (name: "sql" | "redis") => checkedOptions(name, { ...defaults[name], ...options[name] })
    return Either.match(Either.all({ sql: kind("sql"), redis: kind("redis") }), {
      onLeft: (error) => Layer.fail(error),
      onRight: (policy) => Layer.succeed(RetryPolicy, policy)
    })
  }
}

/** One kind's retry options, checked as `RetryPolicy.layer` documents. */
const checkedOptions = (kind: "sql" | "redis", options: RetryOptions): Either.Either<RetryOptions, ValidationError> =>
  Either.gen(function*() {
    if (!(Number.isInteger(options.retries) && options.retries >= 0 && options.retries <= 20)) {
      return yield* Either.left(
        new ValidationError({ field: `${kind}.retries`, detail: "must be a whole number from 0 to 20" })
      )
    }
    if (!(Number.isFinite(options.factor) && options.factor >= 1)) {
      return yield* Either.left(
        new ValidationError({ field: `${kind}.factor`, detail: "must be a finite number of at least 1" })
      )
    }
    if (typeof options.jitter !== "boolean") {
      return yield* Either.left(new ValidationError({ field: `${kind}.jitter`, detail: "must be true or false" }))
    }
    const baseDelay = yield* Durations.timeout(options.baseDelay, `${kind}.baseDelay`)
    const maxDelay = yield* Durations.timeout(options.maxDelay, `${kind}.maxDelay`)
    return { ...options, baseDelay, maxDelay }
  })

/**
 * How long a policy's retries wait in all, without jitter: the sum of its capped delays.
 *
 * @since 0.1.0
 * @category schedules
 */
export const totalDelay = (options: RetryOptions): Duration.Duration => {
  const base = Duration.toMillis(Duration.decode(options.baseDelay))
  const max = Duration.toMillis(Duration.decode(options.maxDelay))
  let total = 0
  for (let i = 0; i < options.retries; i++) total += Math.min(base * options.factor ** i, max)
  return Duration.millis(total)
}

/**
 * The schedule of a retry policy: exponential, capped, optionally jittered, bounded.
 *
 * @since 0.1.0
 * @category schedules
 */
export const schedule = (options: RetryOptions): Schedule.Schedule<unknown> => {
  const maxDelay = Duration.decode(options.maxDelay)
  const exponential = Schedule.exponential(options.baseDelay, options.factor)
  // Capped after the jitter, which would otherwise take a capped delay up to 20% past the cap.
  const capped = (options.jitter ? Schedule.jittered(exponential) : exponential).pipe(
    Schedule.modifyDelay((delay) => Duration.min(delay, maxDelay))
  )
  return Schedule.intersect(capped, Schedule.recurs(options.retries))
}

/**
 * Retries an effect per the policy for its backend kind, but only while the failure is
 * transient (`isTransient`, or the narrower `retryable` given): a unique violation or bad
 * credentials fail at once. Each retry is counted (`Metrics.retries`) and logged with the
 * failure's message: a warning for SQL, a debug line for Redis, whose only retrier, the cache,
 * reports each outage once as a warning of its own.
 *
 * @since 0.1.0
 * @category combinators
 */
export const retrying =
  (kind: "sql" | "redis", retryable: (error: unknown) => boolean = isTransient) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    // The schedule is built only once a first attempt has failed transiently: the common case, a
    // success, then costs one `catchIf` instead of a schedule and its driver per call.
    Effect.catchIf(self, retryable, (first) =>
      Effect.flatMap(RetryPolicy, (policy) =>
        Effect.flatMap(Schedule.driver(schedule(policy[kind])), (driver) => {
          let attempt = 0
          const again = (error: E): Effect.Effect<A, E, R> =>
            Effect.matchEffect(driver.next(error), {
              onFailure: () =>
                Effect.fail(error),
              onSuccess: () => {
                attempt += 1
                return (kind === "sql" ? Effect.logWarning : Effect.logDebug)(
                  `${kind} retry ${attempt} of ${policy[kind].retries} after: ${messageOf(error)}`
                ).pipe(
                  Effect.zipRight(Metrics.retried(kind, error)),
                  Effect.zipRight(Effect.catchIf(self, retryable, again))
                )
              }
            })
          return again(first)
        })))

/** A typed error's message (its detail scrubbed of secrets where it was made), else its reason. */
const messageOf = (error: unknown): string =>
  error instanceof Error && typeof (error as { readonly _tag?: unknown })._tag === "string"
    ? error.message
    : Metrics.reasonOf(error)

/**
 * The first statement of a transaction (or savepoint) after which the backend rolled it back,
 * and the transaction enclosing it (for a savepoint).
 */
class Aborted {
  failure: BackendError | undefined = undefined
  constructor(readonly enclosing: Aborted | undefined) {}
  /** The failure that rolled back this transaction or one around it. */
  rolledBack(): BackendError | undefined {
    return this.failure ?? this.enclosing?.rolledBack()
  }
}

const currentAborted = FiberRef.unsafeMake<Aborted | undefined>(undefined)

/**
 * Whether a failed statement has rolled back the transaction it ran in, whatever the caller does
 * next: on PostgreSQL any statement that fails on the server aborts its transaction (the next
 * ones fail, and its COMMIT answers ROLLBACK without an error), and so does one whose connection
 * failed (only an open breaker sent nothing); elsewhere a deadlock or a serialization failure
 * rolls back the whole transaction (later statements then run on their own).
 */
const abortsTransaction = (backend: Backend, error: BackendError): boolean =>
  error instanceof DataAccessError
    ? error.reason !== "Decode" &&
      (backend === "postgres" || error.reason === "Deadlock" || error.reason === "SerializationFailure")
    : backend === "postgres" && error.reason !== "CircuitOpen"

/**
 * Notes a statement that failed inside a `transaction`: if the backend rolled the transaction
 * back at it, the transaction (or savepoint) cannot succeed, even when the caller catches the
 * failure, and fails with it instead of reporting a COMMIT that applied nothing.
 *
 * @since 0.1.0
 * @category combinators
 */
export const statementFailed = (backend: Backend, error: BackendError): Effect.Effect<void> =>
  Effect.map(FiberRef.get(currentAborted), (aborted) => {
    if (aborted === undefined || !abortsTransaction(backend, error)) return
    // PostgreSQL rolls back to the savepoint; MySQL/MariaDB and SQL Server roll back the whole
    // transaction at a deadlock, savepoints and all.
    const whole = backend !== "postgres"
    for (let level: Aborted | undefined = aborted; level !== undefined; level = whole ? level.enclosing : undefined) {
      if (level.failure === undefined) level.failure = error
    }
  })

/**
 * The failure that rolled back the current transaction (or one around its savepoint), if one
 * did: a statement sent after it would fail on PostgreSQL, and on MySQL/MariaDB run on its own,
 * outside any transaction, and stay when the transaction is tried again.
 *
 * @since 0.1.0
 * @category combinators
 */
export const rolledBack: Effect.Effect<BackendError | undefined> = Effect.map(
  FiberRef.get(currentAborted),
  (aborted) => aborted?.rolledBack()
)

/**
 * Runs `effect` in a transaction, retrying the whole transaction (after its rollback) when it
 * fails transiently: serialization failure, deadlock, lock timeout, lost connection. Inside an
 * enclosing transaction it becomes a savepoint and is not retried on its own (the outer one is).
 *
 * A COMMIT that fails is not a defect here: a serialization failure reported at COMMIT means the
 * transaction was rolled back and is retried; any other COMMIT failure (a connection lost
 * mid-commit) is a `ConnectionError` with reason `CommitOutcomeUnknown`, because the write may
 * or may not have been applied.
 *
 * A statement run by `Sql.run` that the backend rolled the transaction back at (any failed
 * statement on PostgreSQL; a deadlock or serialization failure elsewhere) fails the transaction
 * with its error even when `effect` catches it and succeeds: PostgreSQL would answer the COMMIT
 * with a silent ROLLBACK. Inside a savepoint it fails the savepoint, whose rollback leaves the
 * enclosing transaction usable.
 *
 * @since 0.1.0
 * @category combinators
 */
export const transaction = (context: ErrorContext) =>
<A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | ConnectionError | DataAccessError, R | SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const enclosing = yield* Effect.serviceOption(SqlClient.TransactionConnection)
    const toTyped = classify({ ...context, operation: `${context.operation} (transaction)` })
    const once = Effect.gen(function*() {
      // Whether the work itself failed tells a failed ROLLBACK (nothing applied) from a failed COMMIT.
      const workExit = yield* Ref.make<Option.Option<Exit.Exit<A, E | BackendError>>>(Option.none())
      const aborted = new Aborted(yield* FiberRef.get(currentAborted))
      const work = Effect.flatMap(
        Effect.locally(effect, currentAborted, aborted),
        (value) => {
          const failure = aborted.rolledBack()
          return failure === undefined ? Effect.succeed(value) : Effect.fail(failure)
        }
      )
      const tracked = Effect.onExit(work, (exit) => Ref.set(workExit, Option.some(exit)))
      return yield* sql.withTransaction(tracked).pipe(
        // @effect/sql turns a failed COMMIT or ROLLBACK into a defect; only those are caught here.
        Effect.catchSomeDefect((defect) => {
          if (!(defect instanceof SqlError)) return Option.none()
          return Option.some(Effect.flatMap(Ref.get(workExit), (exit) => settle(defect, exit)))
        }),
        Effect.catchTag("SqlError", (error) => Effect.fail(toTyped(error)))
      )
    })
    const settle = <A, E>(
      defect: SqlError,
      work: Option.Option<Exit.Exit<A, E>>
    ): Effect.Effect<never, E | SqlError | ConnectionError | DataAccessError> => {
      // The work failed and its ROLLBACK could not be sent: the server discards the transaction.
      if (Option.isSome(work) && Exit.isFailure(work.value)) return Effect.failCause(work.value.cause)
      const typed = toTyped(defect)
      // The server answered the COMMIT with an error: the transaction was rolled back.
      if (typed instanceof DataAccessError) return Effect.fail(typed)
      return Effect.fail(
        new ConnectionError({
          backend: context.backend,
          operation: `${context.operation} (commit)`,
          reason: "CommitOutcomeUnknown",
          table: context.table,
          target: context.target,
          code: typed.code,
          detail: `the connection failed at COMMIT; the transaction may or may not have been applied: ${typed.detail}`
        })
      )
    }
    return yield* (Option.isSome(enclosing) ? once : retrying("sql")(once))
  })

// ---------------------------------------------------------------------------------------------
// Circuit breaker
// ---------------------------------------------------------------------------------------------

/**
 * Where a breaker stands.
 *
 * @since 0.1.0
 * @category models
 */
export type BreakerState =
  | { readonly _tag: "Closed"; readonly failures: number }
  /** `openedAt`: the clock's monotonic time in milliseconds (`Clock.currentTimeNanos`), not an epoch time. */
  | { readonly _tag: "Open"; readonly openedAt: number }
  | { readonly _tag: "HalfOpen"; readonly probing: boolean }

/**
 * @since 0.1.0
 * @category models
 */
export interface CircuitBreakerOptions {
  readonly backend: Backend
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold?: number | undefined
  /** How long the circuit stays open before one probe is let through. */
  readonly resetTimeout?: Duration.DurationInput | undefined
  /**
   * Which failures count against the backend; by default connection failures and statements with
   * no answer within their timeout (`QueryTimeout`), which prove nothing answered.
   */
  readonly isFailure?: ((error: unknown) => boolean) | undefined
}

/**
 * A circuit breaker for one backend.
 *
 * @since 0.1.0
 * @category models
 */
export interface CircuitBreaker {
  readonly backend: Backend
  readonly state: Effect.Effect<BreakerState>
  /** Runs `self` unless the circuit is open, in which case it fails at once with a `ConnectionError`. */
  readonly protect: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E | ConnectionError, R>
}

type Admission = "run" | "probe" | "reject"

/**
 * The clock's monotonic time in milliseconds: the wall clock (`currentTimeMillis`) steps when
 * the system time is set, and a step back kept a circuit open for as long past its reset timeout.
 */
const monotonicMillis: Effect.Effect<number> = Effect.map(
  Clock.currentTimeNanos,
  (nanos) => Number(nanos / 1_000_000n)
)

/**
 * A lost or refused connection, or a statement that timed out: a stalled server answers every
 * statement so, and a timed-out probe must not close the circuit as if the server had answered.
 */
const againstBackend = (error: unknown): boolean =>
  error instanceof ConnectionError || (error instanceof DataAccessError && error.reason === "QueryTimeout")

/**
 * Creates a breaker: closed -> open after `failureThreshold` consecutive failures (default 5);
 * open -> half-open after `resetTimeout` (default 30 seconds), when one probe is let through;
 * a successful probe closes it, a failed one opens it again.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeCircuitBreaker = (options: CircuitBreakerOptions): Effect.Effect<CircuitBreaker> =>
  Effect.gen(function*() {
    const threshold = options.failureThreshold ?? 5
    const resetMillis = Duration.toMillis(options.resetTimeout ?? "30 seconds")
    const isFailure = options.isFailure ?? againstBackend
    const ref = yield* Ref.make<BreakerState>({ _tag: "Closed", failures: 0 })

    const admit = (now: number) =>
      Ref.modify(ref, (state): [Admission, BreakerState] => {
        switch (state._tag) {
          case "Closed":
            return ["run", state]
          case "Open":
            return now - state.openedAt >= resetMillis
              ? ["probe", { _tag: "HalfOpen", probing: true }]
              : ["reject", state]
          case "HalfOpen":
            return state.probing ? ["reject", state] : ["probe", { _tag: "HalfOpen", probing: true }]
        }
      })

    type Outcome = "healthy" | "failed" | "undecided"

    const outcomeOf = <A, E>(exit: Exit.Exit<A, E>): Outcome => {
      if (Exit.isSuccess(exit)) return "healthy"
      const failure = Cause.failureOption(exit.cause)
      // An interruption, or a defect (a bug of the caller's or the driver's), says nothing of the
      // backend: it neither closes a half-open circuit nor resets the count of failures.
      if (Option.isNone(failure)) return "undecided"
      // A failure that says nothing about the backend (a unique violation) still proves it answered.
      return isFailure(failure.value) ? "failed" : "healthy"
    }

    const record = (admission: Admission, outcome: Outcome, now: number) =>
      Ref.update(ref, (state): BreakerState => {
        switch (outcome) {
          case "healthy":
            return { _tag: "Closed", failures: 0 }
          case "undecided":
            return admission === "probe" ? { _tag: "HalfOpen", probing: false } : state
          case "failed": {
            if (admission === "probe") return { _tag: "Open", openedAt: now }
            if (state._tag !== "Closed") return state
            const failures = state.failures + 1
            return failures >= threshold ? { _tag: "Open", openedAt: now } : { _tag: "Closed", failures }
          }
        }
      })

    const rejected = new ConnectionError({
      backend: options.backend,
      operation: "circuit breaker",
      reason: "CircuitOpen",
      detail: "the backend failed repeatedly; calls fail fast until the reset timeout has passed"
    })

    const closed: BreakerState = { _tag: "Closed", failures: 0 }
    const afterClosed = <A, E>(exit: Exit.Exit<A, E>) =>
      Exit.isSuccess(exit)
        ? Ref.set(ref, closed)
        : Effect.flatMap(monotonicMillis, (now) => record("run", outcomeOf(exit), now))

    // While closed (nearly always) no clock is read and no state changes before the call.
    const protect = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | ConnectionError, R> =>
      Effect.flatMap(
        Ref.get(ref),
        (state) => state._tag === "Closed" ? Effect.onExit(self, afterClosed) : guarded(self)
      )

    // Admitted and its outcome's recording installed in one uninterruptible step: a probe
    // interrupted between the two left the circuit half-open with a probe that never ends, and
    // every later call was refused.
    const guarded = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | ConnectionError, R> =>
      Effect.uninterruptibleMask((restore) => {
        const admitted = (admission: Admission): Effect.Effect<A, E | ConnectionError, R> =>
          admission === "reject" ? Effect.fail(rejected) : Effect.onExit(
            restore(self),
            (exit) => Effect.flatMap(monotonicMillis, (now) => record(admission, outcomeOf(exit), now))
          )
        return Effect.flatMap(Effect.flatMap(monotonicMillis, admit), admitted)
      })

    return { backend: options.backend, state: Ref.get(ref), protect }
  })
