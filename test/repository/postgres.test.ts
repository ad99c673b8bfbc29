import * as SqlClient from "@effect/sql/SqlClient"
import { expect, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import Pg from "pg"
import * as AccessPolicyLayer from "../../src/layers/AccessPolicy.js"
import { RepositoryLive } from "../../src/layers/Repository.js"
import { layerPg, SqlBackend } from "../../src/layers/Sql.js"
import * as Repository from "../../src/services/Repository.js"
import { microsecondSuite, sqlTables, suite } from "../contracts/Repository.js"
import { makeRecording, withRecording } from "../support/recording.js"
import { describeLive, pgOptions, pgUrl, uniqueName } from "../support/services.js"

const pg = layerPg(pgOptions)

const Counter = Schema.Struct({ id: Schema.Number, n: Schema.Number })
const counters = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ id: from + i, n: i }))

/** Polls a server-side condition until it holds (at most 10 seconds). */
const eventually = <A, E, R>(check: Effect.Effect<A, E, R>, holds: (a: A) => boolean, what: string) =>
  check.pipe(
    Effect.filterOrFail(holds, () => what),
    Effect.retry({ schedule: Schedule.spaced("20 millis"), while: (error) => error === what }),
    Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => what })
  )

/** A repository of `Counter`s on a fresh table (dropped afterwards). */
const withCounters = <X, E, R>(
  body: (items: Repository.Repository<typeof Counter.Type>, table: string) => Effect.Effect<X, E, R>
) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const table = uniqueName("load")
    yield* sql`CREATE TABLE ${sql(table)} (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`
    return yield* Repository.make({ table, schema: Counter, id: "id" }).pipe(
      Effect.flatMap((items) => body(items, table)),
      Effect.provide(AccessPolicyLayer.layer({ [table]: { readable: ["id", "n"] } })),
      Effect.ensuring(Effect.ignore(sql`DROP TABLE IF EXISTS ${sql(table)} CASCADE`))
    )
  })

await describeLive("postgres", "Repository (postgres)", () => {
  suite("contract", Layer.merge(RepositoryLive, sqlTables).pipe(Layer.provide(pg)), {
    sideBySide: true,
    readsBeside: true
  })
  microsecondSuite("dates finer than a millisecond", Layer.provideMerge(RepositoryLive, pg))

  layer(Layer.provideMerge(RepositoryLive, pg), { excludeTestServices: true, timeout: "60 seconds" })(
    "planner",
    (it) => {
      it.effect("countEstimate reads the planner's estimate for a big table", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const table = uniqueName("big")
          yield* sql`CREATE TABLE ${sql(table)} (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)`
          yield* Effect.gen(function*() {
            yield* sql`INSERT INTO ${sql(table)} SELECT g, g % 10 FROM generate_series(1, 25000) g`
            yield* sql`ANALYZE ${sql(table)}`
            const Big = Schema.Struct({ id: Schema.Number, n: Schema.Number })
            const big = yield* Repository.make({ table, schema: Big, id: "id" }).pipe(
              Effect.provide(AccessPolicyLayer.layer({ [table]: { readable: ["id", "n"] } }))
            )
            const estimate = yield* big.countEstimate()
            expect(Math.abs(estimate - 25_000)).toBeLessThan(1_000)
            expect(yield* big.count({ filters: [{ field: "n", op: "eq", value: 3 }] })).toBe(2_500)
          }).pipe(Effect.ensuring(Effect.ignore(sql`DROP TABLE ${sql(table)}`)))
        }))
    }
  )

  layer(Layer.provideMerge(RepositoryLive, pg), { excludeTestServices: true, timeout: "60 seconds" })(
    "bulk insert",
    (it) => {
      const Kinds = Schema.Struct({
        id: Schema.Number,
        big: Schema.BigIntFromSelf,
        exact: Schema.String,
        ratio: Schema.Number,
        label: Schema.NullOr(Schema.String),
        flag: Schema.Boolean,
        local: Schema.DateFromSelf,
        instant: Schema.DateFromSelf,
        bytes: Schema.Uint8ArrayFromSelf,
        counts: Schema.Array(Schema.Number),
        doc: Schema.parseJson(Schema.Struct({ a: Schema.Number, b: Schema.Array(Schema.String) }))
      })
      const kinds = (id: number): typeof Kinds.Type => ({
        id,
        big: 9_007_199_254_740_993n + BigInt(id),
        exact: "12345678901234567890.125",
        ratio: [Number.NaN, Number.POSITIVE_INFINITY, -0.1, 1e-300][id % 4]!,
        label: id % 2 === 0 ? null : `tab\there, "quotes", back\\slash\nnew line, ünïcödé 🙂 {braces} ${id}`,
        flag: id % 2 === 0,
        local: new Date(2026, 0, 2, 3, 4, 5, 6 + id),
        instant: new Date(Date.UTC(1999, 11, 31, 23, 59, 59, id)),
        bytes: new Uint8Array([0, 92, 120, 255, id]),
        counts: [id, -id, 0],
        doc: { a: id, b: ["x", "y\"z"] }
      })

      it.effect("createMany stores every kind of value exactly as create does, in one JSON parameter", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const table = uniqueName("kinds")
          yield* sql`CREATE TABLE ${
            sql(table)
          } (id INTEGER PRIMARY KEY, big BIGINT NOT NULL, exact NUMERIC(30,3) NOT NULL, ratio DOUBLE PRECISION NOT NULL, label TEXT NULL, flag BOOLEAN NOT NULL, local TIMESTAMP NOT NULL, instant TIMESTAMPTZ NOT NULL, bytes BYTEA NOT NULL, counts INTEGER[] NOT NULL, doc JSONB NOT NULL)`
          yield* Effect.gen(function*() {
            const repository = yield* Repository.make({ table, schema: Kinds, id: "id" }).pipe(
              Effect.provide(AccessPolicyLayer.layer({ [table]: { readable: Object.keys(Kinds.fields) } }))
            )
            const recording = makeRecording()
            yield* repository.createMany([1, 2, 3, 4].map(kinds)).pipe(Effect.provide(recording.layer))
            const statements = recording.spans.map((span) => String(span.attributes.get("db.query.text") ?? ""))
            expect(statements.some((text) => text.includes("json_to_recordset"))).toBe(true)
            for (const n of [1, 2, 3, 4]) yield* repository.create({ ...kinds(n), id: n + 10 })

            const stored = yield* sql<
              Record<string, unknown>
            >`SELECT id, big::text AS big, exact::text AS exact, ratio::text AS ratio, label, flag, local::text AS local, instant, encode(bytes, 'hex') AS bytes, counts::text AS counts, doc, jsonb_typeof(doc) AS doc_type FROM ${
              sql(table)
            } ORDER BY id`
            const many = stored.filter((row) => Number(row["id"]) < 10)
            const single = stored.filter((row) => Number(row["id"]) > 10)
            const withoutId = (row: Record<string, unknown>) => ({ ...row, id: Number(row["id"]) % 10 })
            expect(many.map(withoutId)).toEqual(single.map(withoutId))
            expect(many.map((row) => row["ratio"])).toEqual(["Infinity", "-0.1", "1e-300", "NaN"])
            expect(many[0]).toMatchObject({ big: "9007199254740994", exact: "12345678901234567890.125" })
            expect(many[0]!["bytes"]).toBe("005c78ff01")
            expect(many[0]!["doc_type"]).toBe("object")
            expect(many[0]!["counts"]).toBe("{1,-1,0}")
          }).pipe(Effect.ensuring(Effect.ignore(sql`DROP TABLE ${sql(table)}`)))
        }))

      it.effect("createMany refuses what its columns cannot hold, as create does, and stores nothing", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const table = uniqueName("limits")
          const domain = uniqueName("code3")
          yield* sql`CREATE DOMAIN ${sql(domain)} AS VARCHAR(3)`
          yield* sql`CREATE TABLE ${
            sql(table)
          } (id INTEGER PRIMARY KEY, name VARCHAR(5), pad CHAR(2), bits BIT(3), code ${
            sql(domain)
          }, price NUMERIC(5,2), at TIMESTAMP(0), tags VARCHAR(2)[])`
          yield* Effect.gen(function*() {
            const Row = Schema.Struct({
              id: Schema.Number,
              name: Schema.optional(Schema.String),
              pad: Schema.optional(Schema.String),
              bits: Schema.optional(Schema.String),
              code: Schema.optional(Schema.String),
              price: Schema.optional(Schema.String),
              at: Schema.optional(Schema.DateFromSelf),
              tags: Schema.optional(Schema.Array(Schema.String))
            })
            const rows = yield* Repository.make({ table, schema: Row, id: "id" }).pipe(
              Effect.provide(AccessPolicyLayer.layer({ [table]: { readable: Object.keys(Row.fields) } }))
            )
            const refused = (record: typeof Row.Type) =>
              Effect.all([
                Effect.asVoid(rows.create(record)),
                Effect.asVoid(rows.createMany([{ id: 100 }, record])),
                Effect.asVoid(rows.loadMany([{ id: 100 }, record]))
              ].map((effect) =>
                Effect.map(Effect.flip(effect), (error) => error._tag === "DataAccessError" && error.reason)
              ))
            for (
              const record of [
                { id: 1, name: "sixsix" },
                { id: 2, pad: "abc" },
                { id: 3, bits: "1011" },
                { id: 4, bits: "10" },
                { id: 5, code: "abcd" },
                { id: 6, tags: ["ok", "long"] }
              ]
            ) expect(yield* refused(record)).toEqual(["InvalidValue", "InvalidValue", "InvalidValue"])
            expect(yield* rows.count()).toBe(0)
            // Precision is applied as to a bound parameter: rounded, the same by every path.
            const fine = { name: "five5", pad: "a", bits: "101", code: "abc", price: "1.005", tags: ["ok"] }
            const at = new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 600))
            yield* rows.create({ id: 1, ...fine, at })
            yield* rows.createMany([{ id: 2, ...fine, at }, { id: 3, ...fine, at }])
            const stored = yield* sql<
              { readonly v: string }
            >`SELECT DISTINCT concat_ws('|', name, pad, bits::text, code,
              price::text, to_char(at, 'SS.MS'), tags::text) AS v FROM ${sql(table)}`
            expect(stored.map((row) => row.v)).toEqual(["five5|a |101|abc|1.01|01.000|{ok}"])
          }).pipe(
            Effect.ensuring(Effect.ignore(sql`DROP TABLE ${sql(table)}`)),
            Effect.ensuring(Effect.ignore(sql`DROP DOMAIN ${sql(domain)}`))
          )
        }))
    }
  )

  layer(Layer.provideMerge(RepositoryLive, pg), { excludeTestServices: true, timeout: "60 seconds" })(
    "transactions",
    (it) => {
      it.effect("a point read inside a transaction sees its own writes, even beside an outside read", () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const table = uniqueName("txread")
          yield* sql`CREATE TABLE ${sql(table)} (id VARCHAR(64) PRIMARY KEY, n INTEGER NOT NULL)`
          yield* Effect.gen(function*() {
            const Item = Schema.Struct({ id: Schema.String, n: Schema.Number })
            const items = yield* Repository.make({ table, schema: Item, id: "id" }).pipe(
              Effect.provide(AccessPolicyLayer.layer({ [table]: { readable: ["id", "n"] } }))
            )
            const outside = <A, E>(effect: Effect.Effect<A, E>) =>
              Effect.mapInputContext(
                effect,
                (context: Context.Context<never>) =>
                  Context.omit(SqlClient.TransactionConnection)(
                    context as Context.Context<SqlClient.TransactionConnection>
                  ) as Context.Context<never>
              )
            const [seenOutside, seenInside] = yield* Repository.withTransaction(Effect.gen(function*() {
              yield* items.create({ id: "x", n: 1 })
              // The outside read opens a batch first; the inside one must not join it.
              return yield* Effect.all([outside(items.findById("x")), items.findById("x")], {
                concurrency: "unbounded"
              })
            }))
            expect(seenOutside._tag).toBe("None")
            expect(seenInside._tag).toBe("Some")
          }).pipe(Effect.ensuring(Effect.ignore(sql`DROP TABLE ${sql(table)}`)))
        }))
    }
  )

  layer(Layer.provideMerge(RepositoryLive, pg), { excludeTestServices: true, timeout: "60 seconds" })(
    "bulk load",
    (it) => {
      it.effect("loadMany is one COPY outside a transaction and INSERTs inside one, as the server saw them", () =>
        withCounters((items, table) =>
          Effect.gen(function*() {
            const sql = yield* SqlClient.SqlClient
            // A statement-level trigger records the text of each statement that inserts.
            const log = `${table}_log`
            yield* sql`CREATE TABLE ${sql(log)} (statement TEXT NOT NULL, at SERIAL)`
            yield* sql.unsafe(
              `CREATE FUNCTION ${table}_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
                `INSERT INTO ${log} (statement) VALUES (current_query()); RETURN NULL; END $$`
            )
            yield* sql.unsafe(
              `CREATE TRIGGER ${table}_trg AFTER INSERT ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ${table}_fn()`
            )
            const statements = sql<{ statement: string }>`SELECT statement FROM ${sql(log)} ORDER BY at`.pipe(
              Effect.map((rows) => rows.map((row) => row.statement))
            )
            yield* Effect.ensuring(
              Effect.gen(function*() {
                const recording = makeRecording()
                expect(yield* withRecording(recording, items.loadMany(counters(1, 3_000)))).toBe(3_000)
                expect(yield* statements).toEqual([`COPY "${table}" ("id", "n") FROM STDIN`])
                const load = recording.spans.find((span) => span.name === "Repository.loadMany")
                expect(load?.attributes.get("db.operation.name")).toBe("COPY")
                expect(recording.spans.filter((span) => span.name === "Repository.copy").length).toBe(1)
                expect(recording.spans.filter((span) => span.name === "Repository.insert").length).toBe(0)

                const inside = makeRecording()
                yield* withRecording(inside, Repository.withTransaction(items.loadMany(counters(3_001, 3_002))))
                const [, insert] = yield* statements
                expect(insert).toMatch(/^INSERT INTO/)
                expect(
                  inside.spans.find((span) => span.name === "Repository.loadMany")?.attributes.get(
                    "db.operation.name"
                  )
                ).toBe("INSERT")
                expect(inside.spans.filter((span) => span.name === "Repository.copy").length).toBe(0)
                expect(yield* items.count()).toBe(3_002)
              }),
              Effect.ignore(sql.unsafe(`DROP TABLE IF EXISTS ${log}; DROP FUNCTION IF EXISTS ${table}_fn CASCADE`))
            )
          })
        ))

      it.effect("an interrupted load is cancelled on the server, its connection discarded, nothing loaded", () =>
        withCounters((items, table) =>
          Effect.gen(function*() {
            const sql = yield* SqlClient.SqlClient
            const backend = yield* SqlBackend
            // Another session holds an uncommitted row with id 500: the copy waits on it mid-way.
            const blocker = yield* Effect.acquireRelease(
              Effect.promise(async () => {
                const client = new Pg.Client({ connectionString: pgUrl })
                await client.connect()
                await client.query("BEGIN")
                await client.query(`INSERT INTO "${table}" (id, n) VALUES (500, 0)`)
                return client
              }),
              (client) => Effect.promise(() => client.end())
            )
            const load = yield* Effect.fork(items.loadMany(counters(1, 50_000)))
            const [copying] = yield* eventually(
              sql<{ pid: number }>`SELECT pid FROM pg_stat_activity
                WHERE wait_event_type = 'Lock' AND query = ${`COPY "${table}" ("id", "n") FROM STDIN`}`,
              (rows) => rows.length > 0,
              "the copy never waited on the lock"
            )
            yield* Fiber.interrupt(load)

            const pool = yield* backend.pool
            expect(Option.map(pool, ({ idle, total, waiting }) => ({ checkedOut: total - idle, waiting })))
              .toEqual(Option.some({ checkedOut: 0, waiting: 0 }))
            // Gone while the blocker still holds its row: the server was told to stop, not left waiting.
            yield* eventually(
              sql<{ n: number }>`SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE pid = ${copying?.pid ?? -1}`,
              (rows) => rows[0]?.n === 0,
              "the interrupted copy is still running"
            )
            yield* Effect.promise(() => blocker.query("ROLLBACK"))
            expect(yield* items.count()).toBe(0)
            expect(yield* items.loadMany(counters(1, 1_000))).toBe(1_000)
          }).pipe(Effect.scoped)
        ))
    }
  )

  layer(
    Layer.provideMerge(
      RepositoryLive,
      layerPg({
        url: Redacted.make("postgres://postgres:copy-secret-pw@127.0.0.1:1/test"),
        requireConnection: false,
        connectTimeout: "2 seconds"
      })
    ),
    { excludeTestServices: true, timeout: "30 seconds" }
  )("bulk load without a server", (it) => {
    it.effect("is a typed ConnectionError Refused, with the password nowhere in it", () =>
      Effect.gen(function*() {
        const items = yield* Repository.make({ table: "unreachable", schema: Counter, id: "id" }).pipe(
          Effect.provide(AccessPolicyLayer.layer({ unreachable: { readable: ["id", "n"] } }))
        )
        const recording = makeRecording()
        const error = yield* Effect.flip(withRecording(recording, items.loadMany(counters(1, 10))))
        expect(error._tag === "ConnectionError" && [error.reason, error.operation, error.target]).toEqual([
          "Refused",
          "Repository.copy",
          "127.0.0.1:1/test"
        ])
        expect(`${error.message} ${JSON.stringify(error)} ${recording.text()}`).not.toContain("copy-secret-pw")
      }))
  })
})
