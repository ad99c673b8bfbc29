import { assert, describe, it } from "@effect/vitest"
import * as Option from "effect/Option"
import { childPath, parentOf } from "../../src/schemas/HashRecord.js"
import { suite } from "../contracts/HashStore.js"
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
