/**
 * The TableQuery contract: single-table queries through the access policy, the same on every
 * backend.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as AccessPolicyLayer from "../../src/layers/AccessPolicy.js"
import type { SqlBackend } from "../../src/layers/Sql.js"
import { TableQueryLive, TableQueryTest } from "../../src/layers/TableQuery.js"
import type { Filter } from "../../src/schemas/Query.js"
import type { AccessPolicy } from "../../src/services/AccessPolicy.js"
import type { Row } from "../../src/services/TableQuery.js"
import { TableQuery } from "../../src/services/TableQuery.js"
import { uniqueName } from "../support/services.js"
import { inZone } from "../support/zone.js"

/** Creates a seeded `asset_cycles`-like table and gives the TableQuery layer over the backend. */
export class TableQueryFixture extends Context.Tag("test/TableQueryFixture")<TableQueryFixture, {
  readonly seed: (table: string, rows: ReadonlyArray<Row>) => Effect.Effect<void, unknown>
  /** A table of an id, a `DATE` (`day`) and a timestamp without a zone (`ts`), seeded. */
  readonly seedWallTimes: (table: string, rows: ReadonlyArray<Row>) => Effect.Effect<void, unknown>
  readonly drop: (table: string) => Effect.Effect<void, unknown>
  readonly tableQuery: Layer.Layer<TableQuery, never, AccessPolicy>
  readonly custom: boolean
}>() {}

export const sqlFixture: Layer.Layer<TableQueryFixture, never, SqlClient.SqlClient | SqlBackend> = Layer.effect(
  TableQueryFixture,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const context = yield* Effect.context<SqlClient.SqlClient | SqlBackend>()
    const text = sql.literal(sql.onDialectOrElse({
      pg: () => "VARCHAR(64) COLLATE \"C\"",
      mysql: () => "VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin",
      mssql: () => "NVARCHAR(64) COLLATE Latin1_General_100_BIN2",
      orElse: () => "VARCHAR(64)"
    }))
    const time = sql.literal(sql.onDialectOrElse({
      pg: () => "TIMESTAMPTZ",
      mysql: () => "DATETIME(3)",
      mssql: () => "DATETIME2(3)",
      orElse: () => "TIMESTAMP"
    }))
    const flag = sql.literal(sql.onDialectOrElse({ mssql: () => "BIT", orElse: () => "BOOLEAN" }))
    return {
      seed: (table, rows) =>
        Effect.gen(function*() {
          yield* sql`CREATE TABLE ${sql(table)} (
            id INTEGER NOT NULL PRIMARY KEY, asset_guid ${text} NOT NULL, cycle_status ${text} NOT NULL,
            created INTEGER NULL, secret ${text} NULL, at ${time} NULL, flag ${flag} NULL)`
          yield* sql`INSERT INTO ${sql(table)} ${sql.insert(rows as Array<Record<string, unknown>>)}`
        }),
      seedWallTimes: (table, rows) =>
        Effect.gen(function*() {
          const wall = sql.literal(sql.onDialectOrElse({
            mysql: () => "DATETIME(3)",
            mssql: () => "DATETIME2(3)",
            orElse: () => "TIMESTAMP(3)"
          }))
          yield* sql`CREATE TABLE ${sql(table)} (id INTEGER NOT NULL PRIMARY KEY, day DATE NULL, ts ${wall} NULL)`
          yield* sql`INSERT INTO ${sql(table)} ${sql.insert(rows as Array<Record<string, unknown>>)}`
        }),
      drop: (table) => sql`DROP TABLE ${sql(table)}`.pipe(Effect.asVoid),
      tableQuery: TableQueryLive.pipe(Layer.provide(Layer.succeedContext(context))),
      custom: true
    }
  })
)

export const memoryFixture: Layer.Layer<TableQueryFixture> = Layer.sync(TableQueryFixture, () => {
  const tables = new Map<string, ReadonlyArray<Row>>()
  return {
    seed: (table, rows) => Effect.sync(() => void tables.set(table, rows)),
    seedWallTimes: (table, rows) => Effect.sync(() => void tables.set(table, rows)),
    drop: (table) => Effect.sync(() => void tables.delete(table)),
    tableQuery: TableQueryTest(tables),
    custom: false
  }
})

const hour = (h: number) => new Date(Date.UTC(2024, 0, 1, h))

const rows: ReadonlyArray<Row> = [
  { id: 1, asset_guid: "truck-1", cycle_status: "INPROGRESS", created: 30, secret: "s1", at: hour(0), flag: true },
  { id: 2, asset_guid: "truck-2", cycle_status: "COMPLETE", created: 10, secret: "s2", at: hour(4), flag: false },
  { id: 3, asset_guid: "truck-3", cycle_status: "INPROGRESS", created: null, secret: "s3", at: hour(6), flag: null },
  { id: 4, asset_guid: "' OR 1=1 --", cycle_status: "COMPLETE", created: 20, secret: "s4", at: null, flag: true },
  { id: 5, asset_guid: "truck-5", cycle_status: "INPROGRESS", created: 20, secret: "s5", at: null, flag: false }
]

const failureOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.either(effect), (either) => Either.isLeft(either) ? either.left : undefined)

const withTable = <X, E>(
  body: (table: string) => Effect.Effect<X, E, TableQuery>,
  readable: ReadonlyArray<string> = ["id", "asset_guid", "cycle_status", "created"]
) =>
  Effect.gen(function*() {
    const fixture = yield* TableQueryFixture
    const table = uniqueName("cycles")
    yield* fixture.seed(table, rows)
    const policy = AccessPolicyLayer.layer({
      [table]: {
        readable,
        filterable: ["asset_guid", "cycle_status", "created", "at", "flag"],
        sortable: ["id", "created"]
      }
    })
    return yield* body(table).pipe(
      Effect.provide(fixture.tableQuery.pipe(Layer.provide(policy))),
      Effect.ensuring(Effect.ignore(fixture.drop(table)))
    )
  })

export const suite = (name: string, fixtureLayer: Layer.Layer<TableQueryFixture, unknown>): void => {
  layer(fixtureLayer, { timeout: "60 seconds", excludeTestServices: true })(name, (it) => {
    it.effect("a spec selects columns, filters, sorts and limits", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const tableQuery = yield* TableQuery
          const result = yield* tableQuery.query({
            table,
            columns: ["asset_guid", "cycle_status"],
            filters: [{ field: "cycle_status", op: "eq", value: "INPROGRESS" }],
            sort: [{ field: "created", direction: "desc" }, { field: "id" }],
            limit: 2
          })
          expect(result.map((row) => ({ ...row }))).toEqual([
            { asset_guid: "truck-1", cycle_status: "INPROGRESS" },
            { asset_guid: "truck-5", cycle_status: "INPROGRESS" }
          ])
          const everything = yield* tableQuery.query({ table, sort: [{ field: "id" }] })
          expect(everything.length).toBe(5)
          // An offset skips rows of the sorted result first (the seed's query_eia_series(offset, limit)).
          const ids = (rows: ReadonlyArray<Record<string, unknown>>) => rows.map((row) => row["id"])
          expect(ids(yield* tableQuery.query({ table, columns: ["id"], sort: [{ field: "id" }], offset: 1, limit: 2 })))
            .toEqual([2, 3])
          expect(ids(yield* tableQuery.query({ table, columns: ["id"], sort: [{ field: "id" }], offset: 4 }))).toEqual([
            5
          ])
          expect(yield* tableQuery.query({ table, sort: [{ field: "id" }], offset: 5 })).toEqual([])
          expect(Object.keys(everything[0] ?? {}).sort()).toEqual(["asset_guid", "created", "cycle_status", "id"])
          const hostile = yield* tableQuery.query({
            table,
            columns: ["id"],
            filters: [{ field: "asset_guid", op: "eq", value: "' OR 1=1 --" }]
          })
          expect(hostile.map((row) => row["id"])).toEqual([4])
        })
      ))

    it.effect("a sort key on a column already sorted by changes nothing", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const tableQuery = yield* TableQuery
          const ids = (sort: ReadonlyArray<{ readonly field: string; readonly direction?: "asc" | "desc" }>) =>
            Effect.map(tableQuery.query({ table, columns: ["id"], sort }), (found) => found.map((row) => row["id"]))
          const once = yield* ids([{ field: "created", direction: "desc" }, { field: "id" }])
          expect(once).toEqual([1, 4, 5, 2, 3])
          expect(
            yield* ids([{ field: "created", direction: "desc" }, { field: "id" }, { field: "created" }, {
              field: "id",
              direction: "desc"
            }])
          ).toEqual(once)
        })
      ))

    it.effect("a date column is filtered by date strings as instants, their offsets kept", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const tableQuery = yield* TableQuery
          const ids = (filters: ReadonlyArray<Filter>) =>
            Effect.map(tableQuery.query({ table, columns: ["id"], filters, sort: [{ field: "id" }] }), (found) =>
              found.map((row) => row["id"]))
          // 08:00 at +05:00 is 03:00 UTC; MariaDB read it as 08:00.
          expect(yield* ids([{ field: "at", op: "gte", value: "2024-01-01T08:00:00+05:00" }])).toEqual([2, 3])
          expect(yield* ids([{ field: "at", op: "lt", value: "2024-01-01T04:00:00Z" }])).toEqual([1])
          expect(yield* ids([{ field: "at", op: "in", values: ["2024-01-01T06:00:00Z", "2024-01-01 04:00"] }])).toEqual(
            [2, 3]
          )
        })
      ))

    it.effect("text on a date column that names no ISO 8601 instant is a ValidationError before any statement", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const tableQuery = yield* TableQuery
          // PostgreSQL read "today" and "epoch" as dates, and failed on "soon" on the server; memory matched nothing.
          for (const value of ["soon", "today", "epoch", "2024-02-30", "1"]) {
            const error = yield* failureOf(tableQuery.query({ table, filters: [{ field: "at", op: "gte", value }] }))
            expect(error?._tag, value).toBe("ValidationError")
            expect(error?._tag === "ValidationError" && error.detail, value).toBe("at: not an ISO 8601 date")
          }
          const between = yield* failureOf(tableQuery.query({
            table,
            filters: [{ field: "at", op: "between", from: "2024-01-01", to: "later" }]
          }))
          expect(between?._tag).toBe("ValidationError")
          const like = yield* failureOf(
            tableQuery.query({ table, filters: [{ field: "at", op: "like", value: "2024" }] })
          )
          expect(like?._tag === "ValidationError" && like.detail).toContain("a date column takes no like")
          // Text on a text column is left as it is.
          const text = yield* tableQuery.query({
            table,
            columns: ["id"],
            filters: [{ field: "asset_guid", op: "eq", value: "soon" }]
          })
          expect(text).toEqual([])
        })
      ))

    it.effect("a filter value of another kind than its column's is a ValidationError before any statement", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const tableQuery = yield* TableQuery
          // MariaDB matched `'truck-1' = 0` (text read as the number 0); PostgreSQL failed on the server.
          const filters: ReadonlyArray<Filter> = [
            { field: "asset_guid", op: "eq", value: 0 },
            { field: "cycle_status", op: "in", values: ["COMPLETE", 1] },
            { field: "created", op: "eq", value: "xyz" },
            { field: "created", op: "between", from: 1, to: "20" },
            { field: "asset_guid", op: "ne", value: true },
            // PostgreSQL failed on the server; MariaDB's BOOLEAN (a TINYINT(1)) matched 1.
            { field: "created", op: "eq", value: true },
            { field: "flag", op: "eq", value: 1 },
            { field: "flag", op: "in", values: [true, 0] }
          ]
          for (const filter of filters) {
            const error = yield* failureOf(tableQuery.query({ table, filters: [filter] }))
            expect(error?._tag, JSON.stringify(filter)).toBe("ValidationError")
          }
          const ids = (filters: ReadonlyArray<Filter>) =>
            Effect.map(tableQuery.query({ table, columns: ["id"], filters, sort: [{ field: "id" }] }), (found) =>
              found.map((row) => row["id"]))
          // Values of the column's kind, and null, run as before; a number column is matched by its text.
          expect(yield* ids([{ field: "created", op: "gte", value: 20 }])).toEqual([1, 4, 5])
          expect(yield* ids([{ field: "asset_guid", op: "eq", value: "truck-2" }])).toEqual([2])
          expect(yield* ids([{ field: "flag", op: "eq", value: true }])).toEqual([1, 4])
          expect(yield* ids([{ field: "flag", op: "ne", value: true }])).toEqual([2, 5])
          expect(yield* ids([{ field: "created", op: "like", value: "2%", pattern: true }])).toEqual([4, 5])
        })
      ))

    it.effect("a filter value no backend compares alike is a ValidationError before any statement", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const tableQuery = yield* TableQuery
          // PostgreSQL failed on most of these, or matched U+FFFD for the surrogate; MariaDB matched
          // every row for the invalid date and none before the year 20000; memory matched none.
          const filters: ReadonlyArray<Filter> = [
            { field: "created", op: "eq", value: Number.NaN },
            { field: "created", op: "lt", value: Number.POSITIVE_INFINITY },
            { field: "created", op: "notIn", values: [1, Number.NEGATIVE_INFINITY] },
            { field: "at", op: "gt", value: new Date(Number.NaN) },
            { field: "at", op: "lt", value: new Date(Date.UTC(20_000, 0, 1)) },
            { field: "at", op: "between", from: "0999-01-01T00:00:00Z", to: "2024-01-01T00:00:00Z" },
            { field: "asset_guid", op: "eq", value: "truck-\uD800" },
            { field: "asset_guid", op: "ne", value: "truck-1\u0000" },
            { field: "asset_guid", op: "like", value: "\uDFFF" }
          ]
          for (const filter of filters) {
            const error = yield* failureOf(tableQuery.query({ table, filters: [filter] }))
            expect(error?._tag, String(filter.op)).toBe("ValidationError")
          }
          // The edges of what every backend holds run.
          const ids = yield* tableQuery.query({
            table,
            columns: ["id"],
            filters: [{ field: "at", op: "between", from: "1000-01-01T00:00:00Z", to: "9999-12-31T23:59:59.999Z" }],
            sort: [{ field: "id" }]
          })
          expect(ids.map((row) => row["id"])).toEqual([1, 2, 3])
        })
      ))

    it.effect("a number an integer column cannot hold is compared as a number", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const tableQuery = yield* TableQuery
          const ids = (filter: Filter) =>
            Effect.map(
              tableQuery.query({ table, columns: ["id"], filters: [filter], sort: [{ field: "id" }] }),
              (found) => found.map((row) => row["id"])
            )
          // PostgreSQL failed each of these on the server (`created` is an INTEGER: "invalid input
          // syntax for type integer", "out of range"); MariaDB and memory compared numbers.
          const cases: ReadonlyArray<readonly [Filter, ReadonlyArray<number>]> = [
            [{ field: "created", op: "eq", value: 20.5 }, []],
            [{ field: "created", op: "ne", value: 20.5 }, [1, 2, 4, 5]],
            [{ field: "created", op: "gt", value: 15.5 }, [1, 4, 5]],
            [{ field: "created", op: "gte", value: 19.5 }, [1, 4, 5]],
            [{ field: "created", op: "lt", value: 20.5 }, [2, 4, 5]],
            [{ field: "created", op: "lte", value: 19.99 }, [2]],
            [{ field: "created", op: "gt", value: 1e12 }, []],
            [{ field: "created", op: "lt", value: 1e12 }, [1, 2, 4, 5]],
            [{ field: "created", op: "gte", value: -1e12 }, [1, 2, 4, 5]],
            [{ field: "created", op: "lte", value: -1e12 }, []],
            [{ field: "created", op: "lt", value: 1e19 }, [1, 2, 4, 5]],
            [{ field: "created", op: "eq", value: -1e19 }, []],
            [{ field: "created", op: "in", values: [20, 20.5, 1e12] }, [4, 5]],
            [{ field: "created", op: "in", values: [20.5] }, []],
            [{ field: "created", op: "notIn", values: [10, 20.5] }, [1, 4, 5]],
            [{ field: "created", op: "notIn", values: [20.5, -1e12] }, [1, 2, 4, 5]],
            [{ field: "created", op: "between", from: 10.5, to: 30 }, [1, 4, 5]],
            [{ field: "created", op: "between", from: 15.5, to: 25.5 }, [4, 5]],
            [{ field: "created", op: "between", from: 20.2, to: 20.8 }, []],
            [{ field: "created", op: "between", from: -1e12, to: 1e12 }, [1, 2, 4, 5]],
            [{ field: "created", op: "between", from: 1e12, to: 2e12 }, []],
            // Numbers it holds run as they are.
            [{ field: "created", op: "gte", value: 20 }, [1, 4, 5]]
          ]
          for (const [filter, expected] of cases) {
            expect(yield* ids(filter), JSON.stringify(filter)).toEqual(expected)
          }
        })
      ))

    it.effect("DATE and zoneless timestamp columns hold UTC days and wall times, whatever the process's zone", () =>
      Effect.gen(function*() {
        const fixture = yield* TableQueryFixture
        const utc = (text: string) => new Date(text)
        // 2026-03-08 02:30 is a wall time New York skips (its clocks went from 02:00 to 03:00).
        const wallRows: ReadonlyArray<Row> = [
          { id: 1, day: utc("2026-01-01T00:00:00Z"), ts: utc("2026-01-01T00:00:00Z") },
          { id: 2, day: utc("2026-01-02T00:00:00Z"), ts: utc("2026-01-01T23:30:00.250Z") },
          { id: 3, day: utc("2026-03-08T00:00:00Z"), ts: utc("2026-03-08T02:30:00Z") }
        ]
        for (const zone of ["America/New_York", "Asia/Kolkata"]) {
          const table = uniqueName("walls")
          const policy = AccessPolicyLayer.layer({
            [table]: { readable: ["id", "day", "ts"], filterable: ["day", "ts"], sortable: ["id"] }
          })
          yield* inZone(
            zone,
            Effect.gen(function*() {
              yield* fixture.seedWallTimes(table, wallRows)
              const tableQuery = yield* TableQuery
              const ids = (filter: Filter) =>
                Effect.map(
                  tableQuery.query({ table, columns: ["id"], filters: [filter], sort: [{ field: "id" }] }),
                  (found) => found.map((row) => row["id"])
                )
              // PostgreSQL took the local time node-postgres sent, its offset dropped by the column.
              expect(yield* ids({ field: "day", op: "eq", value: "2026-01-02" }), zone).toEqual([2])
              expect(yield* ids({ field: "ts", op: "eq", value: utc("2026-01-01T23:30:00.250Z") }), zone).toEqual([2])
              expect(yield* ids({ field: "ts", op: "lt", value: "2026-01-02T00:00:00Z" }), zone).toEqual([1, 2])
              expect(yield* ids({ field: "ts", op: "gte", value: "2026-03-08T02:30:00Z" }), zone).toEqual([3])
              // And read back as the same instants (node-postgres read them in the process's zone).
              const all = yield* tableQuery.query({ table, sort: [{ field: "id" }] })
              expect(all, zone).toEqual(wallRows)
            }).pipe(
              Effect.provide(fixture.tableQuery.pipe(Layer.provide(policy))),
              Effect.ensuring(Effect.ignore(fixture.drop(table)))
            )
          )
        }
      }))

    it.effect("queryAs decodes with a Schema; a mismatch is DataAccessError Decode", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const tableQuery = yield* TableQuery
          const Cycle = Schema.Struct({ id: Schema.Number, created: Schema.NullOr(Schema.Number) })
          const cycles = yield* tableQuery.queryAs(Cycle, {
            table,
            columns: ["id", "created"],
            sort: [{ field: "created" }, { field: "id" }]
          })
          expect(cycles).toEqual([
            { id: 2, created: 10 },
            { id: 4, created: 20 },
            { id: 5, created: 20 },
            { id: 1, created: 30 },
            { id: 3, created: null }
          ])
          const wrong = yield* failureOf(
            tableQuery.queryAs(Schema.Struct({ id: Schema.String }), { table, columns: ["id"] })
          )
          expect(wrong?._tag === "DataAccessError" && wrong.reason).toBe("Decode")
          expect(wrong?._tag === "DataAccessError" && wrong.detail).toMatch(/^row 0: id: Expected a string/)
        })
      ))

    it.effect("tables, columns, filters and sorts off the allow-list are refused before any SQL", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const tableQuery = yield* TableQuery
          const failures = yield* Effect.all([
            failureOf(tableQuery.query({ table: "pg_authid" })),
            failureOf(tableQuery.query({ table: `pg_catalog.${table}` })),
            failureOf(tableQuery.query({ table, columns: ["secret"] })),
            failureOf(tableQuery.query({ table, columns: ["id", "secret FROM x; --"] })),
            failureOf(tableQuery.query({ table, filters: [{ field: "id", op: "eq", value: 1 }] })),
            failureOf(tableQuery.query({ table, sort: [{ field: "asset_guid" }] })),
            failureOf(tableQuery.query({ table, limit: 1_000_000_000 })),
            failureOf(tableQuery.query({ table, limit: -1 })),
            failureOf(tableQuery.query({ table, offset: -1 })),
            failureOf(tableQuery.query({ table, offset: 1.5 }))
          ])
          expect(failures.map((e) => e?._tag === "AccessDenied" ? e.reason : e?._tag)).toEqual([
            "TableNotAllowed",
            "TableNotAllowed",
            "ColumnNotAllowed",
            "ColumnNotAllowed",
            "FilterNotAllowed",
            "SortNotAllowed",
            "ValidationError",
            "ValidationError",
            "ValidationError",
            "ValidationError"
          ])
        })
      ))

    it.effect("a caller changing a row it got changes nothing stored", () =>
      withTable((table) =>
        Effect.gen(function*() {
          const tableQuery = yield* TableQuery
          const spec = {
            table,
            columns: ["id", "at"],
            filters: [{ field: "asset_guid", op: "eq", value: "truck-1" }]
          } as const
          const [first] = yield* tableQuery.query(spec)
          expect(first?.["at"]).toEqual(hour(0))
          ;(first?.["at"] as Date).setTime(0)
          const [again] = yield* tableQuery.query(spec)
          expect(again?.["at"]).toEqual(hour(0))
        }), ["id", "at"]))

    it.effect("an allowed table that does not exist is DataAccessError UndefinedObject", () =>
      Effect.gen(function*() {
        const fixture = yield* TableQueryFixture
        const missing = uniqueName("cycles_missing")
        const rules = { readable: ["id"], filterable: ["id"], sortable: ["id"] }
        const failure = yield* failureOf(
          Effect.flatMap(TableQuery, (tableQuery) => tableQuery.query({ table: missing })).pipe(
            Effect.provide(fixture.tableQuery.pipe(Layer.provide(AccessPolicyLayer.layer({ [missing]: rules }))))
          )
        )
        expect(failure?._tag === "DataAccessError" ? [failure.reason, failure.table] : failure?._tag).toEqual([
          "UndefinedObject",
          missing
        ])
      }))

    it.effect("custom statements are built with the sql template, values bound", () =>
      Effect.gen(function*() {
        const fixture = yield* TableQueryFixture
        return yield* withTable((table) =>
          Effect.gen(function*() {
            const tableQuery = yield* TableQuery
            const Total = Schema.Struct({ total: Schema.Number })
            const result = yield* Effect.either(tableQuery.custom(
              Total,
              (sql) => sql`SELECT COUNT(*) AS total FROM ${sql(table)} WHERE cycle_status = ${"COMPLETE"}`,
              { table }
            ))
            if (fixture.custom) expect(result).toEqual(Either.right([{ total: 2 }]))
            else expect(Either.isLeft(result) && result.left._tag).toBe("DataAccessError")
            // The statement is built when the effect runs, not when `custom` is called.
            let built = 0
            const described = tableQuery.custom(Total, (sql) => {
              built++
              return sql`SELECT COUNT(*) AS total FROM ${sql(table)}`
            }, { table })
            expect(built).toBe(0)
            yield* Effect.either(described)
            expect(built).toBe(fixture.custom ? 1 : 0)
          })
        )
      }))
  })
}
