/**
 * A layer's release that a statement in flight would hold: how long closing its scope takes.
 */
import { assert } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"

/**
 * Starts `inFlight` (a statement the server never answers), closes `scope` while it waits, and
 * asserts that the close gave up on the pool after its 5 seconds, not before and not much after.
 */
export const givesUpAfterFiveSeconds = (scope: Scope.CloseableScope, inFlight: Effect.Effect<unknown, unknown>) =>
  Effect.gen(function*() {
    yield* Effect.forkDaemon(inFlight)
    yield* Effect.sleep("200 millis")
    const started = Date.now()
    yield* Scope.close(scope, Exit.void)
    const elapsed = Date.now() - started
    assert.isAtLeast(elapsed, 4_500)
    assert.isBelow(elapsed, 7_000)
  })
