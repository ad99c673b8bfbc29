import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { leafSpan } from "../../src/layers/Tracing.js"
import { makeRecording, withRecording } from "../support/recording.js"

describe("leafSpan", () => {
  it.effect("is recorded, with its attributes and exit, by an installed tracer", () =>
    Effect.gen(function*() {
      const recording = makeRecording()
      const value = yield* withRecording(
        recording,
        Effect.succeed(42).pipe(leafSpan("Thing.read", () => ({ table: "things" }), "client"))
      )
      expect(value).toBe(42)
      const span = recording.spans.find((s) => s.name === "Thing.read")
      expect(span?.attributes.get("table")).toBe("things")
      expect(span !== undefined && Exit.isExit(span.exit) && Exit.isSuccess(span.exit)).toBe(true)
    }))

  it.effect("is not made, nor its attributes gathered, under the built-in tracer or with tracing off", () =>
    Effect.gen(function*() {
      let gathered = 0
      const attributes = () => {
        gathered += 1
        return { table: "things" }
      }
      expect(yield* Effect.succeed(1).pipe(leafSpan("Thing.read", attributes))).toBe(1)
      const recording = makeRecording()
      const off = yield* withRecording(
        recording,
        Effect.succeed(2).pipe(leafSpan("Thing.read", attributes), Effect.withTracerEnabled(false))
      )
      expect(off).toBe(2)
      expect(gathered).toBe(0)
      expect(recording.spans.some((s) => s.name === "Thing.read")).toBe(false)
    }))
})
