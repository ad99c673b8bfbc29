/**
 * The repository's SQL per dialect, compiled without a server: SQL Server's paging, MERGE upsert,
 * locking reads and 2,100-parameter chunking, beside the PostgreSQL and MySQL forms of the same
 * statements, and the statements the repository itself sends to a SQL Server connection.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as MssqlClient from "@effect/sql-mssql/MssqlClient"
import * as MysqlClient from "@effect/sql-mysql2/MysqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlConnection from "@effect/sql/SqlConnection"
import * as Statement from "@effect/sql/Statement"
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as AccessPolicyLayer from "../../src/layers/AccessPolicy.js"
import { RepositoryLive } from "../../src/layers/Repository.js"
import { makeCircuitBreaker } from "../../src/layers/Resilience.js"
import { dialects, SqlBackend } from "../../src/layers/Sql.js"
import * as Statements from "../../src/layers/Statements.js"
import type { Sort } from "../../src/schemas/Query.js"
import * as Repository from "../../src/services/Repository.js"
import { CurrentActor, CurrentTenant } from "../../src/services/Repository.js"

const offline = (compiler: Statement.Compiler) =>
  Statement.make(Effect.dieMessage("compiled only"), compiler, [], undefined)

const mssql = offline(MssqlClient.makeCompiler())
const pg = offline(PgClient.makeCompiler())
const mysql = offline(MysqlClient.makeCompiler())

const columns = ["id", "tenant_id", "name", "email", "age"]
const row = (n: number) => ({ id: `p${n}`, tenant_id: "acme", name: `name ${n}`, email: `e${n}@x`, age: n })
const byAge: ReadonlyArray<Sort> = [{ field: "age", direction: "desc", nulls: "last" }, {
  field: "id",
  direction: "asc",
  nulls: "last"
}]
const where = {
  filters: [
    { field: "tenant_id", op: "eq" as const, value: "acme" },
    { field: "name", op: "ilike" as const, value: "' OR 1=1 --" }
  ]
}

describe("Repository SQL (compiled)", () => {
  it("the kinds of a table's columns come from each dialect's catalog, the table bound as a parameter", () => {
    const [onMssql, mssqlParams] = Statements.columnKinds(mssql, "people").compile()
    expect(onMssql).toContain("FROM INFORMATION_SCHEMA.COLUMNS")
    expect(onMssql).toContain("TABLE_SCHEMA = SCHEMA_NAME() AND TABLE_NAME = @1")
    expect(onMssql).toContain("'datetime2', 'datetimeoffset'")
    expect(onMssql).toContain("WHEN DATA_TYPE = 'bit' THEN 'boolean'")
    expect(mssqlParams).toEqual(["people"])
    const [onMysql, mysqlParams] = Statements.columnKinds(mysql, "people").compile()
    expect(onMysql).toContain("TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?")
    expect(onMysql).toContain("WHEN COLUMN_TYPE = 'tinyint(1)' THEN 'boolean'")
    expect(mysqlParams).toEqual(["people"])
    const [onPg, pgParams] = Statements.columnKinds(pg, "we\"ird").compile()
    expect(onPg).toContain("to_regclass($1)")
    // Integer widths, of a domain's base type too, for the filters PostgreSQL would refuse.
    expect(onPg).toContain("CASE COALESCE(NULLIF(t.typbasetype, 0), t.oid) WHEN 'int2'::regtype THEN 16")
    expect(pgParams).toEqual(["\"we\"\"ird\""])
  })

  it("an insert or update that answers the row as stored ends with RETURNING its columns", () => {
    const [onPg, pgParams] = Statements.insertReturning(pg, "people", { id: "p1", name: "a" }, ["id", "name"]).compile()
    expect(onPg).toBe(`INSERT INTO "people" ("id","name") VALUES ($1,$2) RETURNING "id", "name"`)
    expect(pgParams).toEqual(["p1", "a"])
    const [onMysql] = Statements.insertReturning(mysql, "people", { id: "p1", name: "a" }, ["id", "name"]).compile()
    expect(onMysql).toBe("INSERT INTO `people` (`id`,`name`) VALUES (?,?) RETURNING `id`, `name`")
    const where = { filters: [{ field: "id", op: "eq" as const, value: "p1" }] }
    const [updated, updateParams] = Statements.update(pg, "people", { name: "b" }, where, ["id", "name"]).compile()
    expect(updated).toBe(`UPDATE "people" SET "name" = $1 WHERE "id" = $2 RETURNING "id", "name"`)
    expect(updateParams).toEqual(["b", "p1"])
    expect(Statements.update(pg, "people", { name: "b" }, where).compile()[0]).toBe(
      `UPDATE "people" SET "name" = $1 WHERE "id" = $2`
    )
  })

  it("SQL Server pages with ORDER BY ... OFFSET ... ROWS FETCH NEXT ... ROWS ONLY", () => {
    const [text, params] = Statements.select(mssql, "people", columns, where, byAge, { limit: 20, offset: 40 })
      .compile()
    expect(text).toBe(
      "SELECT [id], [tenant_id], [name], [email], [age] FROM [people] WHERE ([tenant_id] = @1 AND " +
        "LOWER([name]) LIKE LOWER(@2) ESCAPE '!') ORDER BY CASE WHEN [age] IS NULL THEN 1 ELSE 0 END, " +
        "[age] DESC, CASE WHEN [id] IS NULL THEN 1 ELSE 0 END, [id] ASC OFFSET @3 ROWS FETCH NEXT @4 ROWS ONLY"
    )
    expect(params).toEqual(["acme", "%' OR 1=1 --%", 40, 20])
    expect(text).not.toContain("LIMIT")
  })

  it("PostgreSQL and MySQL page with LIMIT ... OFFSET and match case-insensitively their own way", () => {
    const [pgText, pgParams] = Statements.select(pg, "people", columns, where, byAge, { limit: 20, offset: 40 })
      .compile()
    expect(pgText).toContain("CAST(\"name\" AS TEXT) ILIKE $2 ESCAPE '!'")
    expect(pgText).toMatch(/LIMIT \$3 OFFSET \$4$/)
    expect(pgParams).toEqual(["acme", "%' OR 1=1 --%", 20, 40])
    const [myText] = Statements.select(mysql, "people", columns, where, byAge, { limit: 20 }).compile()
    expect(myText).toContain("LOWER(`name`) LIKE LOWER(?) ESCAPE '!'")
    expect(myText).toMatch(/LIMIT \? OFFSET \?$/)
  })

  it("a tenant's count beside its exact count: a binary collation and the length with trailing spaces", () => {
    const exact = { column: "tenant_id", value: "acme" }
    const [msText, msParams] = Statements.count(mssql, "people", where, exact).compile()
    expect(msText).toBe(
      "SELECT COUNT_BIG(*) AS n, COUNT_BIG(CASE WHEN [tenant_id] = @1 COLLATE Latin1_General_100_BIN2 AND " +
        "LEN([tenant_id] + N'x') = LEN(@2 + N'x') THEN 1 END) AS e FROM [people] WHERE ([tenant_id] = @3 AND " +
        "LOWER([name]) LIKE LOWER(@4) ESCAPE '!')"
    )
    expect(msParams).toEqual(["acme", "acme", "acme", "%' OR 1=1 --%"])
    const [myText] = Statements.count(mysql, "people", where, exact).compile()
    expect(myText).toContain(
      "COUNT(CASE WHEN `tenant_id` = ? COLLATE utf8mb4_bin AND CHAR_LENGTH(`tenant_id`) = CHAR_LENGTH(?) THEN 1 END) AS e"
    )
    const [pgText] = Statements.count(pg, "people", where, exact).compile()
    expect(pgText).toContain("COUNT(CASE WHEN \"tenant_id\" = $1 THEN 1 END) AS e")
    // Without a tenant, a plain count.
    expect(Statements.count(pg, "people", { filters: [] }).compile()[0]).toBe(
      "SELECT COUNT(*) AS n FROM \"people\" WHERE 1=1"
    )
  })

  it("SQL Server upserts with MERGE ... WITH (HOLDLOCK), values bound", () => {
    const [text, params] = Statements.upsert(mssql, "people", row(1), ["id"], ["name", "email", "age"]).compile()
    expect(text).toBe(
      "MERGE INTO [people] WITH (HOLDLOCK) AS target USING (VALUES (@1, @2, @3, @4, @5)) AS source " +
        "([id], [tenant_id], [name], [email], [age]) ON target.[id] = source.[id] WHEN MATCHED THEN UPDATE SET " +
        "target.[name] = source.[name], target.[email] = source.[email], target.[age] = source.[age] " +
        "WHEN NOT MATCHED THEN INSERT ([id], [tenant_id], [name], [email], [age]) VALUES " +
        "(source.[id], source.[tenant_id], source.[name], source.[email], source.[age]);"
    )
    expect(params).toEqual(["p1", "acme", "name 1", "e1@x", 1])
  })

  it("PostgreSQL upserts with ON CONFLICT, MySQL with ON DUPLICATE KEY UPDATE", () => {
    const [pgText] = Statements.upsert(pg, "people", row(1), ["email"], ["name"]).compile()
    expect(pgText).toMatch(/ON CONFLICT \("email"\) DO UPDATE SET "name" = EXCLUDED\."name"$/)
    const [myText] = Statements.upsert(mysql, "people", row(1), ["id"], ["name", "age"]).compile()
    expect(myText).toMatch(/ON DUPLICATE KEY UPDATE `name` = VALUES\(`name`\), `age` = VALUES\(`age`\)$/)
  })

  it("inserts are chunked so that no SQL Server statement carries more than 2,100 parameters", () => {
    const rows = Array.from({ length: 1_000 }, (_, i) => row(i))
    const chunks = Statements.chunk(rows, columns.length, dialects.mssql.maxParams)
    expect(chunks.flat()).toEqual(rows)
    expect(chunks.length).toBe(Math.ceil(1_000 / Math.floor(2_099 / columns.length)))
    for (const chunk of chunks) {
      const [text, params] = Statements.insert(mssql, "people", chunk).compile()
      expect(params.length).toBeLessThanOrEqual(2_100)
      expect(text.startsWith("INSERT INTO [people] ([id],[tenant_id],[name],[email],[age]) VALUES (@1,")).toBe(true)
    }
    const pgChunks = Statements.chunk(Array.from({ length: 10_000 }, (_, i) => row(i)), 10, dialects.pg.maxParams)
    expect(pgChunks.map((c) => c.length)).toEqual([6_553, 3_447])
  })

  it("multi-row statements are split by the bytes of their values, a larger row alone", () => {
    const sized = (id: number, body: string) => ({ id, body })
    const small = Array.from({ length: 100 }, (_, i) => sized(i, "a".repeat(100)))
    expect(Statements.splitBySize(small, 100_000)).toEqual([small])
    // 100 rows of 10,000 bytes under 45,000 a statement: four a statement.
    const large = Array.from({ length: 100 }, (_, i) => sized(i, "b".repeat(10_000)))
    const parts = Statements.splitBySize(large, 45_000)
    expect(parts.flat()).toEqual(large)
    expect(parts.map((p) => p.length)).toEqual(Array(25).fill(4))
    // A row larger than the bound goes alone, and loses nothing.
    const mixed = [sized(0, "c"), sized(1, "d".repeat(50_000)), sized(2, "e")]
    expect(Statements.splitBySize(mixed, 45_000)).toEqual([[mixed[0]], [mixed[1]], [mixed[2]]])
    // Counted in UTF-8: "é" is two bytes, "€" three, not one UTF-16 unit each.
    const accented = Array.from({ length: 10 }, (_, i) => sized(i, "é".repeat(1_000)))
    expect(Statements.splitBySize(accented, 21_000).map((p) => p.length)).toEqual([10])
    expect(Statements.splitBySize(accented, 10_000).map((p) => p.length)).toEqual([4, 4, 2])
    const euros = Array.from({ length: 10 }, (_, i) => sized(i, "€".repeat(1_000)))
    expect(Statements.splitBySize(euros, 21_000).map((p) => p.length)).toEqual([6, 4])
    // Binary values count their bytes.
    const blobs = Array.from({ length: 4 }, (_, i) => ({ id: i, data: new Uint8Array(30_000) }))
    expect(Statements.splitBySize(blobs, 65_000).map((p) => p.length)).toEqual([2, 2])
  })

  it("keyset conditions compare the sort keys then the primary key, NULLs placed as in ORDER BY", () => {
    const [text, params] = Statements.select(
      mssql,
      "people",
      ["id"],
      {
        filters: [],
        keyset: { sort: byAge, values: [30, "p7"] }
      },
      byAge,
      { limit: 5 }
    ).compile()
    // After (age 30, id p7) in "age desc nulls last, id asc": a smaller age or a NULL one, or the
    // same age and a larger id.
    expect(text).toContain("(([age] < @1 OR [age] IS NULL)) OR (([age] = @2 AND ")
    expect(text).toContain("[id] > @3")
    expect(params.slice(0, 3)).toEqual([30, 30, "p7"])
  })

  it("a locking read is a table hint after the table on SQL Server, a trailing FOR UPDATE elsewhere", () => {
    const byId = { filters: [{ field: "id", op: "eq" as const, value: "p1" }] }
    const [text, params] = Statements.select(mssql, "people", ["id"], byId, byAge, { limit: 1 }, true).compile()
    expect(text).toBe(
      "SELECT [id] FROM [people] WITH (UPDLOCK, ROWLOCK) WHERE [id] = @1 ORDER BY CASE WHEN [age] IS NULL " +
        "THEN 1 ELSE 0 END, [age] DESC, CASE WHEN [id] IS NULL THEN 1 ELSE 0 END, [id] ASC OFFSET @2 ROWS " +
        "FETCH NEXT @3 ROWS ONLY"
    )
    expect(params).toEqual(["p1", 0, 1])
    expect(text).not.toContain("FOR UPDATE")
    const [unsorted] = Statements.select(mssql, "people", ["id"], byId, [], {}, true).compile()
    expect(unsorted).toMatch(/^SELECT \[id\] FROM \[people\] WITH \(UPDLOCK, ROWLOCK\) WHERE \[id\] = @1 ORDER BY/)
    const [pgText] = Statements.select(pg, "people", ["id"], byId, byAge, { limit: 1 }, true).compile()
    expect(pgText).toMatch(/^SELECT "id" FROM "people" WHERE "id" = \$1 ORDER BY .* LIMIT \$2 OFFSET \$3 FOR UPDATE$/)
    const [myText] = Statements.select(mysql, "people", ["id"], byId, byAge, { limit: 1 }, true).compile()
    expect(myText).toMatch(
      /^SELECT \/\*\+ SET_VAR\(max_sort_length = 8388608\) \*\/ `id` FROM `people` WHERE `id` = \? ORDER BY .* LIMIT \? OFFSET \? FOR UPDATE$/
    )
    for (const sql of [mssql, pg, mysql]) {
      const [plain] = Statements.select(sql, "people", ["id"], byId, byAge, { limit: 1 }).compile()
      expect(plain).not.toMatch(/UPDLOCK|FOR UPDATE/)
    }
    // Only MySQL's sorted reads carry the hint: elsewhere strings sort by their whole value.
    for (const sql of [mssql, pg]) {
      expect(Statements.select(sql, "people", ["id"], byId, byAge).compile()[0]).not.toContain("SET_VAR")
    }
    expect(Statements.select(mysql, "people", ["id"], byId, []).compile()[0]).toMatch(/^SELECT `id` FROM/)
  })
})

const Person = Schema.Struct({
  id: Schema.String,
  tenant_id: Schema.optionalWith(Schema.String, { nullable: true }),
  name: Schema.String,
  updated_by: Schema.optionalWith(Schema.String, { nullable: true }),
  deleted_at: Schema.optionalWith(Schema.DateFromSelf, { nullable: true })
})

interface Sent {
  readonly text: string
  readonly params: ReadonlyArray<unknown>
}

/**
 * A SQL Server client over a connection that records what it is sent and answers a SELECT with
 * one live row of tenant `acme` for each id among its parameters.
 */
const recordingMssql = (sent: Array<Sent>) =>
  Layer.effect(
    SqlClient.SqlClient,
    Effect.gen(function*() {
      const answer = (text: string, params: ReadonlyArray<unknown>) =>
        Effect.sync(() => {
          sent.push({ text: text.trimEnd(), params })
          if (!text.startsWith("SELECT")) return []
          return params.filter((p): p is string => typeof p === "string" && /^p\d+$/.test(p)).map((id) => ({
            id,
            tenant_id: "acme",
            name: `name of ${id}`,
            updated_by: null,
            deleted_at: null
          }))
        })
      const connection: SqlConnection.Connection = {
        execute: answer,
        executeRaw: answer,
        executeStream: () => Stream.empty,
        executeValues: () => Effect.succeed([]),
        executeUnprepared: answer
      }
      return yield* SqlClient.make({
        acquirer: Effect.succeed(connection),
        compiler: MssqlClient.makeCompiler(),
        spanAttributes: []
      })
    })
  ).pipe(Layer.provide(Reactivity.layer))

const offlineBackend = Layer.effect(
  SqlBackend,
  Effect.map(makeCircuitBreaker({ backend: "mssql" }), (breaker) => ({
    backend: "mssql" as const,
    target: "offline",
    dialect: dialects.mssql,
    queryTimeout: Duration.seconds(5),
    breaker,
    pool: Effect.succeedNone
  }))
)

describe("Repository on SQL Server (statements as sent)", () => {
  it.effect("locking reads, update's read, create's read back and deleteMany's lists of at most 1,000 ids", () => {
    const sent: Array<Sent> = []
    const columns = "[id], [tenant_id], [name], [updated_by], [deleted_at]"
    const order = "ORDER BY CASE WHEN [id] IS NULL THEN 1 ELSE 0 END, [id] ASC"
    return Effect.gen(function*() {
      const people = yield* Repository.make({
        table: "people",
        schema: Person,
        id: "id",
        tenant: "tenant_id",
        softDelete: "deleted_at",
        audit: { updatedBy: "updated_by" }
      })
      const outside = yield* Effect.either(people.findById("p1", { forUpdate: true }))
      expect(Either.isLeft(outside) && outside.left._tag === "ValidationError" && outside.left.field).toBe("forUpdate")
      expect(sent).toEqual([])

      const found = yield* Repository.withTransaction(Effect.all([
        people.findById("p1", { forUpdate: true }),
        people.findByField("name", "x", { forUpdate: true })
      ]))
      expect(Option.isSome(found[0])).toBe(true)
      expect(sent.map((s) => s.text)).toEqual([
        "BEGIN",
        `SELECT ${columns} FROM [people] WITH (UPDLOCK, ROWLOCK) WHERE ([id] IN (@1) AND [tenant_id] = @2 AND ` +
        `[deleted_at] IS NULL) ${order}`,
        `SELECT ${columns} FROM [people] WITH (UPDLOCK, ROWLOCK) WHERE ([tenant_id] = @1 AND [deleted_at] IS NULL ` +
        `AND [name] = @2) ${order}`,
        "COMMIT"
      ])

      sent.length = 0
      yield* people.update("p1", { name: "renamed" })
      expect(sent[1]?.text).toBe(
        `SELECT ${columns} FROM [people] WITH (UPDLOCK, ROWLOCK) WHERE ([id] = @1 AND [deleted_at] IS NULL) ${order} ` +
          "OFFSET @2 ROWS FETCH NEXT @3 ROWS ONLY"
      )
      expect(sent[2]?.text).toMatch(/^UPDATE \[people\] SET /)
      // The row as stored is read back by its key.
      expect(sent[3]?.text).toBe(
        `SELECT ${columns} FROM [people] WHERE [id] = @1 ${order} OFFSET @2 ROWS FETCH NEXT @3 ROWS ONLY`
      )

      // SQL Server returns no rows from an INSERT here: create reads the row back by its key.
      sent.length = 0
      const created = yield* people.create({ id: "p7", name: "as sent" })
      expect(sent.map((s) => s.text.slice(0, 6))).toEqual(["INSERT", "SELECT"])
      expect(sent[1]?.params[0]).toBe("p7")
      expect(created.name).toBe("name of p7")

      sent.length = 0
      const ids = Array.from({ length: 2_500 }, (_, i) => `p${i}`)
      expect(yield* people.deleteMany([...ids, "p0"])).toEqual(ids)
      const statements = sent.filter((s) => s.text !== "BEGIN" && s.text !== "COMMIT")
      expect(statements.map((s) => s.text.slice(0, 6))).toEqual([
        "SELECT",
        "UPDATE",
        "SELECT",
        "UPDATE",
        "SELECT",
        "UPDATE"
      ])
      expect(statements.map((s) => s.params.length)).toEqual([1_000, 1_003, 1_000, 1_003, 500, 503])
      const [read, write] = statements
      expect(read?.text).toMatch(/^SELECT .* FROM \[people\] WITH \(UPDLOCK, ROWLOCK\) WHERE \(\[id\] IN \(@1,@2,/)
      expect(write?.text).toMatch(
        /^UPDATE \[people\] SET \[deleted_at\] = @1, \[updated_by\] = @2 WHERE \(\[id\] IN \(@3,@4,.*,@1002\) AND \[tenant_id\] = @1003\)$/
      )
      expect(write?.params.slice(1, 3)).toEqual(["alice", "p0"])
    }).pipe(
      Effect.provide(
        RepositoryLive.pipe(
          Layer.provideMerge(AccessPolicyLayer.layer({
            people: { readable: ["id", "tenant_id", "name", "updated_by", "deleted_at"], filterable: ["id", "name"] }
          })),
          Layer.provide(Layer.merge(recordingMssql(sent), offlineBackend))
        )
      ),
      Effect.provideService(CurrentTenant, "acme"),
      Effect.provideService(CurrentActor, "alice")
    )
  })
})
