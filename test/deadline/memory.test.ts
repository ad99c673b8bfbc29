import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import type * as Scheduler from "effect/Scheduler"
import * as TestClock from "effect/TestClock"
import { deadline } from "../../src/layers/Deadline.js"

class Tenant extends Context.Tag("test/Tenant")<Tenant, string>() {}
const setting = FiberRef.unsafeMake("default")

const within = (millis: number) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  deadline(self, { duration: Duration.millis(millis), onTimeout: () => "timed out" as const })

describe("deadline", () => {
  it.live("a value, a failure and a defect within the bound pass through", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* within(1_000)(Effect.succeed(1)), 1)
      assert.strictEqual(yield* within(1_000)(Effect.sleep("5 millis").pipe(Effect.as(2))), 2)
      assert.strictEqual(yield* Effect.flip(within(1_000)(Effect.fail("bad"))), "bad")
      const exit = yield* Effect.exit(within(1_000)(Effect.die("boom")))
      assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause))
    }))

  it.live("past the bound the effect is interrupted, its finalizers run, then it fails with onTimeout", () =>
    Effect.gen(function*() {
      let finalized = false
      const started = Date.now()
      const error = yield* Effect.flip(
        within(50)(
          Effect.never.pipe(
            Effect.onInterrupt(() => Effect.sleep("20 millis").pipe(Effect.andThen(() => (finalized = true))))
          )
        )
      )
      assert.strictEqual(error, "timed out")
      assert.isTrue(finalized)
      assert.isAtLeast(Date.now() - started, 50)
      assert.isBelow(Date.now() - started, 1_000)
    }))

  it.live("an effect that cannot be interrupted is waited for, past the bound, before the failure", () =>
    Effect.gen(function*() {
      let ended = false
      const error = yield* Effect.flip(
        within(20)(Effect.uninterruptible(
          Effect.sleep("60 millis").pipe(Effect.andThen(() => (ended = true)))
        ))
      )
      assert.strictEqual(error, "timed out")
      assert.isTrue(ended)
    }))

  it.live("the effect sees the caller's services, fiber settings and span", () =>
    Effect.gen(function*() {
      const seen = yield* within(1_000)(
        Effect.all([Tenant, FiberRef.get(setting), Effect.currentSpan.pipe(Effect.map((span) => span.name))])
      ).pipe(
        Effect.provideService(Tenant, "acme"),
        Effect.locally(setting, "changed"),
        Effect.withSpan("caller")
      )
      assert.deepStrictEqual(seen, ["acme", "changed", "caller"])
    }))

  it.live("interrupting the caller interrupts the effect and waits for its finalizers", () =>
    Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      let finalized = false
      const caller = yield* Effect.fork(
        within(10_000)(
          Deferred.succeed(started, undefined).pipe(
            Effect.andThen(Effect.never),
            Effect.onInterrupt(() => Effect.sleep("20 millis").pipe(Effect.andThen(() => (finalized = true))))
          )
        )
      )
      yield* Deferred.await(started)
      const exit = yield* Fiber.interrupt(caller)
      assert.isTrue(Exit.isInterrupted(exit))
      assert.isTrue(finalized)
    }))

  it.live("a caller interrupted as it yields right after starting the effect still interrupts it", () =>
    Effect.gen(function*() {
      let started = false
      let finalized = false
      let caller: unknown = undefined
      let holding = true
      const held: Array<Scheduler.Task> = []
      // The caller yields once, at its first step after the effect has started, and waits there
      // until it has been interrupted.
      const scheduler: Scheduler.Scheduler = {
        shouldYield: (fiber) => fiber === caller && started && holding && held.length === 0 ? 0 : false,
        scheduleTask: (task) => {
          if (holding) held.push(task)
          else setTimeout(task, 0)
        }
      }
      const self = Effect.sync(() => (started = true)).pipe(
        Effect.andThen(Effect.never),
        Effect.onInterrupt(() => Effect.sync(() => (finalized = true)))
      )
      const fiber = yield* Effect.fork(Effect.withScheduler(
        Effect.zipRight(Effect.withFiberRuntime((fiber) => Effect.sync(() => (caller = fiber))), within(60_000)(self)),
        scheduler
      ))
      for (let i = 0; i < 100 && held.length === 0; i++) yield* Effect.yieldNow()
      assert.isTrue(started)
      assert.strictEqual(held.length, 1, "the caller yielded")
      yield* Fiber.interruptFork(fiber)
      yield* Effect.yieldNow()
      holding = false
      held.splice(0).forEach((task) => task())
      assert.isTrue(Exit.isInterrupted(yield* Fiber.await(fiber)))
      assert.isTrue(finalized, "the effect was interrupted, not left running")
    }))

  it.effect("under the TestClock, the clock drives the bound", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(within(1_000)(Effect.never))
      yield* TestClock.adjust("999 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 milli")
      assert.strictEqual(yield* Effect.flip(Fiber.join(fiber)), "timed out")
    }))
})
