/**
 * The program's backends, chosen from the environment in one place.
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { ConnectionError } from "../errors.js"
import * as Embedded from "./Embedded.js"
import * as Redis from "./Redis.js"
import * as Sql from "./Sql.js"

const announce = <A, E, R>(layer: Layer.Layer<A, E, R>, line: string) => Layer.tap(layer, () => Effect.logInfo(line))

/**
 * The SQL backend: PostgreSQL when `DATABASE_URL` / `PGSQL_HOST` is set, else MySQL/MariaDB when
 * `MYSQL_URL` / `MYSQL_HOST` is, else SQL Server when `MSSQL_URL` / `MSSQL_HOST` is, else the
 * embedded PGlite. One log line says which.
 *
 * @since 0.1.0
 * @category layers
 */
export const SqlLive: Layer.Layer<SqlClient.SqlClient | Sql.SqlBackend, ConnectionError | ConfigError.ConfigError> =
  Layer.unwrapEffect(
    Effect.gen(function*() {
      const pg = yield* Sql.pgConfig
      if (Option.isSome(pg)) return announce(Sql.layerPg(pg.value), "SQL: PostgreSQL (configured)")
      const mysql = yield* Sql.mysqlConfig
      if (Option.isSome(mysql)) return announce(Sql.layerMysql(mysql.value), "SQL: MySQL/MariaDB (configured)")
      const mssql = yield* Sql.mssqlConfig
      if (Option.isSome(mssql)) return announce(Sql.layerMssql(mssql.value), "SQL: SQL Server (configured)")
      return announce(
        Embedded.layer(),
        "SQL: no database configured (DATABASE_URL, MYSQL_URL, MSSQL_URL); using embedded PGlite"
      )
    })
  )

/**
 * Redis when `REDIS_URL` / `REDIS_HOST` is set, the in-memory stand-in otherwise.
 *
 * @since 0.1.0
 * @category layers
 */
export const RedisLive = Redis.layerConfig
