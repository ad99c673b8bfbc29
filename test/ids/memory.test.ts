import { assert, describe, it } from "@effect/vitest"
import * as Ids from "../../src/layers/Ids.js"

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe("time-ordered ids", () => {
  it("are UUID version 7 with the instant in their first 48 bits", () => {
    const at = Date.UTC(2026, 11, 4, 12, 0, 0, 123)
    const id = Ids.timeOrdered(at + 10_000)
    assert.match(id, uuidV7)
    assert.strictEqual(Number.parseInt(id.replace(/-/g, "").slice(0, 12), 16), at + 10_000)
  })

  it("sort as they were made: within a millisecond, past a full counter, and when the clock goes back", () => {
    const at = Date.UTC(2026, 11, 5)
    // 5,000 in one millisecond overflow the 12-bit counter into the next ones.
    const sameInstant = Array.from({ length: 5_000 }, () => Ids.timeOrdered(at))
    const earlier = Ids.timeOrdered(at - 60_000)
    const all = [...sameInstant, earlier, Ids.timeOrdered(at + 60_000)]
    assert.deepStrictEqual([...all].sort(), all)
    assert.strictEqual(new Set(all).size, all.length)
    for (const id of all) assert.match(id, uuidV7)
  })
})
