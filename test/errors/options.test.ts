import { assert, describe, it } from "@effect/vitest"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import { ConnectionError } from "../../src/errors.js"
import * as Redis from "../../src/layers/Redis.js"
import * as Sql from "../../src/layers/Sql.js"

const refused = (build: Effect.Effect<unknown, ConnectionError, Scope.Scope>) =>
  Effect.gen(function*() {
    const started = Date.now()
    const error = yield* Effect.flip(Effect.scoped(build))
    assert.instanceOf(error, ConnectionError)
    assert.isBelow(Date.now() - started, 1_000)
    return error as ConnectionError
  })

describe("whole-number options given in code", () => {
  it.live("a port outside 1..65535, or no whole number, is InvalidOption on every backend, before connecting", () =>
    Effect.gen(function*() {
      // A port of 70,000 left node-postgres' pool unable to end (the build never finished), and
      // mysql2 died with ERR_SOCKET_BAD_PORT; NaN connected to the default port.
      for (const port of [70_000, -1, 0, Number.NaN, 5432.5]) {
        const layers = [
          Layer.build(Sql.layerPg({ host: "127.0.0.1", port, connectTimeout: "2 seconds" })),
          Layer.build(Sql.layerMysql({ host: "127.0.0.1", port })),
          Layer.build(Sql.layerMssql({ host: "127.0.0.1", port })),
          Layer.build(Redis.layer({ host: "127.0.0.1", port }))
        ]
        for (const layer of layers) {
          const error = yield* refused(layer)
          assert.strictEqual(error.reason, "InvalidOption", String(port))
          assert.strictEqual(error.detail, "port must be a whole number from 1 to 65535")
        }
      }
    }))

  it.live("a pool size or a breaker threshold that is no positive whole number, or a Redis name Redis refuses, is InvalidOption", () =>
    Effect.gen(function*() {
      const pool = yield* refused(Layer.build(Sql.layerPg({ host: "127.0.0.1", maxConnections: 0 })))
      assert.strictEqual(pool.reason, "InvalidOption")
      assert.include(pool.detail, "maxConnections")
      const breaker = yield* refused(Layer.build(Sql.layerMysql({ host: "127.0.0.1", breakerThreshold: 2.5 })))
      assert.include(breaker.detail, "breakerThreshold")
      const redis = yield* refused(Layer.build(Redis.layer({ host: "127.0.0.1", breakerThreshold: 0 })))
      assert.include(redis.detail, "breakerThreshold")
      // Redis refuses such a client name, and ioredis went on without one.
      for (const connectionName of ["my app", "", "név"]) {
        const named = yield* refused(Layer.build(Redis.layer({ host: "127.0.0.1", connectionName })))
        assert.strictEqual(named.reason, "InvalidOption", connectionName)
        assert.include(named.detail, "connectionName")
      }
    }))
})

describe("connection settings", () => {
  const fromEnv = <ROut, E>(layer: Layer.Layer<ROut, E>, env: ReadonlyArray<readonly [string, string]>) =>
    Effect.flip(Effect.scoped(Layer.build(layer))).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(env)))
    )

  it.live("an empty host, database or user name is InvalidUrl on every SQL backend, not the driver's default", () =>
    Effect.gen(function*() {
      // The URL names a host that does not resolve: "" in its place connected to localhost.
      const pgUrl = Redacted.make("postgres://postgres@db.invalid:5432/test")
      const mysqlUrl = Redacted.make("mysql://root@db.invalid:3306/test")
      const mssqlUrl = Redacted.make("mssql://sa@db.invalid:1433/master")
      const cases = [
        [Layer.build(Sql.layerPg({ url: pgUrl, host: "" })), "the host is empty"],
        [Layer.build(Sql.layerPg({ host: "127.0.0.1", database: " " })), "the database name is empty"],
        [Layer.build(Sql.layerMysql({ url: mysqlUrl, host: " " })), "the host is empty"],
        [Layer.build(Sql.layerMysql({ host: "127.0.0.1", database: "" })), "the database name is empty"],
        [Layer.build(Sql.layerMssql({ url: mssqlUrl, host: "" })), "the host is empty"],
        [Layer.build(Sql.layerMssql({ host: "127.0.0.1", database: "" })), "the database name is empty"],
        // An empty user name was the driver's default user (the OS user, or an anonymous one).
        [Layer.build(Sql.layerPg({ url: pgUrl, username: "" })), "the user name is empty"],
        [Layer.build(Sql.layerMysql({ url: mysqlUrl, username: " " })), "the user name is empty"],
        [Layer.build(Sql.layerMssql({ url: mssqlUrl, username: "" })), "the user name is empty"]
      ] as const
      for (const [layer, detail] of cases) {
        const error = yield* refused(layer)
        assert.strictEqual(error.reason, "InvalidUrl")
        assert.strictEqual(error.detail, detail)
      }
    }))

  it.live("an empty PGSQL_HOST, PGSQL_DATABASE, MYSQL_HOST or MYSQL_DATABASE is refused the same way", () =>
    Effect.gen(function*() {
      const cases = [
        [Sql.layerPgConfig, [["DATABASE_URL", "postgres://postgres@db.invalid:5432/test"], ["PGSQL_HOST", ""]]],
        [Sql.layerPgConfig, [["DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"], ["PGSQL_DATABASE", ""]]],
        [Sql.layerMysqlConfig, [["MYSQL_URL", "mysql://root@db.invalid:3306/test"], ["MYSQL_HOST", ""]]],
        [Sql.layerMysqlConfig, [["MYSQL_URL", "mysql://root@127.0.0.1:3306/test"], ["MYSQL_DATABASE", ""]]]
      ] as const
      for (const [layer, env] of cases) {
        const error = yield* fromEnv(layer, env)
        assert.instanceOf(error, ConnectionError)
        assert.strictEqual((error as ConnectionError).reason, "InvalidUrl", JSON.stringify(env))
      }
    }))

  /** Each configured SQL layer, and the variable of its URL. */
  const configuredLayers = [
    [Sql.layerPgConfig, "DATABASE_URL"],
    [Sql.layerMysqlConfig, "MYSQL_URL"],
    [Sql.layerMssqlConfig, "MSSQL_URL"]
  ] as const

  it.live("a configured layer with nothing configured is a ConfigError naming what to set, not a defect", () =>
    Effect.gen(function*() {
      for (const [layer, variable] of configuredLayers) {
        const error = yield* fromEnv(layer, [["PGSQL_PASSWORD", "x"]])
        assert.isTrue(ConfigError.isConfigError(error), variable)
        assert.include(String(error), variable)
      }
    }))

  it.live("an empty DATABASE_URL, MYSQL_URL or REDIS_URL is refused as empty, not as a URL with a bad password", () =>
    Effect.gen(function*() {
      for (const [layer, variable] of configuredLayers) {
        const error = yield* fromEnv(layer, [[variable, ""]])
        assert.instanceOf(error, ConnectionError)
        assert.strictEqual((error as ConnectionError).reason, "InvalidUrl")
        assert.strictEqual((error as ConnectionError).detail, "the connection URL is empty", variable)
      }
      const redis = yield* refused(Layer.build(Redis.layer({ url: Redacted.make(" ") })))
      assert.strictEqual(redis.detail, "the connection URL is empty")
    }))

  it.live("a URL of another scheme is InvalidUrl, not a connection to the layer's default port", () =>
    Effect.gen(function*() {
      const cases = [
        // The port, http's default, was dropped by the URL parser: this reached 5432.
        Sql.layerPg({ url: Redacted.make("http://postgres@127.0.0.1:80/test") }),
        Sql.layerPg({ url: Redacted.make("mysql://root@127.0.0.1:3306/test") }),
        Sql.layerMysql({ url: Redacted.make("postgres://postgres@127.0.0.1:5432/test") }),
        Sql.layerMssql({ url: Redacted.make("postgresql://sa@127.0.0.1:1433/master") })
      ]
      for (const layer of cases) {
        const error = yield* refused(Layer.build(layer))
        assert.strictEqual(error.reason, "InvalidUrl")
        assert.include(error.detail, "a URL for this layer starts with")
      }
      // Each layer's own schemes get as far as connecting (nothing listens on port 1).
      for (
        const layer of [
          Sql.layerPg({ url: Redacted.make("postgresql://postgres@127.0.0.1:1/test") }),
          Sql.layerMysql({ url: Redacted.make("mariadb://root@127.0.0.1:1/test") }),
          Sql.layerMssql({ url: Redacted.make("MSSQL://sa@127.0.0.1:1/master?encrypt=false") })
        ]
      ) {
        const error = yield* Effect.flip(Effect.scoped(Layer.build(layer)))
        assert.strictEqual(error.reason, "Refused")
      }
    }))

  it.live("TLS options in a URL: unknown values, repeated or unknown options are InvalidUrl, never plaintext", () =>
    Effect.gen(function*() {
      const pg = (query: string) => Sql.layerPg({ url: Redacted.make(`postgres://postgres@127.0.0.1:1/test?${query}`) })
      const mysql = (query: string) => Sql.layerMysql({ url: Redacted.make(`mysql://root@127.0.0.1:1/test?${query}`) })
      const mssql = (query: string) => Sql.layerMssql({ url: Redacted.make(`mssql://sa@127.0.0.1:1/master?${query}`) })
      const cases = [
        [pg("sslmode=DISABLE"), "sslmode is one of"],
        [pg("sslmode=no-such-mode"), "sslmode is one of"],
        [pg("sslmode=disable&sslmode=require"), "sslmode more than once"],
        [pg("sslmode=disable&ssl=true"), "both sslmode and ssl"],
        [pg("ssl=yes"), "ssl is true or false"],
        [pg("sslrootcert=/etc/ca.pem"), "sslrootcert is not one this layer reads"],
        [mysql("ssl-mode=SOMETIMES"), "ssl-mode is one of"],
        [mysql("sslmode=require"), "sslmode is not one this layer reads"],
        [mysql("ssl-mode=REQUIRED&ssl-mode=DISABLED"), "more than once"],
        [mssql("encrypt=no"), "encrypt is true or false"],
        [mssql("Encrypt=true&encrypt=false"), "more than once"],
        [mssql("TrustServerCertificate=maybe"), "trustServerCertificate is true or false"],
        [mssql("applicationIntent=ReadOnly"), "applicationIntent is not one this layer reads"]
      ] as const
      for (const [layer, detail] of cases) {
        const error = yield* refused(Layer.build(layer))
        assert.strictEqual(error.reason, "InvalidUrl", detail)
        assert.include(error.detail, detail)
      }
      // What the layers read gets as far as connecting.
      for (
        const layer of [
          pg("sslmode=disable&application_name=svc"),
          pg("ssl=false"),
          mysql("ssl-mode=disabled"),
          mssql("encrypt=false&trustServerCertificate=true")
        ]
      ) {
        const error = yield* Effect.flip(Effect.scoped(Layer.build(layer)))
        assert.strictEqual(error.reason, "Refused")
      }
    }))

  it.live("an IPv6 host is printed in brackets in the target, so that its port stands apart", () =>
    Effect.gen(function*() {
      const url = Redacted.make("postgres://postgres@[::1]:1/test")
      const pg = yield* Effect.flip(Effect.scoped(Layer.build(Sql.layerPg({ url }))))
      assert.strictEqual(pg.target, "[::1]:1/test")
      const mysql = yield* Effect.flip(Effect.scoped(Layer.build(Sql.layerMysql({ host: "::1", port: 1 }))))
      assert.strictEqual(mysql.target, "[::1]:1/test")
      assert.include(mysql.message, "([::1]:1/test)")
    }))
})
