import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as RedisSourceLayer from "../../src/layers/RedisSource.js"
import * as KeyPattern from "../../src/schemas/KeyPattern.js"
import { RedisSource } from "../../src/services/RedisSource.js"
import { suite } from "../contracts/RedisSource.js"
import { makeRecording } from "../support/recording.js"

suite("RedisSource contract: in-memory test layer", RedisSourceLayer.RedisSourceTest, { clock: "test" })
suite(
  "RedisSource contract: in-memory test layer with a namespace",
  RedisSourceLayer.layerTest({ namespace: "mine:site-7" }),
  { clock: "test" }
)

describe("RedisSource spans and errors", () => {
  it.effect("methods run in spans named after them, whose attributes and errors hold no values", () => {
    const recording = makeRecording()
    return Effect.gen(function*() {
      const source = yield* RedisSource
      const key = KeyPattern.assetStatus({ asset_id: "truck-SECRET" })
      yield* source.setByPattern(key, "string", Schema.String, "token-SECRET-1234")
      const error = yield* Effect.flip(source.getByPattern(key, "string", Schema.NumberFromString))
      expect(error._tag === "DataAccessError" && error.reason).toBe("Decode")
      expect(error.message).not.toContain("SECRET")
      yield* source.getMany([key], "string", Schema.String)
      yield* source.assetRegions("truck-SECRET")
      yield* source.deleteByPattern(key)
      const names = recording.spans.map((span) => span.name)
      for (
        const name of [
          "RedisSource.setByPattern",
          "RedisSource.getByPattern",
          "RedisSource.getMany",
          "RedisSource.assetRegions",
          "RedisSource.deleteByPattern"
        ]
      ) {
        expect(names).toContain(name)
      }
      const byName = recording.spans.find((span) => span.name === "RedisSource.getByPattern")
      expect(byName?.attributes.get("redis.pattern")).toBe("asset:{asset_id}:status")
      expect(byName?.attributes.get("redis.kind")).toBe("string")
      expect(JSON.stringify(recording.spans.map((span) => Object.fromEntries(span.attributes)))).not.toContain("SECRET")
    }).pipe(Effect.provide(RedisSourceLayer.RedisSourceTest), Effect.provide(recording.layer))
  })
})
