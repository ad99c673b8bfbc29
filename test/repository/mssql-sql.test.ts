/**
 * The repository's SQL per dialect, compiled without a server: SQL Server's paging, MERGE upsert,
 * locking reads and 2,100-parameter chunking, beside the PostgreSQL and MySQL forms of the same
 * statements.
 */
import * as MssqlClient from "@effect/sql-mssql/MssqlClient"
import * as MysqlClient from "@effect/sql-mysql2/MysqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Statement from "@effect/sql/Statement"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { dialects } from "../../src/layers/Sql.js"
import * as Statements from "../../src/layers/Statements.js"
import type { Sort } from "../../src/schemas/Query.js"

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
    expect(pgText).toContain("\"name\" ILIKE $2 ESCAPE '!'")
    expect(pgText).toMatch(/LIMIT \$3 OFFSET \$4$/)
    expect(pgParams).toEqual(["acme", "%' OR 1=1 --%", 20, 40])
    const [myText] = Statements.select(mysql, "people", columns, where, byAge, { limit: 20 }).compile()
    expect(myText).toContain("LOWER(`name`) LIKE LOWER(?) ESCAPE '!'")
    expect(myText).toMatch(/LIMIT \? OFFSET \?$/)
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
    expect(myText).toMatch(/^SELECT `id` FROM `people` WHERE `id` = \? ORDER BY .* LIMIT \? OFFSET \? FOR UPDATE$/)
    for (const sql of [mssql, pg, mysql]) {
      const [plain] = Statements.select(sql, "people", ["id"], byId, byAge, { limit: 1 }).compile()
      expect(plain).not.toMatch(/UPDLOCK|FOR UPDATE/)
    }
  })
})
