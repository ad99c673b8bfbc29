/**
 * Spans for the hottest DAO calls.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"

/**
 * A span around work that opens no spans of its own in this fiber (a batched read, whose query
 * runs in the batch's fiber): recorded through the tracer like any other span, with no stack
 * trace, but not made the parent of the work inside. `Effect.withSpan` copies the fiber's
 * context to install the span as parent, which on a cache hit or a batched point read was about
 * half of the call's cost.
 *
 * @since 0.1.0
 * @category combinators
 */
export const leafSpan =
  (name: string, attributes: Record<string, unknown>) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
    Effect.flatMap(
      Effect.makeSpan(name, { attributes, captureStackTrace: false }),
      (span) => Effect.onExit(self, (exit) => Effect.map(Clock.currentTimeNanos, (now) => span.end(now, exit)))
    )
