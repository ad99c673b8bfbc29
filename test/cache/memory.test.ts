import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as CacheLayer from "../../src/layers/Cache.js"
import * as KeyPattern from "../../src/schemas/KeyPattern.js"
import { Cache } from "../../src/services/Cache.js"
import { suite } from "../contracts/Cache.js"
import { makeRecording } from "../support/recording.js"

suite("Cache contract: in-memory test layer", CacheLayer.CacheTest, { clock: "test" })
suite("Cache contract: in-memory test layer with a namespace", CacheLayer.layerTest({ namespace: "app:v2" }), {
  clock: "test"
})

describe("Cache spans and logs", () => {
  it.effect("every method runs in a span named after it, whose attributes hold the pattern and never a value", () => {
    const recording = makeRecording()
    return Effect.gen(function*() {
      const cache = yield* Cache
      const key = KeyPattern.user({ user_id: "id-SECRET-4711" })
      const Short = Schema.String.pipe(Schema.maxLength(5))
      yield* cache.set(key, Schema.String, "value-SECRET-0815")
      yield* cache.get(key, Schema.String)
      yield* cache.getOrSet(KeyPattern.user({ user_id: "other-SECRET" }), Short, Effect.succeed("value-SECRET-0815"))
      const encodeError = yield* Effect.flip(cache.set(key, Short, "value-SECRET-0815"))
      expect(encodeError._tag).toBe("ValidationError")
      expect(encodeError.message).not.toContain("SECRET")
      yield* cache.invalidate(key)
      yield* cache.invalidatePrefix(KeyPattern.user({ user_id: "id-SECRET-4711" }))
      const names = recording.spans.map((span) => span.name)
      for (const name of ["Cache.get", "Cache.set", "Cache.getOrSet", "Cache.invalidate", "Cache.invalidatePrefix"]) {
        expect(names).toContain(name)
      }
      const cacheSpans = recording.spans.filter((span) => span.name.startsWith("Cache."))
      expect(cacheSpans.every((span) => span.attributes.get("cache.pattern") === "user:{user_id}")).toBe(true)
      const attributes = JSON.stringify(recording.spans.map((span) => Object.fromEntries(span.attributes)))
      expect(attributes).not.toContain("SECRET")
      // The loader's value did not encode: it was returned, not stored, and the log says so without it.
      expect(recording.logs.some((line) => line.includes("value not stored"))).toBe(true)
      expect(recording.logs.join("\n")).not.toContain("SECRET")
    }).pipe(Effect.provide(CacheLayer.CacheTest), Effect.provide(recording.layer))
  })
})
