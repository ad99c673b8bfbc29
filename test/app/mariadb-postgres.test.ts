/**
 * Which SQL backend the program takes from its environment (`App.SqlLive`): `SQL_BACKEND` names
 * one, else the first configured in the order PostgreSQL, MySQL/MariaDB, SQL Server, embedded.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { SqlLive } from "../../src/layers/App.js"
import { SqlBackend } from "../../src/layers/Sql.js"
import { isAvailable, mysqlUrl, pgUrl, requireServices } from "../support/services.js"

const up = (await isAvailable("mariadb")) && (await isAvailable("postgres"))
if (!up && !requireServices) console.error("[skip] the SQL backend choice: needs MariaDB and PostgreSQL")

/** The backend `SqlLive` builds under these variables, or its failure. */
const chosen = (variables: Record<string, string>) =>
  Effect.flatMap(SqlBackend, (backend) => Effect.succeed({ backend: backend.backend, target: backend.target })).pipe(
    Effect.provide(
      SqlLive.pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(variables))))))
    ),
    Effect.either
  )

describe.skipIf(!up && !requireServices)("the SQL backend the program takes", () => {
  const both = { DATABASE_URL: pgUrl, MYSQL_URL: mysqlUrl }

  it.live("the first configured without SQL_BACKEND; the one it names with it", () =>
    Effect.gen(function*() {
      const first = yield* chosen(both)
      assert.strictEqual(first._tag === "Right" && first.right.backend, "postgres")
      const named = yield* chosen({ ...both, SQL_BACKEND: "mysql" })
      assert.strictEqual(named._tag === "Right" && named.right.backend, "mariadb")
      const embedded = yield* chosen({ ...both, SQL_BACKEND: "embedded" })
      assert.isTrue(embedded._tag === "Right" && embedded.right.backend === "postgres", JSON.stringify(embedded))
      assert.notStrictEqual(
        embedded._tag === "Right" && embedded.right.target,
        first._tag === "Right" && first.right.target
      )
    }), 60_000)

  it.live("a backend named but not configured, or one it does not know, is a ConfigError naming SQL_BACKEND", () =>
    Effect.gen(function*() {
      for (
        const [variables, expected] of [
          [{ ...both, SQL_BACKEND: "mssql" }, "SQL_BACKEND=mssql needs MSSQL_URL or MSSQL_HOST"],
          [{ MYSQL_URL: mysqlUrl, SQL_BACKEND: "postgres" }, "SQL_BACKEND=postgres needs DATABASE_URL or PGSQL_HOST"],
          [{ ...both, SQL_BACKEND: "oracle" }, "SQL_BACKEND"]
        ] as const
      ) {
        const outcome = yield* chosen(variables)
        assert.isTrue(outcome._tag === "Left" && outcome.left._tag !== "ConnectionError", JSON.stringify(outcome))
        assert.include(String(outcome._tag === "Left" ? outcome.left : ""), expected)
      }
    }))
})
