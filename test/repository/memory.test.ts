import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as AccessPolicyLayer from "../../src/layers/AccessPolicy.js"
import { RepositoryTest } from "../../src/layers/Repository.js"
import * as Repository from "../../src/services/Repository.js"
import { memoryTables, suite } from "../contracts/Repository.js"

suite("Repository (memory)", Layer.merge(RepositoryTest, memoryTables), { readsBeside: true })

describe("Repository (memory) unique keys", () => {
  const Reading = Schema.Struct({ id: Schema.Number, at: Schema.DateFromSelf, n: Schema.Number })
  const base = new Date("2026-03-01T10:00:00.000Z")
  const later = new Date(base.getTime() + 1)

  it.effect("dates a millisecond apart are different keys, as a SQL unique index sees them", () =>
    Effect.gen(function*() {
      const readings = yield* Repository.make({ table: "readings", schema: Reading, id: "id", unique: [["at"]] })
      yield* readings.create({ id: 1, at: base, n: 1 })
      yield* readings.create({ id: 2, at: later, n: 2 })
      const upserted = yield* readings.upsert({ id: 3, at: later, n: 9 }, { on: ["at"] })
      expect([upserted.id, upserted.n]).toEqual([2, 9])
      const all = yield* readings.list({ sort: [{ field: "id" }] })
      expect(all.map((r) => [r.id, r.at.getTime(), r.n])).toEqual([[1, base.getTime(), 1], [2, later.getTime(), 9]])
      const clash = yield* Effect.flip(readings.create({ id: 4, at: new Date(base.getTime()), n: 4 }))
      expect(clash._tag === "DataAccessError" && clash.reason).toBe("UniqueViolation")
    }).pipe(
      Effect.provide(Layer.merge(
        RepositoryTest,
        AccessPolicyLayer.layer({ readings: { readable: ["id", "at", "n"], sortable: ["id"] } })
      ))
    ))
})

describe("Repository (memory) errors", () => {
  const Loose = Schema.Struct({ id: Schema.Number, token: Schema.String })
  const Strict = Schema.Struct({ id: Schema.Number, token: Schema.String.pipe(Schema.length(40)) })
  const policy = AccessPolicyLayer.layer({ tokens: { readable: ["id", "token"], sortable: ["id"] } })

  it.effect("a record or a stored row that fails its schema is described without its values", () =>
    Effect.gen(function*() {
      const strict = yield* Repository.make({ table: "tokens", schema: Strict, id: "id" })
      const invalid = yield* Effect.flip(strict.create({ id: 1, token: "tok_live_SECRET_123" }))
      expect(invalid._tag).toBe("ValidationError")
      expect(invalid.message).toContain("token: Expected a string 40 character(s) long")
      expect(invalid.message).not.toContain("SECRET")
      // A row written under a looser schema, read back under the strict one.
      const loose = yield* Repository.make({ table: "tokens", schema: Loose, id: "id" })
      yield* loose.create({ id: 2, token: "tok_live_SECRET_456" })
      const undecodable = yield* Effect.flip(strict.findById(2))
      expect(undecodable._tag === "DataAccessError" && undecodable.reason).toBe("Decode")
      expect(undecodable.message).toContain("token: Expected a string 40 character(s) long")
      expect(undecodable.message).not.toContain("SECRET")
    }).pipe(Effect.provide(Layer.merge(RepositoryTest, policy))))
})

describe("Repository (memory) values", () => {
  const Blob = Schema.Struct({
    id: Schema.Number,
    bytes: Schema.Uint8ArrayFromSelf,
    tags: Schema.Array(Schema.String),
    meta: Schema.Struct({ n: Schema.Number })
  })
  const policy = AccessPolicyLayer.layer({ blobs: { readable: ["id", "bytes", "tags", "meta"], sortable: ["id"] } })

  it.effect("bytes, arrays and objects given or read back are copies, as a server's are", () =>
    Effect.gen(function*() {
      const blobs = yield* Repository.make({ table: "blobs", schema: Blob, id: "id" })
      const bytes = new Uint8Array([1, 2, 3])
      const tags = ["a"]
      const meta = { n: 1 }
      yield* blobs.create({ id: 1, bytes, tags, meta })
      bytes[0] = 9
      tags.push("b")
      meta.n = 2
      const read = yield* blobs.findById(1)
      if (read._tag === "Some") {
        ;(read.value.bytes as Uint8Array)[1] = 9
        ;(read.value.tags as Array<string>).push("c")
        ;(read.value.meta as { n: number }).n = 3
      }
      const again = yield* blobs.findById(1)
      expect(again._tag === "Some" && [Array.from(again.value.bytes), again.value.tags, again.value.meta]).toEqual([
        [1, 2, 3],
        ["a"],
        { n: 1 }
      ])
    }).pipe(Effect.provide(Layer.merge(RepositoryTest, policy))))
})
