import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import type * as Scheduler from "effect/Scheduler"
import * as TestClock from "effect/TestClock"
import { vi } from "vitest"
import { ConnectionError, DataAccessError } from "../../src/errors.js"
import { makeCircuitBreaker, retrying, RetryPolicy } from "../../src/layers/Resilience.js"

const refused = new ConnectionError({ backend: "postgres", operation: "t", reason: "Refused", detail: "refused" })
const duplicate = new DataAccessError({ backend: "postgres", operation: "t", reason: "UniqueViolation", detail: "dup" })

/** An effect that fails `failures` times with `error`, recording when each attempt started. */
const flaky = (error: ConnectionError | DataAccessError, failures: number) =>
  Effect.gen(function*() {
    const attempts = yield* Ref.make<Array<number>>([])
    const effect = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const made = yield* Ref.updateAndGet(attempts, (list) => [...list, now])
      if (made.length <= failures) return yield* Effect.fail(error)
      return "done"
    })
    return { attempts, effect }
  })

const exact = RetryPolicy.defaultValue()
const noJitter = {
  sql: { ...exact.sql, jitter: false },
  redis: { ...exact.redis, jitter: false }
}

describe("RetryPolicy", () => {
  it.effect("RetryPolicy.layer takes a kind's options over the defaults, and refuses bad ones naming them", () =>
    Effect.gen(function*() {
      const { attempts, effect } = yield* flaky(refused, 10)
      const fiber = yield* Effect.fork(
        Effect.either(retrying("sql")(effect)).pipe(
          Effect.provide(RetryPolicy.layer({ sql: { retries: 4, jitter: false } }))
        )
      )
      yield* TestClock.adjust("1 minute")
      assert.isTrue(Either.isLeft(yield* Fiber.join(fiber)))
      assert.deepStrictEqual(yield* Ref.get(attempts), [0, 100, 300, 700, 1500])
      const policy = yield* RetryPolicy.pipe(Effect.provide(RetryPolicy.layer({ redis: { retries: 0 } })))
      assert.strictEqual(policy.redis.retries, 0)
      assert.strictEqual(policy.sql.retries, exact.sql.retries)
      const cases: ReadonlyArray<readonly [string, Parameters<typeof RetryPolicy.layer>[0]]> = [
        ["sql.retries", { sql: { retries: -1 } }],
        ["sql.retries", { sql: { retries: 1.5 } }],
        ["redis.retries", { redis: { retries: 21 } }],
        ["sql.baseDelay", { sql: { baseDelay: "abc" as never } }],
        ["sql.baseDelay", { sql: { baseDelay: "30 days" } }],
        ["redis.maxDelay", { redis: { maxDelay: 0 } }],
        ["sql.factor", { sql: { factor: 0.5 } }],
        ["sql.factor", { sql: { factor: Number.NaN } }]
      ]
      for (const [field, options] of cases) {
        const error = yield* Effect.flip(Effect.scoped(Layer.build(RetryPolicy.layer(options))))
        assert.strictEqual(error.field, field, JSON.stringify(options))
      }
      // From the environment: a base delay past a Node timer's 24 days is refused as well.
      const read = yield* Effect.either(
        Effect.scoped(Layer.build(RetryPolicy.layerConfig)).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["SQL_RETRY_BASE_DELAY", "30 days"]])))
        )
      )
      assert.isTrue(Either.isLeft(read) && String(read.left).includes("SQL_RETRY_BASE_DELAY"))
    }))

  it.effect("SQL: 2 retries with exponential delays, then the error", () =>
    Effect.gen(function*() {
      const { attempts, effect } = yield* flaky(refused, 10)
      const fiber = yield* Effect.fork(retrying("sql")(effect).pipe(Effect.provideService(RetryPolicy, noJitter)))
      yield* TestClock.adjust("10 seconds")
      const exit = yield* Fiber.join(fiber).pipe(Effect.flip)
      assert.strictEqual(exit, refused)
      assert.deepStrictEqual(yield* Ref.get(attempts), [0, 100, 300])
    }))

  it.effect("Redis: 3 retries by default", () =>
    Effect.gen(function*() {
      const { attempts, effect } = yield* flaky(refused, 10)
      const fiber = yield* Effect.fork(retrying("redis")(effect).pipe(Effect.provideService(RetryPolicy, noJitter)))
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(fiber).pipe(Effect.flip)
      assert.deepStrictEqual(yield* Ref.get(attempts), [0, 50, 150, 350])
    }))

  it.effect("recovers when a retry succeeds", () =>
    Effect.gen(function*() {
      const { attempts, effect } = yield* flaky(refused, 1)
      const fiber = yield* Effect.fork(retrying("sql")(effect))
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(yield* Fiber.join(fiber), "done")
      assert.strictEqual((yield* Ref.get(attempts)).length, 2)
    }))

  it.effect("does not retry what is not transient", () =>
    Effect.gen(function*() {
      const { attempts, effect } = yield* flaky(duplicate, 10)
      const fiber = yield* Effect.fork(retrying("sql")(effect))
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(yield* Fiber.join(fiber).pipe(Effect.flip), duplicate)
      assert.strictEqual((yield* Ref.get(attempts)).length, 1)
    }))

  it.effect("does not retry bad credentials", () =>
    Effect.gen(function*() {
      const auth = new ConnectionError({ backend: "mysql", operation: "t", reason: "AuthFailed", detail: "denied" })
      const { attempts, effect } = yield* flaky(auth, 10)
      const fiber = yield* Effect.fork(retrying("sql")(effect))
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(fiber).pipe(Effect.flip)
      assert.strictEqual((yield* Ref.get(attempts)).length, 1)
    }))

  it.effect("jitter keeps each delay within 80%..120% of the exponential one", () =>
    Effect.gen(function*() {
      const { attempts, effect } = yield* flaky(refused, 10)
      const policy = {
        ...exact,
        sql: { ...exact.sql, retries: 5, baseDelay: "1 second" as const, maxDelay: "1 hour" as const }
      }
      const fiber = yield* Effect.fork(retrying("sql")(effect).pipe(Effect.provideService(RetryPolicy, policy)))
      yield* TestClock.adjust("1 hour")
      yield* Fiber.join(fiber).pipe(Effect.flip)
      const times = yield* Ref.get(attempts)
      assert.strictEqual(times.length, 6)
      times.slice(1).forEach((time, i) => {
        const delay = time - times[i]!
        const nominal = 1000 * 2 ** i
        assert.isAtLeast(delay, nominal * 0.8)
        assert.isAtMost(delay, nominal * 1.2)
      })
    }))

  it.effect("with jitter, no delay is longer than maxDelay either", () =>
    Effect.gen(function*() {
      const { attempts, effect } = yield* flaky(refused, 10)
      const policy = {
        ...exact,
        sql: { ...exact.sql, retries: 6, baseDelay: "1 second" as const, maxDelay: "2 seconds" as const }
      }
      const fiber = yield* Effect.fork(retrying("sql")(effect).pipe(Effect.provideService(RetryPolicy, policy)))
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber).pipe(Effect.flip)
      const times = yield* Ref.get(attempts)
      assert.strictEqual(times.length, 7)
      times.slice(1).forEach((time, i) => assert.isAtMost(time - times[i]!, 2000))
    }))

  it.effect("caps a delay at maxDelay", () =>
    Effect.gen(function*() {
      const { attempts, effect } = yield* flaky(refused, 10)
      const policy = {
        ...noJitter,
        sql: { ...noJitter.sql, retries: 4, baseDelay: "1 second" as const, maxDelay: "3 seconds" as const }
      }
      const fiber = yield* Effect.fork(retrying("sql")(effect).pipe(Effect.provideService(RetryPolicy, policy)))
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber).pipe(Effect.flip)
      assert.deepStrictEqual(yield* Ref.get(attempts), [0, 1000, 3000, 6000, 9000])
    }))
})

describe("CircuitBreaker", () => {
  const counting = Effect.gen(function*() {
    const runs = yield* Ref.make(0)
    const call = <A, E>(effect: Effect.Effect<A, E>) => Effect.zipRight(Ref.update(runs, (n) => n + 1), effect)
    return { runs, call }
  })

  it.effect("closed -> open after the threshold, fails fast, half-open after the reset timeout, closes on success", () =>
    Effect.gen(function*() {
      const breaker = yield* makeCircuitBreaker({
        backend: "postgres",
        failureThreshold: 3,
        resetTimeout: "10 seconds"
      })
      const { call, runs } = yield* counting
      for (let i = 0; i < 3; i++) yield* Effect.flip(breaker.protect(call(Effect.fail(refused))))
      assert.strictEqual((yield* breaker.state)._tag, "Open")
      const fast = yield* Effect.flip(breaker.protect(call(Effect.succeed(1))))
      assert.instanceOf(fast, ConnectionError)
      assert.strictEqual((fast as ConnectionError).reason, "CircuitOpen")
      assert.strictEqual(yield* Ref.get(runs), 3, "an open circuit does not run the call")
      yield* TestClock.adjust("9 seconds")
      yield* Effect.flip(breaker.protect(call(Effect.succeed(1))))
      assert.strictEqual(yield* Ref.get(runs), 3)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* breaker.protect(call(Effect.succeed(1))), 1)
      assert.deepStrictEqual(yield* breaker.state, { _tag: "Closed", failures: 0 })
    }))

  it.effect("a failed probe opens the circuit again for another reset timeout", () =>
    Effect.gen(function*() {
      const breaker = yield* makeCircuitBreaker({ backend: "redis", failureThreshold: 1, resetTimeout: "5 seconds" })
      yield* Effect.flip(breaker.protect(Effect.fail(refused)))
      yield* TestClock.adjust("5 seconds")
      yield* Effect.flip(breaker.protect(Effect.fail(refused)))
      const state = yield* breaker.state
      assert.strictEqual(state._tag, "Open")
      assert.strictEqual(state._tag === "Open" && state.openedAt, 5000)
    }))

  it.effect("while half-open only one probe runs; others fail fast", () =>
    Effect.gen(function*() {
      const breaker = yield* makeCircuitBreaker({ backend: "redis", failureThreshold: 1, resetTimeout: "5 seconds" })
      yield* Effect.flip(breaker.protect(Effect.fail(refused)))
      yield* TestClock.adjust("5 seconds")
      const probe = yield* Effect.fork(breaker.protect(Effect.as(Effect.sleep("1 second"), "probe")))
      yield* Effect.yieldNow()
      const other = yield* Effect.flip(breaker.protect(Effect.succeed("other")))
      assert.strictEqual((other as ConnectionError).reason, "CircuitOpen")
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(probe), "probe")
      assert.strictEqual((yield* breaker.state)._tag, "Closed")
    }))

  it.effect("a probe interrupted as it is admitted lets the next call probe; the circuit is not left half-open", () =>
    Effect.gen(function*() {
      const breaker = yield* makeCircuitBreaker({ backend: "postgres", failureThreshold: 1, resetTimeout: "5 seconds" })
      yield* Effect.flip(breaker.protect(Effect.fail(refused)))
      yield* TestClock.adjust("5 seconds")
      let caller: unknown = undefined
      let holding = true
      const held: Array<Scheduler.Task> = []
      const probing = () => {
        const state = Effect.runSync(breaker.state)
        return state._tag === "HalfOpen" && state.probing
      }
      // The probe's fiber yields once, at its first step after it was admitted.
      const scheduler: Scheduler.Scheduler = {
        shouldYield: (fiber) => fiber === caller && holding && held.length === 0 && probing() ? 0 : false,
        scheduleTask: (task) => {
          if (holding) held.push(task)
          else setTimeout(task, 0)
        }
      }
      const probe = yield* Effect.fork(Effect.withScheduler(
        Effect.zipRight(
          Effect.withFiberRuntime((fiber) => Effect.sync(() => (caller = fiber))),
          breaker.protect(Effect.never)
        ),
        scheduler
      ))
      for (let i = 0; i < 100 && held.length === 0; i++) yield* Effect.yieldNow()
      assert.strictEqual(held.length, 1, "the probe yielded once admitted")
      yield* Fiber.interruptFork(probe)
      yield* Effect.yieldNow()
      holding = false
      held.splice(0).forEach((task) => task())
      yield* Fiber.await(probe)
      assert.strictEqual(yield* breaker.protect(Effect.succeed("next")), "next")
      assert.deepStrictEqual(yield* breaker.state, { _tag: "Closed", failures: 0 })
    }))

  it.live("the reset timeout is measured on a monotonic clock: the system time set back does not prolong it", () =>
    Effect.gen(function*() {
      const breaker = yield* makeCircuitBreaker({ backend: "postgres", failureThreshold: 1, resetTimeout: "50 millis" })
      yield* Effect.flip(breaker.protect(Effect.fail(refused)))
      const now = Date.now()
      const setBack = vi.spyOn(Date, "now").mockImplementation(() => now - 3_600_000)
      const probe = yield* Effect.sleep("80 millis").pipe(
        Effect.zipRight(Effect.either(breaker.protect(Effect.succeed("probe")))),
        Effect.ensuring(Effect.sync(() => setBack.mockRestore()))
      )
      assert.deepStrictEqual(probe, Either.right("probe"))
      assert.deepStrictEqual(yield* breaker.state, { _tag: "Closed", failures: 0 })
    }))

  it.effect("a defect says nothing of the backend: it neither resets the count nor closes a half-open circuit", () =>
    Effect.gen(function*() {
      const breaker = yield* makeCircuitBreaker({ backend: "postgres", failureThreshold: 2, resetTimeout: "5 seconds" })
      yield* Effect.flip(breaker.protect(Effect.fail(refused)))
      yield* Effect.exit(breaker.protect(Effect.die(new TypeError("a bug"))))
      assert.deepStrictEqual(yield* breaker.state, { _tag: "Closed", failures: 1 })
      yield* Effect.flip(breaker.protect(Effect.fail(refused)))
      assert.strictEqual((yield* breaker.state)._tag, "Open")
      yield* TestClock.adjust("5 seconds")
      yield* Effect.exit(breaker.protect(Effect.die(new TypeError("a bug"))))
      assert.deepStrictEqual(yield* breaker.state, { _tag: "HalfOpen", probing: false })
      assert.strictEqual(yield* breaker.protect(Effect.succeed("probe")), "probe")
      assert.deepStrictEqual(yield* breaker.state, { _tag: "Closed", failures: 0 })
    }))

  it.effect("failures that prove the backend answered do not count", () =>
    Effect.gen(function*() {
      const breaker = yield* makeCircuitBreaker({ backend: "postgres", failureThreshold: 2 })
      for (let i = 0; i < 5; i++) yield* Effect.flip(breaker.protect(Effect.fail(duplicate)))
      assert.deepStrictEqual(yield* breaker.state, { _tag: "Closed", failures: 0 })
    }))

  it.effect("statements that time out count against the backend; a probe that times out opens the circuit again", () =>
    Effect.gen(function*() {
      const timedOut = new DataAccessError({
        backend: "postgres",
        operation: "t",
        reason: "QueryTimeout",
        detail: "no answer within 30 seconds"
      })
      const breaker = yield* makeCircuitBreaker({ backend: "postgres", failureThreshold: 2, resetTimeout: "5 seconds" })
      for (let i = 0; i < 2; i++) yield* Effect.flip(breaker.protect(Effect.fail(timedOut)))
      assert.strictEqual((yield* breaker.state)._tag, "Open")
      yield* TestClock.adjust("5 seconds")
      yield* Effect.flip(breaker.protect(Effect.fail(timedOut)))
      const state = yield* breaker.state
      assert.strictEqual(state._tag, "Open")
      assert.strictEqual(state._tag === "Open" && state.openedAt, 5000)
    }))

  it.effect("a success resets the count of consecutive failures", () =>
    Effect.gen(function*() {
      const breaker = yield* makeCircuitBreaker({ backend: "postgres", failureThreshold: 2 })
      yield* Effect.flip(breaker.protect(Effect.fail(refused)))
      yield* breaker.protect(Effect.void)
      yield* Effect.flip(breaker.protect(Effect.fail(refused)))
      assert.deepStrictEqual(yield* breaker.state, { _tag: "Closed", failures: 1 })
    }))
})
