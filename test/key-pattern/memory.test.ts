import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as KeyPattern from "../../src/schemas/KeyPattern.js"

const status = KeyPattern.make("asset:{asset_id}:status")
const pair = KeyPattern.make("a:{x}:b:{y}")

const rejected = (key: KeyPattern.Key, options?: KeyPattern.RenderOptions) => {
  const rendered = KeyPattern.render(key, options)
  if (Either.isRight(rendered)) throw new Error(`expected a ValidationError, rendered ${rendered.right}`)
  return rendered.left
}

describe("KeyPattern", () => {
  it("fills named parameters, strings and numbers, with and without a namespace", () => {
    expect(status.names).toEqual(["asset_id"])
    expect(KeyPattern.render(status({ asset_id: "truck-123" }))).toEqual(Either.right("asset:truck-123:status"))
    expect(KeyPattern.render(pair({ x: 1, y: "two" }), { namespace: "app:v2" })).toEqual(
      Either.right("app:v2:a:1:b:two")
    )
    expect(KeyPattern.render(KeyPattern.systemStats(), { namespace: "" })).toEqual(Either.right("system_stats"))
  })

  it("accepts ids as they come: dashes, dots, slashes, @, unicode letters", () => {
    for (const id of ["truck-123", "a.b", "/v1/users", "ops@mine.example", "Zürich", "坑-7"]) {
      expect(KeyPattern.render(status({ asset_id: id }))).toEqual(Either.right(`asset:${id}:status`))
    }
  })

  it("rejects values that could widen a SCAN or reach another key, naming the parameter, not the value", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["*", "\"*\""],
      ["a}:{b", "\"}\""],
      ["x\r\nFLUSHALL", "U+000D"],
      ["tab\there", "U+0009"],
      ["line\u2028sep", "U+2028"],
      ["zero\u200Bwidth", "U+200B"],
      ["nul\u0000", "U+0000"],
      ["a?", "\"?\""],
      ["[ab]", "\"[\""],
      ["back\\slash", "\"\\\""],
      ["a b", "U+0020"],
      ["a:b", "separator"],
      ["", "empty"],
      ["x".repeat(10_000), "at most 128"]
    ]
    for (const [value, why] of cases) {
      const error = rejected(status({ asset_id: value }))
      expect(error._tag).toBe("ValidationError")
      expect(error.field).toBe("asset_id")
      expect(error.detail).toContain(why)
      expect(error.message).not.toContain("FLUSHALL")
      expect(error.message.length).toBeLessThan(200)
    }
    expect(KeyPattern.render(status({ asset_id: "x".repeat(128) }))._tag).toBe("Right")
    // Characters, not UTF-16 units: 128 emoji are 128 characters, 129 are too many.
    expect(KeyPattern.render(status({ asset_id: "🚚".repeat(128) }))._tag).toBe("Right")
    expect(KeyPattern.render(status({ asset_id: "🚚".repeat(129) }))._tag).toBe("Left")
    expect(KeyPattern.render(status({ asset_id: "x".repeat(129) }))._tag).toBe("Left")
  })

  it("rejects numbers that are not finite, and values of other types from untyped callers", () => {
    expect(rejected(status({ asset_id: Number.NaN })).detail).toContain("finite")
    expect(rejected(status({ asset_id: Infinity })).detail).toContain("finite")
    const untyped = { _tag: "Key", template: status.template, parameters: { asset_id: { toString: () => "*" } } }
    expect(rejected(untyped as unknown as KeyPattern.Key).detail).toContain("string or a number")
  })

  it("rejects missing and unknown parameters, bad templates and bad namespaces", () => {
    const missing: KeyPattern.Key = { _tag: "Key", template: pair.template, parameters: { x: 1 } }
    expect(rejected(missing)).toMatchObject({ field: "y", detail: "is missing" })
    const extra: KeyPattern.Key = { _tag: "Key", template: status.template, parameters: { asset_id: "a", other: "b" } }
    expect(rejected(extra).field).toBe("other")
    expect(rejected(KeyPattern.make("user:*:{id}")({ id: 1 })).field).toBe("pattern")
    expect(rejected(KeyPattern.make("")()).field).toBe("pattern")
    // Two parameters in one segment: ("acme-eu", "7") and ("acme", "eu-7") named one key.
    expect(rejected(KeyPattern.make("doc:{tenant}-{doc_id}")({ tenant: "acme", doc_id: "eu-7" })).field).toBe("pattern")
    expect(rejected(KeyPattern.make("report:{year}{month}")({ year: 2021, month: 1 })).field).toBe("pattern")
    // One per segment, with static text beside it, stays.
    expect(KeyPattern.render(KeyPattern.make("doc:t{tenant}:v{n}x")({ tenant: "a", n: 2 }))).toEqual(
      Either.right("doc:ta:v2x")
    )
    for (const namespace of ["a*", "a::b", ":a", "a b", "x\r\n"]) {
      expect(rejected(status({ asset_id: "t" }), { namespace }).field).toBe("namespace")
    }
  })

  it("ready-made patterns follow the documented conventions", () => {
    expect(KeyPattern.user.template).toBe("user:{user_id}")
    expect(KeyPattern.userAnalyses.template).toBe("user_analyses:{user_id}")
    expect(KeyPattern.analysisResult.template).toBe("analysis_result:{analysis_id}")
    expect(KeyPattern.toolGeneration.template).toBe("tool_generation:{tool_id}")
    expect(KeyPattern.systemStats.template).toBe("system_stats")
    expect(KeyPattern.apiResponse.template).toBe("api:{endpoint}:{hash}")
    expect(KeyPattern.assetStatus.template).toBe("asset:{asset_id}:status")
    expect(KeyPattern.regionVersion.names).toEqual(["region_id", "version"])
  })
})
