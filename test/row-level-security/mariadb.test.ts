import * as SqlClient from "@effect/sql/SqlClient"
import { expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as RowLevelSecurity from "../../src/layers/RowLevelSecurity.js"
import { layerMysql } from "../../src/layers/Sql.js"
import { CurrentTenant } from "../../src/services/Repository.js"
import { describeLive, mysqlOptions } from "../support/services.js"

await describeLive("mariadb", "RowLevelSecurity on MariaDB", () => {
  it.live("is refused as PostgreSQL's, naming the repository's tenant instead, before any statement", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const ran: Array<string> = []
      const body = Effect.sync(() => ran.push("body"))
      const error = yield* Effect.flip(
        RowLevelSecurity.withTenant(body).pipe(Effect.provideService(CurrentTenant, "acme"))
      )
      expect(error._tag === "DataAccessError" && error.reason).toBe("UndefinedObject")
      expect(error.message).toContain("row-level security is PostgreSQL's")
      expect(ran).toEqual([])
      const migration = yield* Effect.flip(
        RowLevelSecurity.migration({ table: "t", tenantColumn: "tenant_id", role: "app" })
      )
      expect(migration._tag === "DataAccessError" && migration.reason).toBe("UndefinedObject")
      // Input that lacks something is refused for that first, as on PostgreSQL.
      expect((yield* Effect.flip(RowLevelSecurity.withTenant(body)))._tag).toBe("AccessDenied")
      const badName = yield* Effect.flip(RowLevelSecurity.migration({ table: "x.y", tenantColumn: "t", role: "app" }))
      expect(badName._tag).toBe("ValidationError")
      expect((yield* sql<{ readonly one: number }>`SELECT 1 AS one`)[0]?.one).toBe(1)
    }).pipe(Effect.provide(layerMysql(mysqlOptions))))
})
