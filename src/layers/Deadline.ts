/**
 * A time bound on one statement or command, at the cost of one fiber and one Node timer.
 *
 * `Effect.timeoutFail` races the effect against a sleep in two fibers of their own; on the
 * batched point reads that was a third of the client's time per statement (bench/RESULTS.md).
 * Here the effect runs in one child fiber, started at once with the caller's services, span
 * and settings, and a timer interrupts it. Under a clock other than the live one (`TestClock`)
 * the bound is `Effect.timeoutFail`, so that the clock drives it; so it is for a duration longer
 * than a Node timer holds (about 24 days).
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"

const liveClock = Context.get(DefaultServices.liveServices, Clock.Clock)

/** The longest delay a Node timer keeps: a longer one fires at once. */
const maxTimerMillis = 2 ** 31 - 1

/**
 * Runs `self` within `duration`. Past it, `self` is interrupted, and once it has ended (its
 * interruption run: a cancel sent, a connection given back) the effect fails with `onTimeout()`,
 * unless `self` ended with its value before the interruption reached it. Interrupting the caller interrupts `self` and waits for
 * it, as `Effect.timeoutFail` does.
 *
 * @since 0.1.0
 * @category combinators
 */
export const deadline = <A, E, R, E1>(
  self: Effect.Effect<A, E, R>,
  options: { readonly duration: Duration.Duration; readonly onTimeout: () => E1 }
): Effect.Effect<A, E | E1, R> =>
  Effect.withFiberRuntime<A, E | E1, R>((parent, status) => {
    const millis = Duration.toMillis(options.duration)
    if (Context.get(parent.currentDefaultServices, Clock.Clock) !== liveClock || !(millis <= maxTimerMillis)) {
      return Effect.timeoutFail(self, options)
    }
    const runtime = Runtime.make({
      context: parent.currentContext as Context.Context<R>,
      fiberRefs: parent.getFiberRefs(),
      runtimeFlags: status.runtimeFlags
    })
    // The child is started and its interruption installed in one uninterruptible step: a caller
    // interrupted between the two (it may yield between any two steps) left the child running
    // unwatched, with no timer, a statement holding its connection to its end or forever.
    return Effect.uninterruptibleMask((restore) => {
      const child = Runtime.runFork(runtime)(self)
      let expired = false
      const timer = setTimeout(() => {
        expired = true
        child.unsafeInterruptAsFork(parent.id())
      }, millis)
      const awaited = Effect.async<A, E | E1>((resume) => {
        child.addObserver((exit) => {
          clearTimeout(timer)
          resume(expired && Exit.isFailure(exit) ? Effect.fail(options.onTimeout()) : exit)
        })
      })
      return Effect.onInterrupt(restore(awaited), () =>
        Effect.suspend(() => {
          clearTimeout(timer)
          return Fiber.interrupt(child)
        }))
    })
  })

/**
 * Waits at most `duration` for `self`, then gives up on it with `None`; for finalizers above all.
 * A release runs uninterruptibly, and an `Effect.timeoutOption` inside it could end its effect
 * only by interrupting it, which then waited for the effect to end: a pool whose end never came
 * held the scope's close forever. Here `self` runs interruptibly, so past `duration` it is left
 * (a promise under it runs on, unwatched) and the release goes on.
 *
 * @since 0.1.0
 * @category combinators
 */
export const atMost =
  (duration: Duration.DurationInput) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<Option.Option<A>, E, R> =>
    Effect.timeoutOption(Effect.interruptible(self), duration)

/**
 * Runs `self` in a scope of its own, whose close, when the caller's scope closes, is waited for at
 * most `duration`: for a driver's client made by a library with finalizers of its own (the mysql2
 * pool's end queues its `QUIT` behind a statement in flight, so a server that stopped answering
 * held the layer's release forever). A finalizer runs uninterruptibly, so `atMost` around the
 * close could not end it: the close runs in a fiber of its own, left to run on past `duration`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const releasedWithin =
  (duration: Duration.DurationInput) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, Scope.Scope> | Scope.Scope> =>
    Effect.flatMap(
      Effect.acquireRelease(
        Scope.make(),
        (scope, exit) =>
          Effect.flatMap(Effect.forkDaemon(Scope.close(scope, exit)), (close) => atMost(duration)(Fiber.await(close)))
      ),
      (scope) => Scope.extend(self, scope)
    )
