/**
 * Spans for the hottest DAO calls.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Tracer from "effect/Tracer"

/** Effect's built-in tracer: it keeps spans in memory for their children and exports nothing. */
const nativeTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/**
 * A span around work that opens no spans of its own in this fiber (a batched read, whose query
 * runs in the batch's fiber): recorded through the tracer like any other span, with no stack
 * trace, but not made the parent of the work inside. `Effect.withSpan` copies the fiber's
 * context to install the span as parent, which on a cache hit or a batched point read was about
 * half of the call's cost.
 *
 * Under Effect's built-in tracer (no tracer installed, e.g. no OpenTelemetry layer) or with
 * tracing turned off, nothing could ever see such a span, since it is the parent of nothing and
 * is exported nowhere, so none is made (the built-in tracer draws 48 random hex digits per span),
 * and its attributes are not even gathered.
 *
 * @since 0.1.0
 * @category combinators
 */
export const leafSpan =
  (name: string, attributes: () => Record<string, unknown>, kind: Tracer.SpanKind = "internal") =>
  <A, E, R>(self: Effect.Effect<A, E, R>) =>
    Effect.withFiberRuntime<A, E, R>((fiber) => {
      // The fiber keeps its tracer at hand (refreshed whenever its services change).
      if (fiber.currentTracer === nativeTracer || !fiber.getFiberRef(FiberRef.currentTracerEnabled)) return self
      return Effect.flatMap(
        Effect.makeSpan(name, { attributes: attributes(), kind, captureStackTrace: false }),
        (span) => Effect.onExit(self, (exit) => Effect.map(Clock.currentTimeNanos, (now) => span.end(now, exit)))
      )
    })
