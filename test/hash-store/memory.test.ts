import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as AccessPolicy from "../../src/layers/AccessPolicy.js"
import * as HashStoreLayer from "../../src/layers/HashStore.js"
import { childPath, parentOf } from "../../src/schemas/HashRecord.js"
import { HashStore } from "../../src/services/HashStore.js"
import { suite } from "../contracts/HashStore.js"
import { makeRecording } from "../support/recording.js"
import { inMemory } from "./layers.js"

suite("HashStore (memory)", inMemory())

describe("HashStore paths", () => {
  it("a child's path and a path's parent are inverse, the root included", () => {
    assert.strictEqual(childPath("/", "etc"), "/etc")
    assert.strictEqual(childPath("/etc", "ssh"), "/etc/ssh")
    assert.deepStrictEqual(parentOf("/etc"), Option.some({ parent: "/", name: "etc" }))
    assert.deepStrictEqual(parentOf("/etc/ssh"), Option.some({ parent: "/etc", name: "ssh" }))
    assert.isTrue(Option.isNone(parentOf("/")))
    for (const path of ["/a", "/a/b c/d", "/x'; DROP TABLE t; --/y"]) {
      const { name, parent } = Option.getOrThrow(parentOf(path))
      assert.strictEqual(childPath(parent, name), path)
    }
  })
})

describe("HashStore spans", () => {
  it.effect("every method runs in a span named after it whose only attribute is the table, never a value", () => {
    const recording = makeRecording()
    return Effect.gen(function*() {
      const store = yield* HashStore
      const path = "/srv/SECRET-4711"
      yield* store.putHash({ path, current_hash: "SECRET0815", dirs: ["SECRET-dir"] })
      yield* store.getRecord(path)
      yield* store.getField(path, "current_hash")
      yield* store.priorityUpdates()
      const id = yield* store.putLog({ summary_message: "SECRET summary", session_id: "SECRET-session" })
      yield* store.getLogs({ sessionId: "SECRET-session" })
      yield* store.deleteLogs([id])
      yield* Stream.runDrain(store.orphans())
      yield* Stream.runDrain(store.untrackedChildren())
      const spans = recording.spans.filter((span) => span.name.startsWith("HashStore."))
      assert.sameMembers(
        Array.from(new Set(spans.map((span) => span.name))),
        [
          "putHash",
          "getRecord",
          "getField",
          "priorityUpdates",
          "putLog",
          "getLogs",
          "deleteLogs",
          "orphans",
          "untrackedChildren"
        ].map((name) => `HashStore.${name}`)
      )
      for (const span of spans) {
        assert.deepStrictEqual(Array.from(span.attributes.keys()), ["table"])
        assert.include(["hash_records", "hash_logs"], span.attributes.get("table"))
      }
      const attributes = JSON.stringify(recording.spans.map((span) => Object.fromEntries(span.attributes)))
      assert.notInclude(attributes, "SECRET")
    }).pipe(
      Effect.provide(HashStoreLayer.HashStoreTest.pipe(Layer.provide(AccessPolicy.layer(HashStoreLayer.tables)))),
      Effect.provide(recording.layer)
    )
  })
})
