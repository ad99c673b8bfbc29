/**
 * A test run in another time zone than the process's: `TZ` set for the effect, put back after.
 */
import * as Effect from "effect/Effect"

/** Runs `effect` with the process in `zone` (an IANA name), putting the zone back however it ends. */
export const inZone = <A, E, R>(zone: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const before = process.env["TZ"]
  return Effect.acquireUseRelease(
    Effect.sync(() => void (process.env["TZ"] = zone)),
    () => effect,
    () =>
      Effect.sync(() => {
        if (before === undefined) delete process.env["TZ"]
        else process.env["TZ"] = before
      })
  )
}
