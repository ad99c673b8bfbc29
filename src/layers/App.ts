/**
 * The program's backends, chosen from the environment in one place.
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { ConnectionError } from "../errors.js"
import * as Embedded from "./Embedded.js"
import * as Redis from "./Redis.js"
import * as Sql from "./Sql.js"

const announce = <A, E, R>(layer: Layer.Layer<A, E, R>, line: string) => Layer.tap(layer, () => Effect.logInfo(line))

/** The backends `SQL_BACKEND` may name. */
const backendChoice = Config.literal("postgres", "mysql", "mssql", "embedded")("SQL_BACKEND").pipe(Config.option)

/** A backend named by `SQL_BACKEND` whose own variables are not set. */
const unconfigured = (choice: string, variables: string) =>
  Effect.fail(ConfigError.MissingData(["SQL_BACKEND"], `SQL_BACKEND=${choice} needs ${variables}`))

/**
 * The SQL backend: the one `SQL_BACKEND` names (`postgres`, `mysql`, `mssql` or `embedded`; a
 * named server whose variables are not set is a `ConfigError`), else PostgreSQL when
 * `DATABASE_URL` / `PGSQL_HOST` is set, else MySQL/MariaDB when `MYSQL_URL` / `MYSQL_HOST` is,
 * else SQL Server when `MSSQL_URL` / `MSSQL_HOST` is, else the embedded PGlite. One log line says
 * which.
 *
 * @since 0.1.0
 * @category layers
 */
export const SqlLive: Layer.Layer<SqlClient.SqlClient | Sql.SqlBackend, ConnectionError | ConfigError.ConfigError> =
  Layer.unwrapEffect(
    Effect.gen(function*() {
      const choice = Option.getOrUndefined(yield* backendChoice)
      const embedded = announce(
        Embedded.layer(),
        choice === "embedded"
          ? "SQL: embedded PGlite (SQL_BACKEND)"
          : "SQL: no database configured (DATABASE_URL, MYSQL_URL, MSSQL_URL); using embedded PGlite"
      )
      if (choice === "embedded") return embedded
      const chosen = choice === undefined ? "configured" : "SQL_BACKEND"
      if (choice === undefined || choice === "postgres") {
        const pg = yield* Sql.pgConfig
        if (Option.isSome(pg)) return announce(Sql.layerPg(pg.value), `SQL: PostgreSQL (${chosen})`)
        if (choice === "postgres") return yield* unconfigured(choice, "DATABASE_URL or PGSQL_HOST")
      }
      if (choice === undefined || choice === "mysql") {
        const mysql = yield* Sql.mysqlConfig
        if (Option.isSome(mysql)) return announce(Sql.layerMysql(mysql.value), `SQL: MySQL/MariaDB (${chosen})`)
        if (choice === "mysql") return yield* unconfigured(choice, "MYSQL_URL or MYSQL_HOST")
      }
      const mssql = yield* Sql.mssqlConfig
      if (Option.isSome(mssql)) return announce(Sql.layerMssql(mssql.value), `SQL: SQL Server (${chosen})`)
      if (choice === "mssql") return yield* unconfigured(choice, "MSSQL_URL or MSSQL_HOST")
      return embedded
    })
  )

/**
 * Redis when `REDIS_URL` / `REDIS_HOST` is set, the in-memory stand-in otherwise.
 *
 * @since 0.1.0
 * @category layers
 */
export const RedisLive = Redis.layerConfig
