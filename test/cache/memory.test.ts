import { describe, expect, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as CacheLayer from "../../src/layers/Cache.js"
import * as KeyPattern from "../../src/schemas/KeyPattern.js"
import { Cache } from "../../src/services/Cache.js"
import { suite } from "../contracts/Cache.js"
import { makeRecording } from "../support/recording.js"

suite("Cache contract: in-memory test layer", CacheLayer.CacheTest, { clock: "test" })
suite("Cache contract: in-memory test layer with a namespace", CacheLayer.layerTest({ namespace: "app:v2" }), {
  clock: "test"
})

describe("Cache options", () => {
  it.effect("a batch size that is no integer from 1 to 100,000 is a ValidationError when the layer is built", () =>
    Effect.gen(function*() {
      for (const batchSize of [0, 1.5, 100_001, 1e19, Number.NaN]) {
        const exit = yield* Effect.exit(Layer.build(CacheLayer.layerTest({ batchSize })).pipe(Effect.scoped))
        expect(Exit.isFailure(exit) && String(exit), String(batchSize)).toContain("batchSize")
      }
      const built = yield* Effect.exit(Layer.build(CacheLayer.layerTest({ batchSize: 100_000 })).pipe(Effect.scoped))
      expect(Exit.isSuccess(built)).toBe(true)
    }))
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

describe("Cache after its layer is released", () => {
  it.live("getOrSet ends (interrupted) instead of waiting forever for a load that cannot start", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const cache = Context.get(yield* Layer.buildWithScope(CacheLayer.layerTest(), scope), Cache)
      yield* Scope.close(scope, Exit.void)
      for (let call = 0; call < 2; call++) {
        const exit = yield* cache.getOrSet(KeyPattern.user({ user_id: "x" }), Schema.String, Effect.succeed("v")).pipe(
          Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => "hung" as const }),
          Effect.exit
        )
        expect(Exit.isInterrupted(exit)).toBe(true)
      }
    }))
})
