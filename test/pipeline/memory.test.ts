import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AccessPolicy from "../../src/layers/AccessPolicy.js"
import * as PipelineLayer from "../../src/layers/Pipeline.js"
import { Pipeline } from "../../src/services/Pipeline.js"
import { suite } from "../contracts/Pipeline.js"
import { makeRecording } from "../support/recording.js"
import { inMemory } from "./layers.js"

suite("Pipeline (memory)", inMemory)

describe("Pipeline spans", () => {
  it.effect("every method runs in a span named after it whose only attribute is the table, never a value", () => {
    const recording = makeRecording()
    return Effect.gen(function*() {
      const pipeline = yield* Pipeline
      const path = "/srv/SECRET-4711"
      yield* pipeline.requestUpdate(path)
      yield* pipeline.pendingUpdates({ limit: 10 })
      yield* pipeline.putHash(path, "SECRET0815")
      yield* pipeline.putOfficialSite("SECRET-site")
      yield* pipeline.officialSites()
      yield* pipeline.putSiteCompletion("SECRET-site")
      yield* pipeline.siteCompletions("SECRET-site")
      const spans = recording.spans.filter((span) => span.name.startsWith("Pipeline."))
      assert.sameMembers(
        Array.from(new Set(spans.map((span) => span.name))),
        [
          "requestUpdate",
          "pendingUpdates",
          "putHash",
          "putOfficialSite",
          "officialSites",
          "putSiteCompletion",
          "siteCompletions"
        ].map((name) => `Pipeline.${name}`)
      )
      for (const span of spans) {
        assert.deepStrictEqual(Array.from(span.attributes.keys()), ["table"])
        assert.include(
          ["pipeline_updates", "pipeline_sites", "pipeline_site_completions"],
          span.attributes.get("table")
        )
      }
      const attributes = JSON.stringify(recording.spans.map((span) => Object.fromEntries(span.attributes)))
      assert.notInclude(attributes, "SECRET")
    }).pipe(
      Effect.provide(PipelineLayer.PipelineTest.pipe(Layer.provide(AccessPolicy.layer(PipelineLayer.tables)))),
      Effect.provide(recording.layer)
    )
  })
})
