/**
 * Query specs decoded from outside input, and keyset cursors.
 */
import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Cursor from "../../src/schemas/Cursor.js"
import * as Query from "../../src/schemas/Query.js"

const sort: ReadonlyArray<Query.Sort> = [
  { field: "created", direction: "desc", nulls: "last" },
  { field: "id", direction: "asc", nulls: "last" }
]

describe("Query specs", () => {
  it.effect("a request holding a __proto__ key anywhere is a ValidationError, not an entry dropped", () =>
    Effect.gen(function*() {
      // Decoding a record assigned the key, which set the prototype: a metric named so vanished.
      const metrics = JSON.parse(`{"table":"sales","metrics":{"__proto__":"sum","qty":"sum"}}`) as unknown
      const record = Query.decode(
        Schema.Struct({ table: Schema.String, metrics: Schema.Record({ key: Schema.String, value: Schema.String }) }),
        "metrics"
      )
      const refused = yield* Effect.flip(record(metrics))
      expect(refused.field).toBe("metrics")
      expect(refused.detail).toContain("__proto__")
      const nested = JSON.parse(`{"filters":[{"field":"a","op":"eq","value":1,"__proto__":{"x":1}}]}`) as unknown
      expect((yield* Effect.flip(Query.decode(Query.ListQuery, "query")(nested))).detail).toContain("__proto__")
      // The same request without it decodes.
      expect(yield* record({ table: "sales", metrics: { qty: "sum" } })).toEqual({
        table: "sales",
        metrics: { qty: "sum" }
      })
    }))

  it.effect("page requests from JSON or a query string decode the same way, within bounds", () =>
    Effect.gen(function*() {
      const page = Query.decode(Query.PageRequest, "page")
      expect(yield* page({ page: 2, perPage: 50 })).toEqual({ page: 2, perPage: 50 })
      expect(yield* page({ page: "2", perPage: "50" })).toEqual({ page: 2, perPage: 50 })
      expect(yield* page({})).toEqual({ page: 1, perPage: 20 })
      for (
        const bad of [
          { page: -1 },
          { page: 0 },
          { perPage: 1e9 },
          { perPage: 0 },
          { page: 1.5 },
          { page: "1 OR 1=1" },
          {
            page: 1,
            extra: true
          }
        ]
      ) {
        const result = yield* Effect.either(page(bad))
        expect(Either.isLeft(result) && result.left._tag).toBe("ValidationError")
      }
    }))

  it.effect("filters and sorts decode from JSON; unknown operators are refused", () =>
    Effect.gen(function*() {
      const list = Query.decode(Query.ListQuery, "query")
      const decoded = yield* list(JSON.parse(
        "{\"filters\":[{\"field\":\"name\",\"op\":\"ilike\",\"value\":\"jo\"},{\"field\":\"age\",\"op\":\"between\",\"from\":1,\"to\":9}],\"sort\":[{\"field\":\"age\"}]}"
      ))
      expect(decoded.sort).toEqual([{ field: "age", direction: "asc", nulls: "last" }])
      expect(decoded.filters.length).toBe(2)
      for (
        const bad of [
          { filters: [{ field: "a", op: "regex", value: ".*" }] },
          { filters: [{ field: "a", op: "in", values: Array(1001).fill(1) }] },
          { filters: [{ field: "a", op: "eq" }] },
          { sort: [{ field: "a", direction: "sideways" }] }
        ]
      ) {
        const result = yield* Effect.either(list(bad))
        expect(Either.isLeft(result) && result.left._tag).toBe("ValidationError")
      }
    }))

  it.effect("a cursor round-trips dates and nulls, bound to its table and sort", () =>
    Effect.gen(function*() {
      const values = [new Date(Date.UTC(2026, 0, 2)), "p1"]
      const cursor = yield* Cursor.encode("people", sort, values)
      expect(yield* Cursor.decode("people", sort, cursor)).toEqual(values)
      expect(yield* Cursor.decode("people", sort, yield* Cursor.encode("people", sort, [null, 7]))).toEqual([null, 7])
      // JSON has no NaN or infinity: they are carried as themselves, not as null.
      for (const value of [NaN, Infinity, -Infinity]) {
        expect(yield* Cursor.decode("people", sort, yield* Cursor.encode("people", sort, [value, 7]))).toEqual([
          value,
          7
        ])
      }
      const wrong = yield* Effect.all([
        Effect.either(Cursor.decode("other", sort, cursor)),
        Effect.either(Cursor.decode("people", [{ ...sort[0]!, direction: "asc" }, sort[1]!], cursor)),
        Effect.either(Cursor.decode("people", sort, cursor.replace(/^./, (c) => c === "e" ? "f" : "e"))),
        Effect.either(Cursor.decode("people", sort, `${cursor}.x`)),
        Effect.either(Cursor.decode("people", sort, ""))
      ])
      expect(wrong.map((r) => Either.isLeft(r) && r.left._tag)).toEqual(Array(5).fill("ValidationError"))
    }))

  it.effect("a cursor signed with another key is refused; DAO_CURSOR_SECRET shares the key", () =>
    Effect.gen(function*() {
      const cursor = yield* Cursor.encode("people", sort, [1, "p1"])
      const elsewhere = yield* Effect.either(
        Cursor.decode("people", sort, cursor).pipe(
          Effect.provide(Layer.succeed(Cursor.CursorKey, Redacted.make(new Uint8Array(32).fill(7))))
        )
      )
      expect(Either.isLeft(elsewhere) && elsewhere.left._tag).toBe("ValidationError")
    }))

  it.effect("a DAO_CURSOR_SECRET too short is refused by name, without its value", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.scoped(Layer.build(Cursor.CursorKey.layerConfig))).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["DAO_CURSOR_SECRET", "short-Secret"]])))
      )
      expect(String(error)).toContain("DAO_CURSOR_SECRET")
      expect(String(error)).toContain("at least 16 characters")
      expect(String(error)).not.toContain("short-Secret")
      const key = yield* Effect.scoped(Layer.build(Cursor.CursorKey.layerConfig)).pipe(
        Effect.map((context) => Context.get(context, Cursor.CursorKey)),
        Effect.withConfigProvider(
          ConfigProvider.fromMap(new Map([["DAO_CURSOR_SECRET", "a-shared-secret-of-32-characters"]]))
        )
      )
      expect(Buffer.from(Redacted.value(key)).toString("utf8")).toBe("a-shared-secret-of-32-characters")
    }))
})
