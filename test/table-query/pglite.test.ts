import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AccessPolicyLayer from "../../src/layers/AccessPolicy.js"
import * as Embedded from "../../src/layers/Embedded.js"
import { TableQueryLive } from "../../src/layers/TableQuery.js"
import type { Filter } from "../../src/schemas/Query.js"
import { TableQuery } from "../../src/services/TableQuery.js"
import { sqlFixture, suite } from "../contracts/TableQuery.js"

suite("TableQuery (pglite)", sqlFixture.pipe(Layer.provide(Embedded.layer())))

const embedded = Embedded.layer()
const widths = TableQueryLive.pipe(
  Layer.provide(AccessPolicyLayer.layer({ widths: { readable: ["id"], filterable: ["small", "big", "positive"] } })),
  Layer.provideMerge(embedded)
)

layer(widths, { timeout: "60 seconds" })("TableQuery (pglite) integer widths", (it) => {
  it.effect("numbers past a SMALLINT, a BIGINT or a domain over INTEGER compare as numbers", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE DOMAIN positive AS INTEGER CHECK (VALUE > 0)`
      yield* sql`CREATE TABLE widths (id INTEGER PRIMARY KEY, small SMALLINT, big BIGINT, positive positive)`
      yield* sql`INSERT INTO widths VALUES (1, -32768, -9223372036854775808, 1), (2, 32767, 9223372036854775807, 2147483647)`
      const tableQuery = yield* TableQuery
      const ids = (filter: Filter) =>
        Effect.map(
          tableQuery.query({ table: "widths", columns: ["id"], filters: [filter], sort: [{ field: "id" }] }),
          (found) => found.map((row) => row["id"])
        )
      expect(yield* ids({ field: "small", op: "gt", value: 40_000 })).toEqual([])
      expect(yield* ids({ field: "small", op: "gte", value: -32_768.5 })).toEqual([1, 2])
      expect(yield* ids({ field: "small", op: "between", from: 32_766.5, to: 1e6 })).toEqual([2])
      // 2^63 and -2^63 are sent as text past a BIGINT's range.
      expect(yield* ids({ field: "big", op: "gte", value: 2 ** 63 })).toEqual([])
      expect(yield* ids({ field: "big", op: "gt", value: -(2 ** 63) })).toEqual([1, 2])
      expect(yield* ids({ field: "big", op: "lt", value: 1e19 })).toEqual([1, 2])
      expect(yield* ids({ field: "big", op: "lt", value: -1e19 })).toEqual([])
      expect(yield* ids({ field: "big", op: "gt", value: 1e18 })).toEqual([2])
      expect(yield* ids({ field: "big", op: "between", from: -0.5, to: 2 ** 64 })).toEqual([2])
      expect(yield* ids({ field: "positive", op: "lt", value: 1.5 })).toEqual([1])
      expect(yield* ids({ field: "positive", op: "gt", value: 3e9 })).toEqual([])
    }))
})
