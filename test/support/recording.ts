/**
 * A tracer and a logger that keep everything they are given, so tests can search spans and log
 * lines (for secrets, for round trips).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"

export interface RecordedSpan {
  readonly name: string
  readonly attributes: Map<string, unknown>
  readonly events: Array<{ readonly name: string; readonly attributes: Record<string, unknown> | undefined }>
  exit: unknown
}

export interface Recording {
  readonly spans: Array<RecordedSpan>
  readonly logs: Array<string>
  readonly layer: Layer.Layer<never>
  /** Everything recorded, as one searchable text. */
  readonly text: () => string
}

export const makeRecording = (): Recording => {
  const spans: Array<RecordedSpan> = []
  const logs: Array<string> = []
  const tracer = Tracer.make({
    span(name, parent, context, links, startTime, kind) {
      const recorded: RecordedSpan = { name, attributes: new Map(), events: [], exit: undefined }
      spans.push(recorded)
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: Math.random().toString(16).slice(2),
        traceId: Option.isSome(parent) ? parent.value.traceId : Math.random().toString(16).slice(2),
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes: recorded.attributes,
        links,
        sampled: true,
        kind,
        end(_endTime, exit) {
          recorded.exit = exit
        },
        attribute(key, value) {
          recorded.attributes.set(key, value)
        },
        event(eventName, _time, attributes) {
          recorded.events.push({ name: eventName, attributes })
        },
        addLinks() {}
      }
      return span
    },
    context: (f) => f()
  })
  const logger = Logger.make(({ annotations, cause, message }) => {
    logs.push(`${JSON.stringify(message)} ${String(cause)} ${JSON.stringify(Object.fromEntries(annotations))}`)
  })
  const layer = Layer.mergeAll(
    Layer.setTracer(tracer),
    Logger.replace(Logger.defaultLogger, logger)
  )
  const text = () =>
    [
      ...logs,
      ...spans.map((span) =>
        `${span.name} ${JSON.stringify(Object.fromEntries(span.attributes))} ${JSON.stringify(span.events)} ${
          safeString(span.exit)
        }`
      )
    ].join("\n")
  return { spans, logs, layer, text }
}

const safeString = (u: unknown): string => {
  try {
    return JSON.stringify(u) + String(u)
  } catch {
    return String(u)
  }
}

export const withRecording = <A, E, R>(recording: Recording, effect: Effect.Effect<A, E, R>) =>
  Effect.provide(effect, recording.layer)
