/**
 * The Repository contract: every Repositories layer (memory, PGlite, PostgreSQL, MariaDB,
 * SQL Server) must pass it with the same assertions.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type * as Tracer from "effect/Tracer"
import * as AccessPolicyLayer from "../../src/layers/AccessPolicy.js"
import { columnTypes } from "../../src/migrations/ColumnTypes.js"
import type { Filter } from "../../src/schemas/Query.js"
import type { Repository as RepositoryOf } from "../../src/services/Repository.js"
import * as Repository from "../../src/services/Repository.js"
import { CurrentActor, CurrentTenant } from "../../src/services/Repository.js"
import { uniqueName } from "../support/services.js"
import { inZone } from "../support/zone.js"

// ---------------------------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------------------------

/** Creates and drops the contract's tables on a backend. */
export class ContractTables extends Context.Tag("test/ContractTables")<ContractTables, {
  readonly create: (table: string) => Effect.Effect<void, unknown>
  readonly drop: (table: string) => Effect.Effect<void, unknown>
  /** The rows of a table, read around the repository (to prove nothing else changed). */
  readonly snapshot: (table: string) => Effect.Effect<ReadonlyArray<unknown>, unknown>
  /** A table of one column of each kind (text, boolean, double, timestamp, nullable text). */
  readonly createValues: (table: string) => Effect.Effect<void, unknown>
  /** A table whose columns store less than they are given: a decimal of 2 places, whole seconds. */
  readonly createRounded: (table: string) => Effect.Effect<void, unknown>
  /** A table of a key and a tenant, nothing else. */
  readonly createKeys: (table: string) => Effect.Effect<void, unknown>
  /** A table of an integer key and a text column of unbounded length (`body`). */
  readonly createTexts: (table: string) => Effect.Effect<void, unknown>
  /**
   * A table of a text key and a label in the text type the migrations use (`columnTypes.text`),
   * whose collation pads with spaces on MySQL/MariaDB and SQL Server: `p1 ` equals `p1` there.
   */
  readonly createPadded: (table: string) => Effect.Effect<void, unknown>
  /** A table of an integer key and a JSON column (`tags`: `JSONB` on PostgreSQL). */
  readonly createJson: (table: string) => Effect.Effect<void, unknown>
}>() {}

/**
 * Tables on a SQL backend. Text columns compare byte-wise on every dialect (C collation on
 * PostgreSQL, binary no-pad on MariaDB, BIN2 on SQL Server): tenant `acme`, `ACME` and `acme `
 * are different tenants everywhere, and orders match the memory layer.
 */
export const sqlTables: Layer.Layer<ContractTables, never, SqlClient.SqlClient> = Layer.effect(
  ContractTables,
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const text = (n: number) =>
      sql.literal(sql.onDialectOrElse({
        pg: () => `VARCHAR(${n}) COLLATE "C"`,
        mysql: () => `VARCHAR(${n}) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin`,
        mssql: () => `NVARCHAR(${n}) COLLATE Latin1_General_100_BIN2`,
        orElse: () => `VARCHAR(${n})`
      }))
    const time = sql.literal(sql.onDialectOrElse({
      pg: () => "TIMESTAMPTZ",
      mysql: () => "DATETIME(3)",
      mssql: () => "DATETIME2(3)",
      orElse: () => "TIMESTAMP"
    }))
    const padded = (yield* columnTypes).text
    const bool = sql.literal(sql.onDialectOrElse({ mssql: () => "BIT", orElse: () => "BOOLEAN" }))
    const double = sql.literal(sql.onDialectOrElse({ mssql: () => "FLOAT", orElse: () => "DOUBLE PRECISION" }))
    return {
      create: (table) =>
        sql`CREATE TABLE ${sql(table)} (
          id ${text(64)} NOT NULL PRIMARY KEY,
          tenant_id ${text(64)} NOT NULL,
          name ${text(200)} NOT NULL,
          email ${text(200)} NOT NULL UNIQUE,
          age INTEGER NULL,
          created_at ${time} NULL,
          updated_at ${time} NULL,
          created_by ${text(64)} NULL,
          updated_by ${text(64)} NULL,
          deleted_at ${time} NULL
        )`.pipe(Effect.asVoid),
      createValues: (table) =>
        sql`CREATE TABLE ${sql(table)} (
          id INTEGER NOT NULL PRIMARY KEY,
          label ${text(200)} NOT NULL,
          flag ${bool} NOT NULL,
          amount ${double} NOT NULL,
          at ${time} NOT NULL,
          note ${text(200)} NULL
        )`.pipe(Effect.asVoid),
      createRounded: (table) =>
        sql`CREATE TABLE ${sql(table)} (
          id INTEGER NOT NULL PRIMARY KEY,
          amount DECIMAL(10, 2) NOT NULL,
          at ${
          sql.literal(sql.onDialectOrElse({
            pg: () => "TIMESTAMPTZ(0)",
            mysql: () => "DATETIME(0)",
            mssql: () => "DATETIME2(0)",
            orElse: () => "TIMESTAMP"
          }))
        } NOT NULL
        )`.pipe(Effect.asVoid),
      createKeys: (table) =>
        sql`CREATE TABLE ${sql(table)} (id ${text(64)} NOT NULL PRIMARY KEY, tenant_id ${text(64)} NOT NULL)`.pipe(
          Effect.asVoid
        ),
      createTexts: (table) =>
        sql`CREATE TABLE ${sql(table)} (id INTEGER NOT NULL PRIMARY KEY, body ${
          sql.literal(sql.onDialectOrElse({
            pg: () => `TEXT COLLATE "C"`,
            mysql: () => "TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin",
            mssql: () => "NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2",
            orElse: () => "TEXT"
          }))
        } NOT NULL)`.pipe(Effect.asVoid),
      createPadded: (table) =>
        sql`CREATE TABLE ${sql(table)} (id ${padded(64)} NOT NULL PRIMARY KEY, label ${padded(64)} NOT NULL)`.pipe(
          Effect.asVoid
        ),
      createJson: (table) =>
        sql`CREATE TABLE ${sql(table)} (id INTEGER NOT NULL PRIMARY KEY, tags ${
          sql.literal(sql.onDialectOrElse({ pg: () => "JSONB", mssql: () => "NVARCHAR(MAX)", orElse: () => "JSON" }))
        } NOT NULL)`.pipe(Effect.asVoid),
      drop: (table) => sql`DROP TABLE ${sql(table)}`.pipe(Effect.asVoid),
      snapshot: (table) =>
        sql`SELECT id, tenant_id, name, email, age, deleted_at FROM ${sql(table)} ORDER BY id`.pipe(
          Effect.map((rows) => rows.map((row) => ({ ...row })))
        )
    }
  })
)

/** The memory layer needs no tables; its snapshot goes through an unscoped repository read. */
export const memoryTables: Layer.Layer<ContractTables> = Layer.succeed(ContractTables, {
  create: () => Effect.void,
  createValues: () => Effect.void,
  createRounded: () => Effect.void,
  createKeys: () => Effect.void,
  createPadded: () => Effect.void,
  createJson: () => Effect.void,
  createTexts: () => Effect.void,
  drop: () => Effect.void,
  snapshot: () => Effect.succeed([])
})

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

const Person = Schema.Struct({
  id: Schema.String,
  tenant_id: Schema.optionalWith(Schema.String, { nullable: true }),
  name: Schema.String,
  email: Schema.String,
  age: Schema.NullOr(Schema.Number),
  created_at: Schema.optionalWith(Schema.DateFromSelf, { nullable: true }),
  updated_at: Schema.optionalWith(Schema.DateFromSelf, { nullable: true }),
  created_by: Schema.optionalWith(Schema.String, { nullable: true }),
  updated_by: Schema.optionalWith(Schema.String, { nullable: true }),
  deleted_at: Schema.optionalWith(Schema.DateFromSelf, { nullable: true })
})
type Person = typeof Person.Type

const person = (n: number, fields: Partial<Person> = {}): Person => ({
  id: `p${String(n).padStart(5, "0")}`,
  name: `name ${n}`,
  email: `e${n}@example.com`,
  age: n % 7 === 0 ? null : n % 5,
  ...fields
})

const columns = [
  "id",
  "tenant_id",
  "name",
  "email",
  "age",
  "created_at",
  "updated_at",
  "created_by",
  "updated_by",
  "deleted_at"
]

const ids = (people: ReadonlyArray<Person>) => people.map((p) => p.id)

/** A boolean column: PostgreSQL and SQL Server return a boolean, MariaDB a TINYINT 0 or 1. */
const Flag = Schema.Union(
  Schema.Boolean,
  Schema.transform(Schema.Literal(0, 1), Schema.Boolean, {
    strict: true,
    decode: (n) => n === 1,
    encode: (b) => b ? 1 : 0
  })
)

/** One value of each kind, for round trips. */
const Value = Schema.Struct({
  id: Schema.Number,
  label: Schema.String,
  flag: Flag,
  amount: Schema.Number,
  at: Schema.DateFromSelf,
  note: Schema.NullOr(Schema.String)
})
type Value = typeof Value.Type

/** Text the bulk-load encodings must carry verbatim: their separators, escapes and markers. */
const trickyText = [
  "tab\there",
  "line\nbreak",
  "carriage\r\nreturn",
  "back\\slash \\N \\t",
  "\\N",
  "\\.",
  "\\",
  "quotes ' \" '' \"\"",
  "comma, semicolon; pipe|",
  "unicode: é ß 漢字 🚀 \u00a0 \u2028",
  "",
  "  padded  ",
  "NULL"
]

const values: ReadonlyArray<Value> = trickyText.map((label, i) => ({
  id: i + 1,
  label,
  flag: i % 2 === 0,
  amount: [0.1 + 0.2, -1.5e300, 1e-300, 123456.789, 0, -42, 2 ** 53 - 1][i % 7] as number,
  at: new Date(Date.UTC(1969 + i * 7, i % 12, 1 + i, i, i * 3, i * 4, i * 77)),
  note: i % 3 === 0 ? null : label
}))

/** Runs `body` against a fresh table (dropped afterwards), tenant `acme`, actor `alice`. */
const withPeople = <X, E, R>(
  body: (people: RepositoryOf<Person>, table: string) => Effect.Effect<X, E, R>
) =>
  Effect.gen(function*() {
    const tables = yield* ContractTables
    const table = uniqueName("people")
    yield* tables.create(table)
    const policy = AccessPolicyLayer.layer({
      [table]: {
        readable: columns,
        filterable: columns.filter((c) => c !== "updated_by"),
        sortable: ["id", "name", "age"]
      }
    })
    return yield* Effect.gen(function*() {
      const people = yield* Repository.make({
        table,
        schema: Person,
        id: "id",
        unique: [["email"]],
        tenant: "tenant_id",
        softDelete: "deleted_at",
        audit: true
      })
      return yield* body(people, table)
    }).pipe(
      Effect.provide(policy),
      Effect.provideService(CurrentTenant, "acme"),
      Effect.provideService(CurrentActor, "alice"),
      Effect.ensuring(Effect.ignore(tables.drop(table)))
    )
  })

/**
 * A repository over a fresh table of one of the contract's shapes, the whole schema readable,
 * made with `create` and dropped after `body`.
 */
const withTableOf = <A, I extends { readonly id: unknown }>(
  prefix: string,
  create: (tables: Context.Tag.Service<ContractTables>) => (table: string) => Effect.Effect<void, unknown>,
  schema: Schema.Schema<A, I> & { readonly fields: Schema.Struct.Fields }
) =>
<X, E, R>(body: (repository: RepositoryOf<A>) => Effect.Effect<X, E, R>) =>
  Effect.gen(function*() {
    const tables = yield* ContractTables
    const table = uniqueName(prefix)
    yield* create(tables)(table)
    return yield* Repository.make({ table, schema, id: "id" }).pipe(
      Effect.flatMap(body),
      Effect.provide(AccessPolicyLayer.layer({ [table]: { readable: Object.keys(schema.fields) } })),
      Effect.ensuring(Effect.ignore(tables.drop(table)))
    )
  })

const withValues = withTableOf("values", (tables) => tables.createValues, Value)

const Text = Schema.Struct({ id: Schema.Number, body: Schema.String })
type Text = typeof Text.Type

/** Runs `body` against a fresh table of long texts (dropped afterwards). */
const withTexts = withTableOf("texts", (tables) => tables.createTexts, Text)

/** Every id of a `listCursor` walk of `limit` rows a page (at most 50 pages: one that repeats rows ends there). */
const cursorWalk = <A extends { readonly id: unknown }>(
  repository: RepositoryOf<A>,
  sort: ReadonlyArray<{ readonly field: string; readonly direction?: "asc" | "desc" }>,
  limit: number
) =>
  Effect.gen(function*() {
    const seen: Array<A["id"]> = []
    let after: string | undefined
    for (let page = 0; page < 50; page++) {
      const { items, nextCursor } = yield* repository.listCursor({
        limit,
        sort: sort as Array<{ field: string }>,
        ...(after === undefined ? {} : { after })
      })
      seen.push(...items.map((row) => row.id))
      if (nextCursor === null) break
      after = nextCursor
    }
    return seen
  })

/** A decimal as the drivers answer one (text), and a date. */
const Rounded = Schema.Struct({
  id: Schema.Number,
  amount: Schema.NumberFromString,
  at: Schema.DateFromSelf
})
type Rounded = typeof Rounded.Type

const withRounded = withTableOf("rounded", (tables) => tables.createRounded, Rounded)

const Labelled = Schema.Struct({ id: Schema.String, label: Schema.String })

const withPadded = withTableOf("padded", (tables) => tables.createPadded, Labelled)

/** A JSON array: as written, or as the text MariaDB (whose JSON is text) answers. */
const Tags = Schema.Array(Schema.String)
const Tagged = Schema.Struct({ id: Schema.Number, tags: Schema.Union(Tags, Schema.parseJson(Tags)) })
const withJson = withTableOf("json", (tables) => tables.createJson, Tagged)

/** Runs an effect with no `CurrentTenant` at all. */
const withoutTenant = <X, E>(effect: Effect.Effect<X, E>) =>
  Effect.mapInputContext(
    effect,
    (context: Context.Context<never>) =>
      Context.omit(CurrentTenant)(context as Context.Context<CurrentTenant>) as Context.Context<never>
  )

/**
 * 23 people, one soft-deleted, and a query over them that the walks (`stream`, `forEachPage`)
 * must read as `list` does: a filter, a sort with nulls first, the primary key as tiebreak.
 */
const walkFixture = (people: RepositoryOf<Person>) =>
  Effect.as(
    Effect.zipRight(people.createMany(Array.from({ length: 23 }, (_, i) => person(i + 1))), people.delete("p00003")),
    {
      filters: [{ field: "age", op: "ne" as const, value: 4 }],
      sort: [{ field: "age", direction: "desc" as const, nulls: "first" as const }, { field: "name" }]
    }
  )

const failureOf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.either(effect), (either) => Either.isLeft(either) ? either.left : undefined)

/** A tracer that counts spans by name and forwards to the current one. */
const counting = (names: Map<string, number>) =>
  Effect.map(Effect.tracer, (inner): Tracer.Tracer => ({
    ...inner,
    span(name, parent, context, links, startTime, kind, options) {
      names.set(name, (names.get(name) ?? 0) + 1)
      return inner.span(name, parent, context, links, startTime, kind, options)
    },
    context: (f, fiber) => inner.context(f, fiber)
  }))

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

/**
 * What a backend under test can do. `sideBySide`: two transactions run at once, each on its own
 * connection (the servers); memory and PGlite run one transaction at a time. `readsBeside`: a
 * read outside a transaction runs while one is open (the servers, and memory, whose reads do not
 * wait); PGlite has one connection, which the transaction holds.
 */
export interface SuiteOptions {
  readonly sideBySide?: boolean | undefined
  readonly readsBeside?: boolean | undefined
}

export const suite = (
  name: string,
  backendLayer: Layer.Layer<Repository.Repositories | ContractTables, unknown>,
  options: SuiteOptions = {}
): void => {
  layer(backendLayer, { timeout: "120 seconds", excludeTestServices: true })(name, (it) => {
    it.effect("an update that changes nothing writes nothing and answers the row, without audit too", () =>
      withPeople((_, table) =>
        Effect.gen(function*() {
          const Plain = Schema.Struct(Person.fields).pick("id", "tenant_id", "name", "email")
          const plain = yield* Repository.make({ table, schema: Plain, id: "id", tenant: "tenant_id" })
          const created = yield* plain.create({ id: "q1", name: "quiet", email: "q1@example.com" })
          expect(yield* plain.update("q1", {})).toEqual(created)
          expect(yield* plain.update("q1", { name: "quiet" })).toEqual(created)
          expect(yield* plain.update("q1", { name: "loud" })).toEqual({ ...created, name: "loud" })
          expect(yield* plain.findById("q1")).toEqual(Option.some({ ...created, name: "loud" }))
          expect((yield* failureOf(plain.update("q2", {})))?._tag).toBe("NotFound")
          const other = yield* failureOf(plain.update("q1", {}).pipe(Effect.provideService(CurrentTenant, "globex")))
          expect(other?._tag).toBe("AccessDenied")
          // A table whose every column is the key or the tenant: nothing an update could set.
          const tables = yield* ContractTables
          const keysTable = `${table}_keys`
          yield* tables.createKeys(keysTable)
          yield* Effect.gen(function*() {
            const Keys = Schema.Struct(Person.fields).pick("id", "tenant_id")
            const keys = yield* Repository.make({ table: keysTable, schema: Keys, id: "id", tenant: "tenant_id" })
            const key = yield* keys.create({ id: "k1" })
            expect(yield* keys.update("k1", {})).toEqual(key)
            expect(yield* keys.update("k1", { tenant_id: "acme" })).toEqual(key)
          }).pipe(
            Effect.provide(AccessPolicyLayer.layer({ [keysTable]: { readable: ["id", "tenant_id"] } })),
            Effect.ensuring(Effect.ignore(tables.drop(keysTable)))
          )
        })
      ))

    it.effect("create, findById, update and delete, with audit fields", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          const created = yield* people.create(person(1))
          expect(created.tenant_id).toBe("acme")
          expect(created.created_by).toBe("alice")
          expect(created.created_at).toBeInstanceOf(Date)
          const found = yield* people.findById("p00001")
          expect(Option.map(found, (p) => p.name)).toEqual(Option.some("name 1"))
          expect(yield* people.findById("nope")).toEqual(Option.none())
          const updated = yield* people.update("p00001", { name: "renamed", age: 40 }).pipe(
            Effect.provideService(CurrentActor, "bob")
          )
          expect(updated.name).toBe("renamed")
          expect(updated.updated_by).toBe("bob")
          expect(updated.created_by).toBe("alice")
          const reread = yield* people.findById("p00001")
          expect(Option.map(reread, (p) => [p.name, p.age, p.updated_by])).toEqual(Option.some(["renamed", 40, "bob"]))
          expect((yield* failureOf(people.update("missing", { name: "x" })))?._tag).toBe("NotFound")
          yield* people.delete("p00001")
          expect(yield* people.findById("p00001")).toEqual(Option.none())
          expect((yield* failureOf(people.delete("p00001")))?._tag).toBe("NotFound")
          expect((yield* people.findByField("email", "e1@example.com")).length).toBe(0)
        })
      ))

    it.effect("every filter operator", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          yield* people.createMany([
            person(1, { name: "Ann", age: 30 }),
            person(2, { name: "bob", age: 25 }),
            person(3, { name: "BOBBY", age: null }),
            person(4, { name: "100% real_deal", age: 40 }),
            person(5, { name: "carl", age: 30 })
          ])
          const match = (filter: Filter) => Effect.map(people.list({ filters: [filter] }), ids)
          expect(yield* match({ field: "age", op: "eq", value: 30 })).toEqual(["p00001", "p00005"])
          expect(yield* match({ field: "age", op: "ne", value: 30 })).toEqual(["p00002", "p00004"])
          expect(yield* match({ field: "age", op: "lt", value: 30 })).toEqual(["p00002"])
          expect(yield* match({ field: "age", op: "lte", value: 30 })).toEqual(["p00001", "p00002", "p00005"])
          expect(yield* match({ field: "age", op: "gt", value: 30 })).toEqual(["p00004"])
          expect(yield* match({ field: "age", op: "gte", value: 30 })).toEqual(["p00001", "p00004", "p00005"])
          expect(yield* match({ field: "name", op: "like", value: "bob" })).toEqual(["p00002"])
          expect(yield* match({ field: "name", op: "ilike", value: "bob" })).toEqual(["p00002", "p00003"])
          expect(yield* match({ field: "name", op: "like", value: "b_b" })).toEqual([])
          expect(yield* match({ field: "name", op: "like", value: "b_b", pattern: true })).toEqual(["p00002"])
          // A pattern ending in a lone escape character escapes nothing: refused on every backend.
          const dangling = yield* failureOf(
            people.list({ filters: [{ field: "name", op: "like", value: "b!", pattern: true }] })
          )
          expect(dangling?._tag).toBe("ValidationError")
          expect(yield* match({ field: "name", op: "like", value: "100!%%", pattern: true })).toEqual(["p00004"])
          expect(yield* match({ field: "name", op: "like", value: "0% real_" })).toEqual(["p00004"])
          expect(yield* match({ field: "name", op: "like", value: "%" })).toEqual(["p00004"])
          expect(yield* match({ field: "name", op: "ilike", value: "ANN" })).toEqual(["p00001"])
          // A number column matched by its text.
          expect(yield* match({ field: "age", op: "like", value: "3%", pattern: true })).toEqual(["p00001", "p00005"])
          expect(yield* match({ field: "age", op: "in", values: [25, 40, 99] })).toEqual(["p00002", "p00004"])
          expect(yield* match({ field: "age", op: "in", values: [] })).toEqual([])
          expect(yield* match({ field: "age", op: "notIn", values: [25, 40] })).toEqual(["p00001", "p00005"])
          expect(yield* match({ field: "age", op: "isNull" })).toEqual(["p00003"])
          expect(yield* match({ field: "age", op: "isNotNull" })).toEqual(["p00001", "p00002", "p00004", "p00005"])
          expect(yield* match({ field: "age", op: "between", from: 25, to: 30 })).toEqual([
            "p00001",
            "p00002",
            "p00005"
          ])
          expect(yield* match({ field: "id", op: "between", from: "p00002", to: "p00003" })).toEqual([
            "p00002",
            "p00003"
          ])
          expect(
            ids(
              yield* people.list({
                filters: [{ field: "age", op: "gte", value: 25 }, { field: "name", op: "ilike", value: "B" }]
              })
            )
          ).toEqual(["p00002"])
          expect(yield* people.count({ filters: [{ field: "age", op: "eq", value: 30 }] })).toBe(2)
          // A number the INTEGER column cannot hold compares as a number (PostgreSQL failed these).
          expect(yield* match({ field: "age", op: "gt", value: 27.5 })).toEqual(["p00001", "p00004", "p00005"])
          expect(yield* match({ field: "age", op: "eq", value: 30.5 })).toEqual([])
          expect(yield* match({ field: "age", op: "lt", value: 1e12 })).toEqual([
            "p00001",
            "p00002",
            "p00004",
            "p00005"
          ])
          expect(yield* match({ field: "age", op: "in", values: [25, 25.5, 1e12] })).toEqual(["p00002"])
          expect(yield* match({ field: "age", op: "between", from: 24.5, to: 29.9 })).toEqual(["p00002"])
          expect(yield* people.count({ filters: [{ field: "age", op: "ne", value: -1e12 }] })).toBe(4)
        })
      ))

    it.effect("text compares by code point, and `_` is one character", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          yield* people.createMany([
            person(1, { name: "ann" }),
            person(2, { name: "5" }),
            person(3, { name: "\uFF21 fullwidth" }),
            person(4, { name: "\u{1F600} emoji" }),
            person(5, { name: "a\u{1F600}b" })
          ])
          // U+1F600 is two UTF-16 units starting 0xD83D, below U+FF21, but the greater code point.
          const byName = yield* people.list({ sort: [{ field: "name" }] })
          expect(ids(byName)).toEqual(["p00002", "p00001", "p00005", "p00003", "p00004"])
          const match = (filter: Filter) => Effect.map(people.list({ filters: [filter] }), ids)
          expect(yield* match({ field: "name", op: "like", value: "a_b", pattern: true })).toEqual(["p00005"])
          expect(yield* match({ field: "name", op: "gt", value: "\uFF21" })).toEqual(["p00003", "p00004"])
          // A number against text is refused, as a value the column cannot hold (see below).
          const refused = yield* failureOf(people.count({ filters: [{ field: "name", op: "eq", value: 5 }] }))
          expect(refused?._tag).toBe("ValidationError")
        })
      ))

    it.effect("sorts are stable with ties: the primary key breaks them, nulls placed as asked", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          const ages = [3, 1, null, 3, 1, 2, null, 3]
          yield* people.createMany(ages.map((age, i) => person(i + 1, { age })))
          const asc = yield* people.list({ sort: [{ field: "age" }] })
          expect(ids(asc)).toEqual(["p00002", "p00005", "p00006", "p00001", "p00004", "p00008", "p00003", "p00007"])
          const desc = yield* people.list({ sort: [{ field: "age", direction: "desc", nulls: "first" }] })
          expect(ids(desc)).toEqual(["p00003", "p00007", "p00001", "p00004", "p00008", "p00006", "p00002", "p00005"])
          const twice = yield* people.list({ sort: [{ field: "age", direction: "desc", nulls: "first" }] })
          expect(ids(twice)).toEqual(ids(desc))
          const limited = yield* people.list({ sort: [{ field: "age" }], limit: 3 })
          expect(ids(limited)).toEqual(["p00002", "p00005", "p00006"])
        })
      ))

    it.effect("offset pages cover every row exactly once", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          yield* people.createMany(Array.from({ length: 23 }, (_, i) => person(i + 1)))
          const seen: Array<string> = []
          const first = yield* people.listPage({ page: 1, perPage: 5 }, { sort: [{ field: "age" }] })
          expect([first.total, first.pages, first.page, first.perPage]).toEqual([23, 5, 1, 5])
          for (let page = 1; page <= first.pages; page++) {
            const result = yield* people.listPage({ page, perPage: 5 }, { sort: [{ field: "age" }] })
            seen.push(...ids(result.items))
          }
          expect(seen.length).toBe(23)
          expect(new Set(seen).size).toBe(23)
          const beyond = yield* people.listPage({ page: 9, perPage: 5 })
          expect(beyond.items).toEqual([])
          const fromQueryString = yield* people.listPage({ page: "2", perPage: "10" })
          expect(fromQueryString.items.length).toBe(10)
        })
      ))

    it.effect("a keyset walk covers every row exactly once while rows are inserted between pages", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          yield* people.createMany(Array.from({ length: 30 }, (_, i) => person(i + 1)))
          const sort = [{ field: "age", direction: "desc" as const }, { field: "name" }]
          const seen: Array<string> = []
          let after: string | undefined = undefined
          let added = 100
          for (let guard = 0; guard < 100; guard++) {
            const page: { items: ReadonlyArray<Person>; nextCursor: string | null } = yield* people.listCursor({
              limit: 4,
              sort,
              ...(after === undefined ? {} : { after })
            })
            seen.push(...ids(page.items))
            yield* people.create(person(added++))
            if (page.nextCursor === null) break
            after = page.nextCursor
          }
          const original = Array.from({ length: 30 }, (_, i) => person(i + 1).id)
          for (const id of original) expect(seen.filter((s) => s === id).length).toBe(1)
          expect(new Set(seen).size).toBe(seen.length)
          const all = yield* Stream.runCollect(people.stream({}, 7))
          expect(Chunk.size(all)).toBe(30 + (added - 100))
        })
      ))

    it.effect("a keyset walk over NaN and the infinities reads every row once, where the backend stores them", () =>
      withValues((repository) =>
        Effect.gen(function*() {
          const { backend } = yield* Repository.Repositories
          // MySQL/MariaDB and SQL Server store no NaN or infinity: such a write is refused (above).
          if (backend === "mysql" || backend === "mariadb" || backend === "mssql") return
          const amounts = [1, Infinity, Infinity, Infinity, 2, -Infinity, NaN, NaN, -Infinity, 0]
          const base = { label: "x", flag: true, at: new Date("2024-01-01T00:00:00.000Z"), note: null }
          yield* repository.createMany(amounts.map((amount, i) => ({ ...base, id: i + 1, amount })))
          for (const direction of ["asc", "desc"] as const) {
            const sort = [{ field: "amount", direction }]
            const listed = (yield* repository.list({ sort })).map((row) => row.id)
            const seen: Array<number> = []
            let after: string | undefined
            for (let page = 0; page < amounts.length; page++) {
              const { items, nextCursor } = yield* repository.listCursor({
                limit: 2,
                sort,
                ...(after === undefined ? {} : { after })
              })
              seen.push(...items.map((row) => row.id))
              if (nextCursor === null) break
              after = nextCursor
            }
            expect(seen, direction).toEqual(listed)
          }
          // NaN above the infinity, as PostgreSQL orders them.
          expect((yield* repository.list({ sort: [{ field: "amount" }] })).map((row) => row.id)).toEqual([
            6,
            9,
            10,
            1,
            5,
            2,
            3,
            4,
            7,
            8
          ])
        })
      ))

    it.effect("every cursor listCursor hands out is taken back; one too long for that is refused as it would be made", () =>
      withTexts((repository) =>
        Effect.gen(function*() {
          // Sort values of 3,100 characters made cursors of about 4,300 that `after` refused.
          const long = (i: number) => "y".repeat(3_100) + i
          yield* repository.createMany([1, 2, 3].map((id) => ({ id, body: long(id) })))
          expect(yield* cursorWalk(repository, [{ field: "body" }], 1)).toEqual([1, 2, 3])
          const first = yield* repository.listCursor({ limit: 1, sort: [{ field: "body" }] })
          expect(first.nextCursor?.length).toBeGreaterThan(4_096)
          // A value past what a cursor may hold fails the page that would end on it, typed.
          yield* repository.create({ id: 4, body: "z".repeat(60_000) })
          const last = yield* failureOf(
            repository.listCursor({ limit: 1, sort: [{ field: "body", direction: "desc" }] })
          )
          expect(last?._tag === "ValidationError" && last.field).toBe("sort")
          expect(yield* failureOf(repository.listCursor({ limit: 1, after: "x".repeat(70_000) }))).toMatchObject({
            _tag: "ValidationError"
          })
        })
      ))

    it.effect("text alike in its first 1,100 characters sorts by its whole value, and every walk reads each row once", () =>
      withTexts((repository) =>
        Effect.gen(function*() {
          // MariaDB sorted by the first 1,024 bytes only: its order and its walks disagreed.
          const prefix = "x".repeat(1_100)
          yield* repository.createMany(["d", "c", "b", "a"].map((last, i) => ({ id: i + 1, body: prefix + last })))
          for (const direction of ["asc", "desc"] as const) {
            const sort = [{ field: "body", direction }]
            const expected = direction === "asc" ? [4, 3, 2, 1] : [1, 2, 3, 4]
            expect((yield* repository.list({ sort })).map((row) => row.id), direction).toEqual(expected)
            expect(yield* cursorWalk(repository, sort, 1), direction).toEqual(expected)
            const streamed = yield* Stream.runCollect(repository.stream({ sort }, 1).pipe(Stream.take(8)))
            expect(Chunk.toReadonlyArray(streamed).map((row) => row.id), direction).toEqual(expected)
            const paged: Array<number> = []
            const rows = yield* repository.forEachPage(
              (page) => Effect.sync(() => paged.push(...page.map((row) => row.id))),
              { sort },
              2
            )
            expect([rows, paged], direction).toEqual([4, expected])
          }
        })
      ))

    it.effect("a stream reads every matching row once, in list order, and refuses what listCursor refuses", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          const query = yield* walkFixture(people)
          const streamed = (q: typeof query, chunkSize: number) =>
            Effect.map(Stream.runCollect(people.stream(q, chunkSize)), (all) => ids(Chunk.toReadonlyArray(all)))
          const listed = ids(yield* people.list(query))
          expect(listed.length).toBeGreaterThan(10)
          expect(yield* streamed(query, 4)).toEqual(listed)
          expect(yield* streamed(query, 1000)).toEqual(listed)
          const other = yield* streamed(query, 4).pipe(Effect.provideService(CurrentTenant, "globex"))
          expect(other).toEqual([])
          const tooLarge = yield* failureOf(streamed(query, 1001))
          expect(tooLarge?._tag).toBe("ValidationError")
          const unsortable = yield* failureOf(streamed({ ...query, sort: [{ field: "email" }] } as never, 4))
          expect(unsortable?._tag).toBe("AccessDenied")
          const noTenant = yield* failureOf(withoutTenant(streamed(query, 4)))
          expect(noTenant?._tag === "AccessDenied" && noTenant.reason).toBe("MissingTenant")
        })
      ))

    it.effect("forEachPage hands every matching row once, in list order, a page at a time, and stops at a failure", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          const query = yield* walkFixture(people)
          const walk = (q: typeof query, chunkSize: number) =>
            Effect.gen(function*() {
              const pages: Array<ReadonlyArray<string>> = []
              const rows = yield* people.forEachPage((page) => Effect.sync(() => pages.push(ids(page))), q, chunkSize)
              return { rows, pages }
            })
          const listed = ids(yield* people.list(query))
          expect(listed.length).toBeGreaterThan(10)
          const byFour = yield* walk(query, 4)
          expect(byFour.rows).toBe(listed.length)
          expect(byFour.pages.flat()).toEqual(listed)
          expect(byFour.pages.every((page) => page.length <= 4)).toBe(true)
          expect(byFour.pages.length).toBe(Math.ceil(listed.length / 4))
          const whole = yield* walk(query, 1000)
          expect(whole.pages).toEqual([listed])
          const other = yield* walk(query, 4).pipe(Effect.provideService(CurrentTenant, "globex"))
          expect(other).toEqual({ rows: 0, pages: [[]] })
          let handed = 0
          const stopped = yield* failureOf(
            people.forEachPage(
              () => (++handed === 2 ? Effect.fail(new Error("disk full")) : Effect.void),
              query,
              4
            )
          )
          expect(stopped).toBeInstanceOf(Error)
          expect(handed).toBe(2)
          const tooLarge = yield* failureOf(walk(query, 1001))
          expect(tooLarge?._tag).toBe("ValidationError")
          const unsortable = yield* failureOf(walk({ ...query, sort: [{ field: "email" }] } as never, 4))
          expect(unsortable?._tag).toBe("AccessDenied")
          const noTenant = yield* failureOf(withoutTenant(walk(query, 4)))
          expect(noTenant?._tag === "AccessDenied" && noTenant.reason).toBe("MissingTenant")
        })
      ))

    it.effect("a query's limit ends stream and forEachPage where it ends list; listCursor refuses one", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          const query = yield* walkFixture(people)
          const listed = ids(yield* people.list(query))
          const first = (limit: number) => listed.slice(0, limit)
          expect(ids(yield* people.list({ ...query, limit: 5 }))).toEqual(first(5))
          const streamed = (limit: number, chunkSize: number) =>
            Effect.map(
              Stream.runCollect(people.stream({ ...query, limit }, chunkSize)),
              (all) => ids(Chunk.toReadonlyArray(all))
            )
          expect(yield* streamed(5, 2)).toEqual(first(5))
          expect(yield* streamed(5, 1000)).toEqual(first(5))
          expect(yield* streamed(1000, 4)).toEqual(listed)
          const walk = (limit: number, chunkSize: number) =>
            Effect.gen(function*() {
              const pages: Array<ReadonlyArray<string>> = []
              const rows = yield* people.forEachPage(
                (page) => Effect.sync(() => pages.push(ids(page))),
                { ...query, limit },
                chunkSize
              )
              return { rows, pages }
            })
          expect(yield* walk(5, 2)).toEqual({ rows: 5, pages: [first(2), listed.slice(2, 4), listed.slice(4, 5)] })
          expect(yield* walk(4, 2)).toEqual({ rows: 4, pages: [first(2), listed.slice(2, 4)] })
          expect(yield* walk(1000, 1000)).toEqual({ rows: listed.length, pages: [listed] })
          const refused = yield* failureOf(people.listCursor({ limit: 2, sort: query.sort }, { ...query, limit: 5 }))
          expect(refused?._tag === "ValidationError" && refused.field).toBe("query")
        })
      ))

    it.effect("soft delete hides a row, includeDeleted shows it, restore brings it back", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          yield* people.createMany([person(1), person(2)])
          yield* people.delete("p00001")
          expect(ids(yield* people.list())).toEqual(["p00002"])
          expect(yield* people.count()).toBe(1)
          expect(ids(yield* people.list({ includeDeleted: true }))).toEqual(["p00001", "p00002"])
          const deleted = yield* people.findById("p00001", { includeDeleted: true })
          expect(Option.map(deleted, (p) => p.deleted_at instanceof Date)).toEqual(Option.some(true))
          // A soft delete is a change: updated_at is the deletion's instant.
          expect(Option.map(deleted, (p) => p.updated_at?.getTime())).toEqual(
            Option.map(deleted, (p) => p.deleted_at?.getTime())
          )
          expect((yield* failureOf(people.update("p00001", { name: "x" })))?._tag).toBe("NotFound")
          const restored = yield* people.restore("p00001")
          expect(restored.deleted_at).toBeUndefined()
          expect(ids(yield* people.list())).toEqual(["p00001", "p00002"])
          expect((yield* failureOf(people.restore("p00001")))?._tag).toBe("NotFound")
          // purge removes a row for good, live or soft-deleted; restore has nothing to bring back.
          yield* people.delete("p00002")
          yield* people.purge("p00002")
          yield* people.purge("p00001")
          expect(ids(yield* people.list({ includeDeleted: true }))).toEqual([])
          expect((yield* failureOf(people.restore("p00002")))?._tag).toBe("NotFound")
          expect((yield* failureOf(people.purge("p00001")))?._tag).toBe("NotFound")
        })
      ))

    it.effect("without soft delete, delete removes the row", () =>
      withPeople((_, table) =>
        Effect.gen(function*() {
          const hard = yield* Repository.make({ table, schema: Person, id: "id", tenant: "tenant_id" })
          yield* hard.createMany([person(1), person(2)])
          yield* hard.delete("p00001")
          expect(ids(yield* hard.list({ includeDeleted: true }))).toEqual(["p00002"])
          expect((yield* failureOf(hard.delete("p00001")))?._tag).toBe("NotFound")
          expect((yield* failureOf(hard.restore("p00002")))?._tag).toBe("ValidationError")
        })
      ))

    it.effect("tenants are isolated; no tenant means AccessDenied", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          yield* people.createMany([person(1), person(2)])
          for (const other of ["globex", "ACME", "acme "]) {
            const as = <X, E, R>(effect: Effect.Effect<X, E, R>) => Effect.provideService(effect, CurrentTenant, other)
            expect(yield* as(people.list())).toEqual([])
            expect(yield* as(people.count())).toBe(0)
            expect(yield* as(people.findById("p00001"))).toEqual(Option.none())
            expect(yield* as(people.findByField("email", "e1@example.com"))).toEqual([])
            const update = yield* failureOf(as(people.update("p00001", { name: "stolen" })))
            expect([update?._tag, update?._tag === "AccessDenied" ? update.reason : ""]).toEqual([
              "AccessDenied",
              "TenantMismatch"
            ])
            expect((yield* failureOf(as(people.delete("p00001"))))?._tag).toBe("AccessDenied")
            expect((yield* failureOf(as(people.purge("p00001"))))?._tag).toBe("AccessDenied")
            expect((yield* failureOf(as(people.upsert(person(1, { name: "stolen" })))))?._tag).toBe("AccessDenied")
            const byEmail = yield* failureOf(as(people.upsert(person(60, { email: "e1@example.com" }))))
            expect(byEmail?._tag === "AccessDenied" && byEmail.reason).toBe("TenantMismatch")
          }
          const foreign = yield* failureOf(people.create(person(3, { tenant_id: "globex" })))
          expect(foreign?._tag === "AccessDenied" && foreign.reason).toBe("TenantMismatch")
          const empty = yield* failureOf(people.list().pipe(Effect.provideService(CurrentTenant, "")))
          expect(empty?._tag === "AccessDenied" && empty.reason).toBe("MissingTenant")
          // A tenant the servers would store as another (U+FFFD for a lone surrogate), or refuse.
          for (const tenant of ["acme\uD800", "acme\u0000"]) {
            const within = <X, E, R>(effect: Effect.Effect<X, E, R>) =>
              Effect.provideService(effect, CurrentTenant, tenant)
            expect((yield* failureOf(within(people.create(person(5)))))?._tag, JSON.stringify(tenant)).toBe(
              "ValidationError"
            )
            expect((yield* failureOf(within(people.list())))?._tag, JSON.stringify(tenant)).toBe("ValidationError")
          }
          // A tenant from untyped code (a claim read as a number, a null) fails typed, never as a defect.
          const untyped: ReadonlyArray<[unknown, string]> = [
            [42, "ValidationError"],
            [["acme"], "ValidationError"],
            [null, "AccessDenied"],
            [undefined, "AccessDenied"]
          ]
          for (const [tenant, tag] of untyped) {
            const within = <X, E, R>(effect: Effect.Effect<X, E, R>) =>
              Effect.provideService(effect, CurrentTenant, tenant as string)
            const calls: ReadonlyArray<Effect.Effect<unknown, { readonly _tag: string }>> = [
              people.list(),
              people.create(person(6)),
              people.findById("p00001")
            ]
            for (const effect of calls) {
              const exit = yield* Effect.exit(within(effect))
              expect(Exit.isFailure(exit) && Cause.failureOption(exit.cause).pipe(Option.map((e) => e._tag)))
                .toEqual(Option.some(tag))
            }
          }
          const noTenant = yield* failureOf(
            withoutTenant(people.findById("p00001"))
          )
          expect(noTenant?._tag === "AccessDenied" && noTenant.reason).toBe("MissingTenant")
          const noTenantWrite = yield* failureOf(
            withoutTenant(people.create(person(4)))
          )
          expect(noTenantWrite?._tag === "AccessDenied" && noTenantWrite.reason).toBe("MissingTenant")
          const rows = yield* people.list()
          expect(rows.map((p) => [p.id, p.name, p.tenant_id])).toEqual([["p00001", "name 1", "acme"], [
            "p00002",
            "name 2",
            "acme"
          ]])
        })
      ))

    it.effect.runIf(options.readsBeside === true)(
      "a read outside a transaction sees what was committed, not the open transaction's writes",
      () =>
        withPeople((people) =>
          Effect.gen(function*() {
            yield* people.createMany([person(1), person(2)])
            const written = yield* Deferred.make<void>()
            const release = yield* Deferred.make<void>()
            const open = yield* Repository.withTransaction(Effect.gen(function*() {
              yield* people.create(person(3))
              yield* people.update("p00001", { name: "changed" })
              yield* people.delete("p00002")
              yield* Deferred.succeed(written, undefined)
              yield* Deferred.await(release)
            })).pipe(Effect.fork)
            yield* Deferred.await(written)
            const names = Effect.map(people.list(), (rows) => rows.map((p) => [p.id, p.name]))
            expect(yield* names).toEqual([["p00001", "name 1"], ["p00002", "name 2"]])
            expect(yield* people.count()).toBe(2)
            expect(Option.isNone(yield* people.findById("p00003"))).toBe(true)
            yield* Deferred.succeed(release, undefined)
            yield* Fiber.join(open)
            expect(yield* names).toEqual([["p00001", "changed"], ["p00003", "name 3"]])
          })
        )
    )

    // The other tenant's statement runs while the transaction is open: on a second connection.
    it.effect.runIf(options.sideBySide === true)(
      "an upsert never writes over a row another tenant commits after its transaction began",
      () =>
        withPeople((people) =>
          Effect.gen(function*() {
            const globex = <X, E, R>(effect: Effect.Effect<X, E, R>) =>
              Effect.provideService(effect, CurrentTenant, "globex")
            const cases: ReadonlyArray<[Person, Person, ReadonlyArray<"id" | "email">]> = [
              [person(1), person(1, { name: "stolen" }), ["id"]],
              [person(2), person(70, { email: "e2@example.com", name: "stolen" }), ["email"]],
              // Another key than `on`: MySQL's ON DUPLICATE KEY fires on it too.
              [person(3), person(71, { email: "e3@example.com", name: "stolen" }), ["id"]]
            ]
            for (const [theirs, ours, on] of cases) {
              const begun = yield* Deferred.make<void>()
              const committed = yield* Deferred.make<void>()
              // The transaction reads first (MySQL/MariaDB fix its snapshot then), and upserts once
              // the other tenant's row is committed.
              const upsert = yield* Repository.withTransaction(Effect.gen(function*() {
                yield* people.count()
                yield* Deferred.succeed(begun, undefined)
                yield* Deferred.await(committed)
                return yield* people.upsert(ours, { on })
              })).pipe(Effect.either, Effect.fork)
              yield* Deferred.await(begun)
              yield* globex(people.create(theirs))
              yield* Deferred.succeed(committed, undefined)
              const outcome = yield* Fiber.join(upsert)
              expect(
                Either.isLeft(outcome) && outcome.left._tag === "AccessDenied" && outcome.left.reason,
                JSON.stringify(on)
              ).toBe("TenantMismatch")
            }
            expect((yield* globex(people.list())).map((p) => [p.id, p.name])).toEqual([
              ["p00001", "name 1"],
              ["p00002", "name 2"],
              ["p00003", "name 3"]
            ])
            expect(yield* people.list()).toEqual([])
          })
        )
    )

    it.effect("an actor no backend stores as it is, or one that is no string, is a ValidationError and writes nothing", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          yield* people.create(person(1))
          for (const actor of ["alice\u0000", "alice\uD800", 42, {}]) {
            const as = <X, E, R>(effect: Effect.Effect<X, E, R>) =>
              Effect.provideService(effect, CurrentActor, actor as string)
            const writes: ReadonlyArray<
              Effect.Effect<unknown, { readonly _tag: string; readonly field?: string | undefined }>
            > = [
              people.create(person(2)),
              people.createMany([person(3)]),
              people.update("p00001", { name: "renamed" }),
              people.delete("p00001")
            ]
            for (const write of writes) {
              const failure = yield* failureOf(as(write))
              expect([failure?._tag, failure?.field], JSON.stringify(actor)).toEqual(["ValidationError", "actor"])
            }
          }
          expect((yield* people.list()).map((p) => [p.id, p.name, p.created_by, p.updated_by])).toEqual([
            ["p00001", "name 1", "alice", "alice"]
          ])
        })
      ))

    it.effect("a duplicate key is DataAccessError UniqueViolation; upsert updates in place", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          const created = yield* people.create(person(1))
          const duplicateId = yield* failureOf(people.create(person(1, { email: "other@example.com" })))
          expect(duplicateId?._tag === "DataAccessError" && duplicateId.reason).toBe("UniqueViolation")
          const duplicateEmail = yield* failureOf(people.create(person(2, { email: "e1@example.com" })))
          expect(duplicateEmail?._tag === "DataAccessError" && duplicateEmail.reason).toBe("UniqueViolation")
          const upserted = yield* people.upsert(person(1, { name: "upserted", age: 9 }))
          expect([upserted.name, upserted.age, upserted.created_by]).toEqual(["upserted", 9, "alice"])
          expect(upserted.created_at?.getTime()).toBe(created.created_at?.getTime())
          const inserted = yield* people.upsert(person(3))
          expect(inserted.id).toBe("p00003")
          const byEmail = yield* people.upsert(person(99, { email: "e3@example.com", name: "by email" }), {
            on: ["email"]
          })
          expect([byEmail.id, byEmail.name]).toEqual(["p00003", "by email"])
          const clash = yield* failureOf(people.upsert(person(50, { email: "e3@example.com" })))
          expect(clash?._tag === "DataAccessError" && clash.reason).toBe("UniqueViolation")
          // `on` names exactly the columns of a declared key: `[]` (which matched any row, another
          // tenant's included), a column twice, or a column outside one key is refused.
          for (const on of [[], ["email", "email"], ["id", "email"], ["name"]]) {
            const refused = yield* failureOf(people.upsert(person(60, { email: "e60@example.com" }), { on }))
            expect(refused?._tag === "ValidationError" && refused.field, JSON.stringify(on)).toBe("on")
          }
          expect(yield* people.count()).toBe(2)
        })
      ))

    it.effect("createMany inserts 10,000 rows in chunks under the parameter limit", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          const inserted = yield* people.createMany(Array.from({ length: 10_000 }, (_, i) => person(i + 1)))
          expect(inserted).toBe(10_000)
          expect(yield* people.count()).toBe(10_000)
          expect(yield* people.countEstimate()).toBe(10_000)
          const page = yield* people.listPage({ page: 200, perPage: 50 })
          expect(ids(page.items).at(-1)).toBe("p10000")
        })
      ))

    it.effect("a failing transaction across repositories leaves nothing behind", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          yield* people.create(person(1))
          const failed = yield* failureOf(
            Repository.withTransaction(Effect.gen(function*() {
              yield* people.create(person(2))
              yield* people.update("p00001", { name: "changed" })
              yield* people.create(person(3, { email: "e2@example.com" }))
            }))
          )
          expect(failed?._tag === "DataAccessError" && failed.reason).toBe("UniqueViolation")
          expect((yield* people.list()).map((p) => [p.id, p.name])).toEqual([["p00001", "name 1"]])
          yield* Repository.withTransaction(Effect.all([people.create(person(2)), people.create(person(3))]))
          expect(yield* people.count()).toBe(3)
        })
      ))

    it.effect("a write that fails inside a transaction and is caught there: the transaction commits the rest or fails, never succeeds having applied nothing", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          yield* people.create(person(1))
          const outcome = yield* Effect.either(Repository.withTransaction(Effect.gen(function*() {
            yield* people.create(person(2))
            const clash = yield* Effect.either(people.create(person(3, { email: "e1@example.com" })))
            expect(clash._tag).toBe("Left")
            return "done" as const
          })))
          const stored = ids(yield* people.list())
          // PostgreSQL rolls a transaction back at its failed statement; the others roll back the statement.
          if (Either.isRight(outcome)) {
            expect(stored).toEqual(["p00001", "p00002"])
          } else {
            expect(outcome.left._tag === "DataAccessError" && outcome.left.reason).toBe("UniqueViolation")
            expect(stored).toEqual(["p00001"])
          }
        })
      ))

    it.effect("concurrent reads of one id hand each caller values of its own", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          const created = yield* people.create(person(1))
          const at = created.created_at?.getTime()
          const [a, b] = yield* Effect.all([people.findById("p00001"), people.findById("p00001")], {
            concurrency: "unbounded"
          })
          Option.getOrThrow(a).created_at?.setTime(0)
          expect(Option.getOrThrow(b).created_at?.getTime()).toBe(at)
          expect(Option.map(yield* people.findById("p00001"), (p) => p.created_at?.getTime())).toEqual(Option.some(at))
        })
      ))

    it.effect("a failing transaction undoes its own writes only: a write made outside it meanwhile stays", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          yield* people.create(person(1))
          const begun = yield* Deferred.make<void>()
          const outside = yield* Effect.fork(
            Effect.zipRight(Deferred.await(begun), people.update("p00001", { name: "outside" }))
          )
          const created = yield* Effect.fork(Effect.zipRight(Deferred.await(begun), people.create(person(3))))
          const failed = yield* failureOf(Repository.withTransaction(Effect.gen(function*() {
            yield* people.create(person(2))
            yield* Deferred.succeed(begun, undefined)
            // The other fibers run now, as far as they can, before this transaction fails.
            for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
            return yield* Effect.fail("rolled back" as const)
          })))
          expect(failed).toBe("rolled back")
          yield* Fiber.join(outside)
          yield* Fiber.join(created)
          expect((yield* people.list()).map((p) => [p.id, p.name])).toEqual([["p00001", "outside"], [
            "p00003",
            "name 3"
          ]])
        })
      ))

    it.effect("bad input gives typed errors, values are stored verbatim, nothing else changes", () =>
      withPeople((people, table) =>
        Effect.gen(function*() {
          const tables = yield* ContractTables
          const hostile = ["' OR 1=1 --", "\"; DROP TABLE x; --", "'); DELETE FROM people; --", "\\' %_[]!"]
          yield* people.createMany(hostile.map((name, i) => person(i + 1, { name })))
          const stored = yield* people.list()
          expect(stored.map((p) => p.name)).toEqual(hostile)
          for (const name of hostile) {
            expect(ids(yield* people.findByField("name", name))).toHaveLength(1)
            expect(ids(yield* people.list({ filters: [{ field: "name", op: "like", value: name }] }))).toHaveLength(1)
          }
          const before = yield* tables.snapshot(table)
          const count = yield* people.count()

          const reasons = yield* Effect.all([
            failureOf(people.list({ filters: [{ field: "updated_by", op: "eq", value: "x" }] })),
            failureOf(people.list({ filters: [{ field: "no_such", op: "eq", value: "x" }] })),
            failureOf(people.list({ filters: [{ field: "name; DROP TABLE x", op: "eq", value: "x" }] })),
            failureOf(people.list({ sort: [{ field: "email" }] })),
            failureOf(people.list({ sort: [{ field: "pg_catalog.pg_authid" }] })),
            failureOf(people.findByField("updated_by", "x"))
          ])
          expect(reasons.map((e) => e?._tag === "AccessDenied" ? e.reason : e?._tag)).toEqual([
            "FilterNotAllowed",
            "FilterNotAllowed",
            "FilterNotAllowed",
            "SortNotAllowed",
            "SortNotAllowed",
            "FilterNotAllowed"
          ])
          const otherTable = yield* failureOf(
            Repository.make({ table: "pg_authid", schema: Person, id: "id" })
          )
          expect(otherTable?._tag === "AccessDenied" && otherTable.reason).toBe("TableNotAllowed")
          const validation = yield* Effect.all([
            failureOf(people.listPage({ page: 1, perPage: 1_000_000_000 })),
            failureOf(people.listPage({ page: -1, perPage: 10 })),
            failureOf(people.listPage({ page: 0, perPage: 10 })),
            failureOf(people.listPage({ page: "1; DROP TABLE x", perPage: 10 })),
            failureOf(people.listCursor({ limit: 1_000_000_000 })),
            failureOf(people.list({ filters: [{ field: "age", op: "drop" } as unknown as Filter] }))
          ])
          expect(validation.map((e) => e?._tag)).toEqual(Array(6).fill("ValidationError"))

          const page = yield* people.listCursor({ limit: 2, sort: [{ field: "name" }] })
          const cursor = page.nextCursor ?? ""
          const [payload = "", signature = ""] = cursor.split(".")
          const forged = Buffer.from(
            Buffer.from(payload, "base64url").toString("utf8").replace(/"v":\[.*\]/, "\"v\":[\"a\",\"b\"]")
          ).toString("base64url")
          const cursors = yield* Effect.all([
            failureOf(people.listCursor({ limit: 2, sort: [{ field: "name" }], after: `${forged}.${signature}` })),
            failureOf(people.listCursor({ limit: 2, sort: [{ field: "name" }], after: `${payload}.x${signature}` })),
            failureOf(people.listCursor({ limit: 2, sort: [{ field: "name" }], after: "garbage" })),
            failureOf(people.listCursor({ limit: 2, sort: [{ field: "age" }], after: cursor })),
            failureOf(people.listCursor({ limit: 2, sort: [{ field: "name", direction: "desc" }], after: cursor }))
          ])
          expect(cursors.map((e) => e?._tag)).toEqual(Array(5).fill("ValidationError"))
          const next = yield* people.listCursor({ limit: 2, sort: [{ field: "name" }], after: cursor })
          expect(next.items.length).toBe(2)

          expect(yield* tables.snapshot(table)).toEqual(before)
          expect(yield* people.count()).toBe(count)
        })
      ))

    it.effect("a field the schema may leave out and that takes no null is read back left out where its column is NULL", () =>
      Effect.gen(function*() {
        const tables = yield* ContractTables
        const table = uniqueName("loose")
        yield* tables.create(table)
        // `Schema.optional`, not `optionalWith(..., { nullable: true })`: create wrote the row and
        // then failed to decode its NULLs, on every backend.
        const Loose = Schema.Struct({
          id: Schema.String,
          tenant_id: Schema.optional(Schema.String),
          name: Schema.String,
          email: Schema.String,
          age: Schema.optional(Schema.Number),
          created_at: Schema.optional(Schema.DateFromSelf),
          updated_at: Schema.optional(Schema.DateFromSelf),
          created_by: Schema.optional(Schema.String),
          updated_by: Schema.optional(Schema.String),
          deleted_at: Schema.optional(Schema.DateFromSelf)
        })
        yield* Effect.gen(function*() {
          const loose = yield* Repository.make({
            table,
            schema: Loose,
            id: "id",
            tenant: "tenant_id",
            softDelete: "deleted_at",
            audit: true
          })
          const created = yield* loose.create({ id: "l1", name: "a", email: "l1@example.com" })
          expect([created.id, created.tenant_id, "age" in created, "deleted_at" in created]).toEqual([
            "l1",
            "acme",
            false,
            false
          ])
          expect(Option.map(yield* loose.findById("l1"), (row) => "deleted_at" in row)).toEqual(Option.some(false))
          yield* loose.delete("l1")
          const restored = yield* loose.restore("l1")
          expect("deleted_at" in restored).toBe(false)
          expect((yield* loose.list()).map((row) => row.id)).toEqual(["l1"])
        }).pipe(
          Effect.provide(AccessPolicyLayer.layer({ [table]: { readable: Object.keys(Loose.fields) } })),
          Effect.provideService(CurrentTenant, "acme"),
          Effect.provideService(CurrentActor, "alice"),
          Effect.ensuring(Effect.ignore(tables.drop(table)))
        )
      }))

    it.effect("an array written to a JSON column is stored as JSON by every write", () =>
      withJson((repository) =>
        Effect.gen(function*() {
          // PostgreSQL refused node-postgres's array literal ("invalid input syntax for type json").
          yield* repository.create({ id: 1, tags: ["a", "b"] })
          yield* repository.createMany([{ id: 2, tags: [] }, { id: 3, tags: ["c"] }])
          yield* repository.loadMany([{ id: 4, tags: ["d", "e"] }, { id: 5, tags: ["f"] }])
          yield* repository.upsert({ id: 6, tags: ["g"] })
          yield* repository.upsert({ id: 1, tags: ["a", "b", "c"] })
          yield* repository.update(2, { tags: ["x"] })
          const stored = yield* repository.list({ sort: [{ field: "id" }] })
          expect(stored.map((row) => [row.id, row.tags])).toEqual([
            [1, ["a", "b", "c"]],
            [2, ["x"]],
            [3, ["c"]],
            [4, ["d", "e"]],
            [5, ["f"]],
            [6, ["g"]]
          ])
        })
      ))

    it.effect("afterCommit runs once the outermost withTransaction commits, never after one that fails", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          const repositories = yield* Repository.Repositories
          const ran: Array<string> = []
          const mark = (label: string) => repositories.afterCommit(Effect.sync(() => void ran.push(label)))
          yield* mark("outside")
          yield* repositories.withTransaction(Effect.gen(function*() {
            yield* people.create(person(1))
            yield* repositories.withTransaction(mark("nested"))
            yield* Effect.all([mark("forked"), mark("inside")], { concurrency: "unbounded" })
            // Not yet: the transaction has not committed.
            expect(ran).toEqual(["outside"])
          }))
          expect([...ran].sort()).toEqual(["forked", "inside", "nested", "outside"])
          const failed = yield* Effect.either(
            repositories.withTransaction(Effect.zipRight(mark("failed"), Effect.fail("no")))
          )
          expect(failed._tag).toBe("Left")
          expect(ran).not.toContain("failed")
        })
      ))

    it.effect("a configuration or page function from untyped code is a ValidationError, not a defect", () =>
      withPeople((people, table) =>
        Effect.gen(function*() {
          const make = (config: unknown) =>
            Effect.map(
              failureOf(
                Repository.make(config as Parameters<typeof Repository.make<Person, typeof Person.Encoded>>[0])
              ),
              (error) => [error?._tag, (error as { field?: string } | undefined)?.field]
            )
          // `unique: ["email"]` (one key, not a list of keys) died on `key.map`.
          for (
            const config of [
              null,
              { table, schema: Person, id: "id", unique: ["email"] },
              { table, schema: Person, id: "id", unique: "email" },
              { table: null, schema: Person, id: "id" },
              { table, schema: Schema.String, id: "id" },
              { table, schema: Person, id: 1 }
            ]
          ) {
            expect(yield* make(config), JSON.stringify(config)).toEqual(["ValidationError", "config"])
          }
          const walk = people.forEachPage as unknown as (f: unknown) => Effect.Effect<number, { _tag: string }>
          expect((yield* failureOf(walk(null)))?._tag).toBe("ValidationError")
        })
      ))

    it.effect("a list argument that is no array, from untyped code, is a ValidationError naming it, and writes nothing", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          yield* people.createMany([person(1), person(2)])
          // A string is no list of ids: read as one, "p1" would have been the ids "p" and "1".
          const untyped = people as unknown as
            & {
              readonly [K in "createMany" | "loadMany" | "deleteMany"]: (
                input: unknown
              ) => Effect.Effect<unknown, unknown>
            }
            & { readonly upsert: (record: Person, options: unknown) => Effect.Effect<unknown, unknown> }
            & { readonly update: (id: string, patch: unknown) => Effect.Effect<unknown, unknown> }
          const failures = yield* Effect.all([
            failureOf(untyped.createMany(null)),
            failureOf(untyped.createMany({ 0: person(3), length: 1 })),
            failureOf(untyped.loadMany(null)),
            failureOf(untyped.loadMany("p00003")),
            failureOf(untyped.deleteMany("p00001")),
            failureOf(untyped.deleteMany(undefined)),
            failureOf(untyped.upsert(person(1, { name: "x" }), { on: "id" })),
            // Nor is anything but an object a patch (a string's characters were no columns).
            failureOf(untyped.update("p00001", null)),
            failureOf(untyped.update("p00001", "renamed")),
            failureOf(untyped.update("p00001", ["renamed"]))
          ])
          expect(failures.map((e) => (e as { _tag?: string; field?: string } | undefined)?._tag)).toEqual(
            Array(10).fill("ValidationError")
          )
          expect(failures.map((e) => (e as { field?: string }).field)).toEqual([
            "records",
            "records",
            "records",
            "records",
            "ids",
            "ids",
            "on",
            "patch",
            "patch",
            "patch"
          ])
          expect((yield* people.list()).map((p) => [p.id, p.name])).toEqual([["p00001", "name 1"], [
            "p00002",
            "name 2"
          ]])
        })
      ))

    it.effect("a Date given to a write or read back is the caller's own: changing it changes nothing stored", () =>
      withValues((repository) =>
        Effect.gen(function*() {
          const given = new Date("2024-05-05T00:00:00.000Z")
          const base = { label: "x", flag: true, amount: 1, note: null }
          yield* repository.create({ ...base, id: 1, at: given })
          given.setUTCFullYear(2001)
          yield* repository.createMany([{ ...base, id: 2, at: given }])
          given.setUTCFullYear(2002)
          yield* repository.upsert({ ...base, id: 3, at: given })
          given.setUTCFullYear(2003)
          const patch = new Date("2024-06-06T00:00:00.000Z")
          yield* repository.update(2, { at: patch })
          patch.setUTCFullYear(2004)
          const read = Option.getOrThrow(yield* repository.findById(1))
          read.at.setUTCFullYear(1999)
          const listed = yield* repository.list({ sort: [{ field: "id" }] })
          for (const row of listed) row.at.setUTCFullYear(1998)
          const years = (rows: ReadonlyArray<Value>) => rows.map((row) => [row.id, row.at.toISOString()])
          expect(years(yield* repository.list({ sort: [{ field: "id" }] }))).toEqual([
            [1, "2024-05-05T00:00:00.000Z"],
            [2, "2024-06-06T00:00:00.000Z"],
            [3, "2002-05-05T00:00:00.000Z"]
          ])
          expect(yield* repository.count({ filters: [{ field: "at", op: "lt", value: "2002-01-01" }] })).toBe(0)
        })
      ))

    it.effect("a date column is filtered by date strings as instants, their offsets kept; a string that is no date is refused", () =>
      withValues((repository) =>
        Effect.gen(function*() {
          const at = (iso: string) => new Date(iso)
          const base = { label: "x", flag: true, amount: 1, note: null }
          yield* repository.createMany([
            { ...base, id: 1, at: at("2024-01-01T00:00:00.000Z") },
            { ...base, id: 2, at: at("2024-01-01T04:00:00.000Z") },
            { ...base, id: 3, at: at("2024-01-01T06:00:00.000Z") }
          ])
          const match = (filter: Filter) =>
            Effect.map(repository.list({ filters: [filter] }), (rows) => rows.map((r) => r.id))
          // 08:00 at +05:00 is 03:00 UTC.
          expect(yield* match({ field: "at", op: "gte", value: "2024-01-01T08:00:00+05:00" })).toEqual([2, 3])
          expect(yield* match({ field: "at", op: "in", values: ["2024-01-01T09:00:00+05:00", "2024-01-01T00:00:00Z"] }))
            .toEqual([1, 2])
          // No offset: UTC, as the layers exchange dates.
          expect(yield* match({ field: "at", op: "between", from: "2024-01-01T03:00:00", to: "2024-01-01T05:00:00" }))
            .toEqual([2])
          // Only ISO 8601: `Date.parse` reads "1" as a day of 2001, a space-separated time in local
          // time, and February 30th as March 1st.
          for (const value of ["soon", "1", "Tue 1", "2024-02-30T00:00:00Z", "2024-01-01T24:00:00Z"]) {
            const refused = yield* failureOf(repository.list({ filters: [{ field: "at", op: "eq", value }] }))
            expect(refused?._tag, value).toBe("ValidationError")
          }
          expect(yield* match({ field: "at", op: "eq", value: "2024-01-01 04:00:00" })).toEqual([2])
          // Filters compare to the millisecond: a finer fraction (`.0045` read as `.004` matched the
          // wrong rows of a microsecond column) is refused; zeros past the millisecond are none.
          expect(yield* match({ field: "at", op: "eq", value: "2024-01-01T00:00:00.000000Z" })).toEqual([1])
          expect(yield* match({ field: "at", op: "lte", value: "2024-01-01T00:00:00.000000000Z" })).toEqual([1])
          for (
            const value of ["2024-01-01T00:00:00.0045Z", "2024-01-01T00:00:00.000000001Z", "2024-01-01T00:00:00.0001"]
          ) {
            const refused = yield* failureOf(repository.list({ filters: [{ field: "at", op: "gt", value }] }))
            expect(refused?._tag === "ValidationError" && refused.detail, value).toContain("finer than a millisecond")
          }
          const between = yield* failureOf(
            repository.count({
              filters: [{ field: "at", op: "between", from: "2024-01-01", to: "2024-01-01T03:00:00.0049Z" }]
            })
          )
          expect(between?._tag).toBe("ValidationError")
          // Each backend would match another text of the date: refused on every one.
          for (const op of ["like", "ilike"] as const) {
            const refused = yield* failureOf(repository.list({ filters: [{ field: "at", op, value: "2024" }] }))
            expect(refused?._tag, op).toBe("ValidationError")
          }
        })
      ))

    it.effect("a write to an id that a padding collation matches with another row's touches no other row", () =>
      withPadded((repository) =>
        Effect.gen(function*() {
          const { backend } = yield* Repository.Repositories
          yield* repository.createMany([{ id: "p1", label: "a" }, { id: "p2", label: "b" }])
          // MariaDB matched `p1 ` with `p1` (PAD SPACE), and the write went to that row.
          expect(yield* failureOf(repository.update("p1 ", { label: "x" }))).toMatchObject({ _tag: "NotFound" })
          expect(yield* failureOf(repository.delete("p1 "))).toMatchObject({ _tag: "NotFound" })
          expect(yield* failureOf(repository.purge("p1 "))).toMatchObject({ _tag: "NotFound" })
          // `p2 ` is a key of its own where text does not pad; where it does, it is `p2`'s, taken.
          const upserted = yield* Effect.either(repository.upsert({ id: "p2 ", label: "z" }))
          const pads = backend === "mysql" || backend === "mariadb" || backend === "mssql"
          if (pads) {
            expect(Either.isLeft(upserted) && upserted.left).toMatchObject({ reason: "UniqueViolation" })
          } else {
            expect(upserted).toEqual(Either.right({ id: "p2 ", label: "z" }))
          }
          const stored = yield* repository.list({ filters: [{ field: "id", op: "in", values: ["p1", "p2"] }] })
          expect(stored.filter((row) => row.id === "p1" || row.id === "p2")).toEqual([
            { id: "p1", label: "a" },
            { id: "p2", label: "b" }
          ])
        })
      ))

    it.effect("create and update answer the record as stored, as findById reads it back", () =>
      withRounded((repository) =>
        Effect.gen(function*() {
          const created = yield* repository.create({ id: 1, amount: 1.005, at: new Date("2024-01-01T00:00:00.400Z") })
          expect(created).toEqual(Option.getOrThrow(yield* repository.findById(1)))
          const updated = yield* repository.update(1, { amount: 2.3449, at: new Date("2024-01-01T00:00:01.200Z") })
          expect(updated).toEqual(Option.getOrThrow(yield* repository.findById(1)))
          const upserted = yield* repository.upsert({ id: 1, amount: 7.891, at: new Date("2024-01-01T00:00:02.300Z") })
          expect(upserted).toEqual(Option.getOrThrow(yield* repository.findById(1)))
          // An update keeps the primary key: one that would change it was answered as if applied.
          const moved = yield* failureOf(repository.update(1, { id: 2 }))
          expect(moved?._tag).toBe("ValidationError")
          expect(yield* repository.findById(2)).toEqual(Option.none())
          expect(Option.isSome(yield* repository.findById(1))).toBe(true)
        })
      ))

    it.effect("an invalid or out-of-range Date, a lone surrogate or a NUL is refused on every write and in filters", () =>
      withValues((repository) =>
        Effect.gen(function*() {
          const good = { id: 1, label: "x", flag: true, amount: 1, at: new Date("2024-01-01T00:00:00Z"), note: null }
          yield* repository.create(good)
          // MariaDB stored the year 20000 as the zero date (read back as null), mysql2 read the year 50
          // back as 1950; PostgreSQL refuses a NUL.
          const year = (y: number) => new Date(new Date("2024-01-01T00:00:00Z").setUTCFullYear(y))
          const bad: ReadonlyArray<Partial<Value>> = [
            { at: new Date("x") },
            { at: year(20_000) },
            { at: year(-1) },
            { at: year(0) },
            { at: year(50) },
            { at: year(999) },
            { label: "a\uD800b" },
            { note: "\uDFFF" },
            { label: "a\u0000b" }
          ]
          for (const change of bad) {
            const refused = (effect: Effect.Effect<unknown, { readonly _tag: string }>) =>
              Effect.map(failureOf(effect), (error) => error?._tag)
            const what = JSON.stringify(change)
            expect(yield* refused(repository.create({ ...good, ...change, id: 2 })), what).toBe("ValidationError")
            expect(yield* refused(repository.createMany([{ ...good, ...change, id: 3 }])), what).toBe("ValidationError")
            expect(yield* refused(repository.loadMany([{ ...good, ...change, id: 4 }])), what).toBe("ValidationError")
            expect(yield* refused(repository.update(1, change)), what).toBe("ValidationError")
            expect(yield* refused(repository.upsert({ ...good, ...change })), what).toBe("ValidationError")
          }
          const filters: ReadonlyArray<Filter> = [
            { field: "at", op: "eq", value: new Date("x") },
            { field: "at", op: "lt", value: year(20_000) },
            { field: "label", op: "eq", value: "a\uD800b" }
          ]
          for (const filter of filters) {
            const refused = yield* failureOf(repository.list({ filters: [filter] }))
            expect(refused?._tag, JSON.stringify(filter)).toBe("ValidationError")
          }
          expect(yield* repository.list()).toEqual([good])
          // The first and last years every backend stores are taken.
          for (const [id, at] of [[5, year(1000)], [6, new Date("9999-12-31T23:59:59.999Z")]] as const) {
            expect((yield* repository.create({ ...good, id, at })).at).toEqual(at)
          }
        })
      ))

    it.effect("a filter value or an id of another kind than its column's is refused, and changes nothing", () =>
      withValues((repository) =>
        Effect.gen(function*() {
          const base = { label: "x", flag: true, amount: 0, at: new Date("2024-01-01T00:00:00Z"), note: null }
          yield* repository.createMany([{ ...base, id: 0 }, { ...base, id: 7, flag: false, amount: 7 }])
          const refused = (effect: Effect.Effect<unknown, { readonly _tag: string }>) =>
            Effect.map(failureOf(effect), (error) => error?._tag)
          // MariaDB read "x" as 0 and "true" as false; PostgreSQL failed on the server.
          const filters: ReadonlyArray<Filter> = [
            { field: "amount", op: "eq", value: "x" },
            { field: "amount", op: "gt", value: "7 years" },
            { field: "flag", op: "eq", value: "true" },
            { field: "label", op: "in", values: ["x", 1] },
            { field: "note", op: "between", from: 1, to: 2 },
            { field: "at", op: "lt", value: 5 }
          ]
          for (const filter of filters) {
            expect(yield* refused(repository.list({ filters: [filter] })), JSON.stringify(filter)).toBe(
              "ValidationError"
            )
          }
          expect(yield* refused(repository.findByField("amount", "0"))).toBe("ValidationError")
          // `delete("xyz")` on MariaDB deleted the row of id 0.
          expect(yield* refused(repository.delete("xyz"))).toBe("ValidationError")
          expect(yield* refused(repository.update("abc", { label: "y" }))).toBe("ValidationError")
          expect(yield* refused(repository.deleteMany([7, "7"]))).toBe("ValidationError")
          expect(yield* refused(repository.findById("x1"))).toBe("ValidationError")
          // Untyped callers: MariaDB failed with Unknown ("Bind parameters must not contain undefined")
          // where PostgreSQL and memory found nothing.
          for (const id of [undefined, null, true, { id: 7 }] as ReadonlyArray<unknown>) {
            expect(yield* refused(repository.findById(id as number)), String(id)).toBe("ValidationError")
            expect(yield* refused(repository.delete(id as number)), String(id)).toBe("ValidationError")
          }
          // A bad id fails its own read, not the reads batched with it.
          const found = yield* Effect.all(
            [repository.findById(0), Effect.either(repository.findById("x1")), repository.findById(7)],
            { concurrency: "unbounded" }
          )
          expect(found[0]).toEqual(Option.some({ ...base, id: 0 }))
          expect(Either.isLeft(found[1])).toBe(true)
          expect(Option.map(found[2], (value) => value.amount)).toEqual(Option.some(7))
          // An id the INTEGER key cannot hold finds nothing (PostgreSQL failed the statement), and
          // changes nothing in the reads batched with it.
          const mixed = yield* Effect.all(
            [
              repository.findById(0),
              Effect.either(repository.findById(1.5)),
              Effect.either(repository.findById(2 ** 40)),
              repository.findById(7)
            ],
            { concurrency: "unbounded" }
          )
          expect(mixed[0]).toEqual(Option.some({ ...base, id: 0 }))
          expect(Option.map(mixed[3], (value) => value.amount)).toEqual(Option.some(7))
          expect(mixed[1]).toEqual(Either.right(Option.none()))
          expect(mixed[2]).toEqual(Either.right(Option.none()))
          expect(yield* failureOf(repository.delete(1.5))).toMatchObject({ _tag: "NotFound" })
          expect(yield* failureOf(repository.update(2 ** 40, { label: "y" }))).toMatchObject({ _tag: "NotFound" })
          expect(yield* repository.deleteMany([1.5, 7.5])).toEqual([])
          expect((yield* repository.list()).map((value) => [value.id, value.label])).toEqual([[0, "x"], [7, "x"]])
          // No finite number: NaN equals nothing, and MariaDB read it as 0 (`delete(NaN)` found row 0).
          for (const id of [Number.NaN, Number.POSITIVE_INFINITY]) {
            expect(yield* refused(repository.findById(id)), String(id)).toBe("ValidationError")
            expect(yield* refused(repository.delete(id)), String(id)).toBe("ValidationError")
            expect(yield* refused(repository.list({ filters: [{ field: "amount", op: "lt", value: id }] })), String(id))
              .toBe("ValidationError")
          }
          // A write of one is stored as it is, or refused: never stored as something else.
          for (const [id, amount] of [[8, Number.NaN], [9, Number.NEGATIVE_INFINITY]] as const) {
            const written = yield* Effect.either(repository.create({ ...base, id, amount }))
            if (Either.isLeft(written)) {
              expect(written.left._tag, String(written.left)).toBe("ValidationError")
            } else {expect(Option.map(yield* repository.findById(id), (value) => value.amount)).toEqual(
                Option.some(amount)
              )}
          }
          expect(yield* repository.count({ filters: [{ field: "id", op: "in", values: [0, 7] }] })).toBe(2)
        })
      ))

    it.effect("loadMany stores tricky values verbatim: separators, escapes, NULL, unicode, booleans, doubles, dates", () =>
      withValues((repository) =>
        Effect.gen(function*() {
          expect(yield* repository.loadMany(values)).toBe(values.length)
          const stored = yield* repository.list({ limit: 1_000 })
          expect(stored).toEqual(values)
          // The same values through createMany read back the same.
          const again = values.map((value) => ({ ...value, id: value.id + 1_000 }))
          yield* repository.createMany(again)
          const inserted = yield* repository.list({ filters: [{ field: "id", op: "gt", value: 1_000 }] })
          expect(inserted.map((value) => ({ ...value, id: value.id - 1_000 }))).toEqual(stored)
        })
      ))

    it.effect("-0 is stored as 0 by every write, as the SQL drivers send it", () =>
      withValues((repository) =>
        Effect.gen(function*() {
          const base = { label: "x", flag: true, amount: -0, at: new Date("2024-01-01T00:00:00.000Z"), note: null }
          yield* repository.createMany([{ ...base, id: 1 }, { ...base, id: 2 }])
          yield* repository.loadMany([{ ...base, id: 3 }, { ...base, id: 4 }])
          yield* repository.create({ ...base, id: 5 })
          yield* repository.update(1, { amount: -0 })
          const stored = yield* repository.list({ sort: [{ field: "id" }] })
          expect(stored.map((value) => Object.is(value.amount, 0))).toEqual([true, true, true, true, true])
        })
      ))

    it.effect("dates before the process zone's first rule (an offset of seconds) are stored exactly by every write", () =>
      withValues((repository) =>
        // Amsterdam's local mean time was +00:17:30: node-postgres sent it as +00:17.
        inZone(
          "Europe/Amsterdam",
          Effect.gen(function*() {
            const dates = [new Date("1000-01-01T00:00:00.000Z"), new Date("1850-06-01T12:34:56.789Z")]
            const base = { label: "x", flag: true, amount: 1, note: null }
            const record = (id: number, i: number) => ({ ...base, id, at: dates[i]! })
            yield* repository.createMany(dates.map((_, i) => record(i + 1, i)))
            yield* repository.createMany([record(11, 0)])
            yield* repository.loadMany(dates.map((_, i) => record(i + 21, i)))
            yield* repository.create(record(31, 1))
            yield* repository.update(31, { at: dates[0]! })
            const stored = yield* repository.list({ sort: [{ field: "id" }] })
            expect(stored.map((value) => [value.id, value.at.toISOString()])).toEqual([
              [1, dates[0]!.toISOString()],
              [2, dates[1]!.toISOString()],
              [11, dates[0]!.toISOString()],
              [21, dates[0]!.toISOString()],
              [22, dates[1]!.toISOString()],
              [31, dates[0]!.toISOString()]
            ])
            const equal = yield* repository.list({ filters: [{ field: "at", op: "eq", value: dates[0]! }] })
            expect(equal.map((value) => value.id).sort((a, b) => a - b)).toEqual([1, 11, 21, 31])
          })
        )
      ))

    it.effect("loadMany loads many chunks, answers the count, and fills tenant and audit columns", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          const loaded = yield* people.loadMany(Array.from({ length: 5_000 }, (_, i) => person(i + 1)))
          expect(loaded).toBe(5_000)
          expect(yield* people.count()).toBe(5_000)
          const last = yield* people.findById("p05000")
          expect(Option.map(last, (p) => [p.tenant_id, p.created_by, p.created_at instanceof Date, p.deleted_at]))
            .toEqual(Option.some(["acme", "alice", true, undefined]))
          expect(yield* people.loadMany([])).toBe(0)
          const noTenant = yield* failureOf(withoutTenant(people.loadMany([])))
          expect(noTenant?._tag === "AccessDenied" && noTenant.reason).toBe("MissingTenant")
        })
      ))

    it.effect("loadMany with a duplicate key writes nothing and fails as createMany does", () =>
      withPeople((people, table) =>
        Effect.gen(function*() {
          const tables = yield* ContractTables
          yield* people.create(person(1))
          const before = yield* tables.snapshot(table)
          const batch = [...Array.from({ length: 2_500 }, (_, i) => person(i + 2)), person(1, { email: "new@x.org" })]
          const viaCreate = yield* failureOf(people.createMany(batch))
          const viaLoad = yield* failureOf(people.loadMany(batch))
          const shape = (error: typeof viaLoad) =>
            error?._tag === "DataAccessError"
              ? [error._tag, error.reason, error.backend, error.table, error.constraint]
              : [error?._tag]
          expect(shape(viaLoad)).toEqual(shape(viaCreate))
          expect(shape(viaLoad).slice(0, 2)).toEqual(["DataAccessError", "UniqueViolation"])
          const twiceInBatch = yield* failureOf(people.loadMany([person(7), person(8, { email: "e7@example.com" })]))
          expect(twiceInBatch?._tag === "DataAccessError" && twiceInBatch.reason).toBe("UniqueViolation")
          expect(yield* people.count()).toBe(1)
          expect(yield* tables.snapshot(table)).toEqual(before)
        })
      ))

    it.effect("loadMany refuses a bad record or another tenant's, after earlier chunks went out, writing nothing", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          const records = Array.from({ length: 2_500 }, (_, i) => person(i + 1))
          const invalid = [...records.slice(0, 2_000), { ...person(9_999), age: "old" } as unknown as Person]
          const invalidFailure = yield* failureOf(people.loadMany(invalid))
          expect(invalidFailure?._tag).toBe("ValidationError")
          expect(invalidFailure?.message).toContain("age")
          const foreign = yield* failureOf(people.loadMany([...records, person(9_998, { tenant_id: "globex" })]))
          expect(foreign?._tag === "AccessDenied" && foreign.reason).toBe("TenantMismatch")
          expect(yield* people.count()).toBe(0)
          expect(yield* people.loadMany(records)).toBe(2_500)
        })
      ))

    it.effect("loadMany inside withTransaction joins it: undone with it, seen by it", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          const failed = yield* failureOf(Repository.withTransaction(Effect.gen(function*() {
            yield* people.loadMany([person(1), person(2)])
            expect(yield* people.count()).toBe(2)
            yield* people.create(person(3, { email: "e1@example.com" }))
          })))
          expect(failed?._tag === "DataAccessError" && failed.reason).toBe("UniqueViolation")
          expect(yield* people.count()).toBe(0)
          yield* Repository.withTransaction(people.loadMany([person(1), person(2)]))
          expect(ids(yield* people.list())).toEqual(["p00001", "p00002"])
        })
      ))

    it.effect("a locking read outside a transaction is a ValidationError; inside one it reads as a plain read", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          yield* people.createMany([person(1), person(2)])
          yield* people.delete("p00002")
          const refused = yield* Effect.all([
            failureOf(people.findById("p00001", { forUpdate: true })),
            failureOf(people.findById("nope", { forUpdate: true, includeDeleted: true })),
            failureOf(people.findByField("email", "e1@example.com", { forUpdate: true }))
          ])
          expect(refused.map((e) => e?._tag === "ValidationError" ? e.field : e?._tag)).toEqual(
            Array(3).fill("forUpdate")
          )
          expect(Option.isSome(yield* people.findById("p00001", { forUpdate: false }))).toBe(true)
          const locked = yield* Repository.withTransaction(Effect.all([
            people.findById("p00001", { forUpdate: true }),
            people.findById("p00002", { forUpdate: true }),
            people.findById("p00002", { forUpdate: true, includeDeleted: true }),
            people.findById("nope", { forUpdate: true }),
            people.findById("p00001", { forUpdate: true }).pipe(Effect.provideService(CurrentTenant, "globex")),
            Effect.map(people.findByField("email", "e1@example.com", { forUpdate: true }), ids),
            Effect.map(people.findByField("email", "e2@example.com", { forUpdate: true }), ids)
          ]))
          expect(locked.map((found) => Option.isOption(found) ? Option.isSome(found) : found)).toEqual([
            true,
            false,
            true,
            false,
            false,
            ["p00001"],
            []
          ])
          const noTenant = yield* failureOf(Repository.withTransaction(
            withoutTenant(people.findById("p00001", { forUpdate: true }))
          ))
          expect(noTenant?._tag === "AccessDenied" && noTenant.reason).toBe("MissingTenant")
        })
      ))

    it.effect("concurrent transactions that read with a lock and write what they read apply one after the other", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          yield* people.create(person(1, { age: 0 }))
          const byId = people.findById("p00001", { forUpdate: true })
          const byField = Effect.map(
            people.findByField("email", "e1@example.com", { forUpdate: true }),
            (rows) => Option.fromNullable(rows[0])
          )
          const increment = (read: typeof byId) =>
            Repository.withTransaction(Effect.gen(function*() {
              const current = Option.getOrThrow(yield* read)
              return yield* people.update("p00001", { age: (current.age ?? 0) + 1 })
            }))
          const reads = Array.from({ length: 12 }, (_, i) => i % 2 === 0 ? byId : byField)
          const written = yield* Effect.forEach(reads, increment, { concurrency: "unbounded" })
          expect(written.map((p) => p.age).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
            Array.from({ length: 12 }, (_, i) => i + 1)
          )
          expect(Option.map(yield* people.findById("p00001"), (p) => p.age)).toEqual(Option.some(12))
        })
      ))

    it.effect("transactions that find nothing with a lock and then insert nearby keys all commit, none retried", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          yield* people.createMany([person(1), person(30)])
          let attempts = 0
          const inserted = yield* Effect.forEach(
            Array.from({ length: 8 }, (_, i) => person(i + 10)),
            (fresh) =>
              Repository.withTransaction(Effect.gen(function*() {
                attempts += 1
                const found = yield* people.findById(fresh.id, { forUpdate: true })
                const same = yield* people.findByField("email", fresh.email ?? "", { forUpdate: true })
                if (Option.isSome(found) || same.length > 0) return yield* Effect.dieMessage("found a row not yet made")
                return (yield* people.create(fresh)).id
              })),
            { concurrency: "unbounded" }
          )
          expect(inserted).toEqual(Array.from({ length: 8 }, (_, i) => person(i + 10).id))
          expect(yield* people.count()).toBe(10)
          // A deadlock would have been retried whole: every body ran once.
          expect(attempts).toBe(8)
        })
      ))

    it.effect.runIf(options.sideBySide === true)(
      "a locking read of ids some of which are missing locks only the rows found",
      () =>
        withPeople((people) =>
          Effect.gen(function*() {
            yield* people.createMany([person(1), person(30)])
            const locked = yield* Deferred.make<void>()
            const release = yield* Deferred.make<void>()
            // Holds its locks on p00001 (found) and p00015 (missing) until released.
            const holder = yield* Repository.withTransaction(Effect.gen(function*() {
              yield* people.deleteMany(["p00001", "p00015"])
              yield* Deferred.succeed(locked, undefined)
              yield* Deferred.await(release)
            })).pipe(Effect.fork)
            yield* Deferred.await(locked)
            // An insert beside the missing key, and a locking read of the row next to it, do not wait.
            const beside = yield* Repository.withTransaction(Effect.gen(function*() {
              yield* people.create(person(16))
              return yield* people.findById("p00030", { forUpdate: true })
            })).pipe(Effect.timeout("5 seconds"), Effect.either, Effect.ensuring(Deferred.succeed(release, undefined)))
            yield* Fiber.join(holder)
            expect(Either.isRight(beside) && Option.isSome(beside.right)).toBe(true)
            expect(ids(yield* people.list())).toEqual(["p00016", "p00030"])
          })
        )
    )

    it.effect("concurrent updates of different columns of one row both land", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          const rows = Array.from({ length: 8 }, (_, i) => person(i + 1, { age: 0 }))
          yield* people.createMany(rows)
          yield* Effect.forEach(
            rows.flatMap((row) => [{ id: row.id, patch: { name: "renamed" } }, { id: row.id, patch: { age: 99 } }]),
            ({ id, patch }) => people.update(id, patch),
            { concurrency: "unbounded", discard: true }
          )
          const stored = yield* people.list()
          expect(stored.map((p) => [p.id, p.name, p.age])).toEqual(rows.map((row) => [row.id, "renamed", 99]))
        })
      ))

    it.effect("deleteMany deletes as delete does, all or nothing, in lists under the parameter limit", () =>
      withPeople((people, table) =>
        Effect.gen(function*() {
          const all = Array.from({ length: 1_200 }, (_, i) => person(i + 1))
          yield* people.createMany(all)
          yield* people.delete("p00003")
          const before = Option.getOrThrow(yield* people.findById("p00003", { includeDeleted: true }))
          yield* people.create(person(5_000)).pipe(Effect.provideService(CurrentTenant, "globex"))
          // Another tenant's row in the second list: the first list's deletes are undone with it.
          const foreign = yield* failureOf(people.deleteMany([...ids(all), "p05000"]))
          expect(foreign?._tag === "AccessDenied" && foreign.reason).toBe("TenantMismatch")
          expect(yield* people.count()).toBe(1_199)
          const noTenant = yield* failureOf(withoutTenant(people.deleteMany(["p00001"])))
          expect(noTenant?._tag === "AccessDenied" && noTenant.reason).toBe("MissingTenant")

          const wanted = ["nope", ...ids(all), "p00002", "p99999"]
          const spans = new Map<string, number>()
          const deleted = yield* people.deleteMany(wanted).pipe(
            Effect.provideService(CurrentActor, "carol"),
            Effect.withTracer(yield* counting(spans))
          )
          expect(deleted).toEqual(ids(all).filter((id) => id !== "p00003"))
          // On SQL backends: per list of ids one locking read and one UPDATE. On MySQL/MariaDB a
          // locking read is a plain one first, then the lock of the rows it found.
          const { backend } = yield* Repository.Repositories
          if (backend !== "memory") {
            const reads = backend === "mysql" || backend === "mariadb" ? 4 : 2
            expect([spans.get("Repository.select"), spans.get("Repository.update")]).toEqual([reads, 2])
          }
          expect(yield* people.count()).toBe(0)
          expect(yield* people.count({ includeDeleted: true })).toBe(1_200)
          const gone = Option.getOrThrow(yield* people.findById("p00001", { includeDeleted: true }))
          expect([gone.deleted_at instanceof Date, gone.updated_by]).toEqual([true, "carol"])
          expect(gone.updated_at?.getTime()).toBe(gone.deleted_at?.getTime())
          // Deleted before: left as it was.
          const again = Option.getOrThrow(yield* people.findById("p00003", { includeDeleted: true }))
          expect([again.deleted_at?.getTime(), again.updated_by]).toEqual([before.deleted_at?.getTime(), "alice"])
          expect(yield* people.deleteMany([])).toEqual([])
          expect(yield* people.deleteMany(["p00001"])).toEqual([])
          yield* people.restore("p00001")
          expect(ids(yield* people.list())).toEqual(["p00001"])

          const hard = yield* Repository.make({ table, schema: Person, id: "id", tenant: "tenant_id" })
          expect(yield* hard.deleteMany(["p00001", "p00001", "nope"])).toEqual(["p00001"])
          expect(yield* hard.findById("p00001")).toEqual(Option.none())
          expect(yield* hard.count()).toBe(1_199)
          expect(
            yield* Repository.withTransaction(hard.deleteMany(["p00002"])).pipe(
              Effect.provideService(CurrentTenant, "globex"),
              failureOf,
              Effect.map((e) => e?._tag === "AccessDenied" && e.reason)
            )
          ).toBe("TenantMismatch")
        })
      ))

    it.effect("concurrent findById calls of different tenants and visibilities never share a batch", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          yield* people.createMany([person(1), person(2)])
          yield* people.delete("p00002")
          const as = (tenant: string) => <X, E, R>(effect: Effect.Effect<X, E, R>) =>
            Effect.provideService(effect, CurrentTenant, tenant)
          const found = yield* Effect.all([
            people.findById("p00001"),
            as("globex")(people.findById("p00001")),
            as("acme:")(people.findById("p00001")),
            people.findById("p00002"),
            people.findById("p00002", { includeDeleted: true }),
            as("globex")(people.findById("p00002", { includeDeleted: true }))
          ], { concurrency: "unbounded" })
          expect(found.map(Option.isSome)).toEqual([true, false, false, false, true, false])
        })
      ))

    it.effect("100 concurrent findById calls are served by a few batched queries", () =>
      withPeople((people) =>
        Effect.gen(function*() {
          yield* people.createMany(Array.from({ length: 100 }, (_, i) => person(i + 1)))
          const spans = new Map<string, number>()
          const tracer = yield* counting(spans)
          const found = yield* Effect.forEach(
            Array.from({ length: 100 }, (_, i) => person(i + 1).id),
            (id) => people.findById(id),
            { concurrency: "unbounded", batching: true }
          ).pipe(Effect.withTracer(tracer))
          expect(found.filter(Option.isSome).length).toBe(100)
          expect(spans.get("Repository.findById")).toBe(100)
          const batches = spans.get("Repository.findById.batch") ?? 0
          expect(batches).toBeGreaterThanOrEqual(1)
          expect(batches).toBeLessThanOrEqual(2)
          // On SQL backends each statement is one `run` span: the round trips themselves.
          const { backend } = yield* Repository.Repositories
          const statements = spans.get("Repository.select") ?? 0
          expect(statements).toBeLessThanOrEqual(2)
          if (backend !== "memory") expect(statements).toBeGreaterThanOrEqual(1)
        })
      ))
  })
}

/**
 * Keyset walks over a date column whose stored values are finer than a millisecond (PostgreSQL's
 * `now()`, MariaDB's `DATETIME(6)`): a `Date` keeps milliseconds only, and a position taken from it
 * sorted before its own row, so the walk began each next page with that row again, forever. For
 * the backends whose dates hold microseconds.
 */
export const microsecondSuite = (
  name: string,
  backendLayer: Layer.Layer<Repository.Repositories | SqlClient.SqlClient, unknown>
): void => {
  const Event = Schema.Struct({ id: Schema.Number, at: Schema.DateFromSelf })
  const withEvents = <X, E, R>(body: (events: RepositoryOf<typeof Event.Type>) => Effect.Effect<X, E, R>) =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const table = uniqueName("micro")
      const time = sql.literal(sql.onDialectOrElse({ mysql: () => "DATETIME(6)", orElse: () => "TIMESTAMPTZ" }))
      yield* sql`CREATE TABLE ${sql(table)} (id INTEGER NOT NULL PRIMARY KEY, at ${time} NOT NULL)`
      // Three rows within one millisecond, in the opposite order of their ids, and one after them.
      const stored = ["00:00:00.123300", "00:00:00.123200", "00:00:00.123100", "00:00:00.500000"]
      yield* Effect.forEach(
        stored,
        (time, i) => sql`INSERT INTO ${sql(table)} (id, at) VALUES (${i + 1}, ${`2024-01-01 ${time}`})`
      )
      return yield* Repository.make({ table, schema: Event, id: "id" }).pipe(
        Effect.flatMap(body),
        Effect.provide(AccessPolicyLayer.layer({ [table]: { readable: ["id", "at"] } })),
        Effect.ensuring(Effect.ignore(sql`DROP TABLE ${sql(table)}`))
      )
    })
  layer(backendLayer, { timeout: "60 seconds", excludeTestServices: true })(name, (it) => {
    it.effect("listCursor, stream and forEachPage read every row once over dates finer than a millisecond", () =>
      withEvents((events) =>
        Effect.gen(function*() {
          const walk = (direction: "asc" | "desc") =>
            Effect.gen(function*() {
              const seen: Array<number> = []
              let after: string | undefined
              // At most twice the rows' pages: a walk that repeats rows stops here and fails.
              for (let page = 0; page < 8; page++) {
                const { items, nextCursor } = yield* events.listCursor({
                  limit: 1,
                  sort: [{ field: "at", direction }],
                  ...(after === undefined ? {} : { after })
                })
                seen.push(...items.map((event) => event.id))
                if (nextCursor === null) break
                after = nextCursor
              }
              return seen
            })
          expect(yield* walk("asc")).toEqual([3, 2, 1, 4])
          expect(yield* walk("desc")).toEqual([4, 1, 2, 3])
          const streamed = yield* events.stream({ sort: [{ field: "at" }] }, 2).pipe(
            Stream.take(8),
            Stream.runCollect
          )
          expect(Chunk.toReadonlyArray(streamed).map((event) => event.id)).toEqual([3, 2, 1, 4])
          const paged: Array<number> = []
          yield* events.forEachPage(
            (page) => Effect.sync(() => paged.push(...page.map((event) => event.id))),
            { sort: [{ field: "at" }] },
            1
          ).pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => "the walk did not end" }))
          expect(paged).toEqual([3, 2, 1, 4])
        })
      ))

    it.effect("an update writes only what its patch changes: finer values it does not name are kept", () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const table = uniqueName("kept")
        const time = sql.literal(sql.onDialectOrElse({ mysql: () => "DATETIME(6)", orElse: () => "TIMESTAMPTZ" }))
        yield* sql`CREATE TABLE ${
          sql(table)
        } (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(20) NOT NULL, at ${time} NOT NULL, amount DECIMAL(20,3) NOT NULL)`
        const read = sql<{ readonly v: string }>`SELECT ${
          sql.literal(sql.onDialectOrElse({
            mysql: () => "CONCAT_WS('|', name, CAST(at AS CHAR), CAST(amount AS CHAR))",
            orElse: () => "concat_ws('|', name, to_char(at AT TIME ZONE 'UTC', 'HH24:MI:SS.US'), amount::text)"
          }))
        } AS v FROM ${sql(table)}`
        yield* Effect.gen(function*() {
          yield* sql`INSERT INTO ${sql(table)} (id, name, at, amount) VALUES (1, 'a', ${
            sql.literal(sql.onDialectOrElse({
              mysql: () => "'2024-01-01 00:00:00.123456'",
              orElse: () => "'2024-01-01 00:00:00.123456+00'"
            }))
          }, 12345678901234567.891)`
          const Row = Schema.Struct({
            id: Schema.Number,
            name: Schema.String,
            at: Schema.DateFromSelf,
            amount: Schema.NumberFromString
          })
          const rows = yield* Repository.make({ table, schema: Row, id: "id" }).pipe(
            Effect.provide(AccessPolicyLayer.layer({ [table]: { readable: ["id", "name", "at", "amount"] } }))
          )
          const [before] = yield* read
          const updated = yield* rows.update(1, { name: "b" })
          expect(updated.name).toBe("b")
          const [after] = yield* read
          expect(after?.v).toBe(before?.v.replace(/^a\|/, "b|"))
          expect(after?.v).toMatch(/^b\|.*00:00:00\.123456\|12345678901234567\.891$/)
          // A patch that changes nothing writes nothing, and answers the row.
          expect(yield* rows.update(1, { name: "b" })).toEqual(updated)
          expect(yield* rows.update(1, {})).toEqual(updated)
          expect((yield* read)[0]?.v).toBe(after?.v)
        }).pipe(Effect.ensuring(Effect.ignore(sql`DROP TABLE ${sql(table)}`)))
      }))
  })
}
