/**
 * Known passwords are configured, connections are made and failed, and every error message, log
 * line, span name and attribute, and console line is searched for them.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { afterEach, assert, beforeEach, describe, it, vi } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { ConnectionError } from "../../src/errors.js"
import * as Health from "../../src/layers/Health.js"
import * as Redis from "../../src/layers/Redis.js"
import * as Sql from "../../src/layers/Sql.js"
import { Health as HealthTag } from "../../src/services/Health.js"
import { RedisClient } from "../../src/services/RedisClient.js"
import { makeRecording } from "../support/recording.js"
import { describeLive, uniqueName } from "../support/services.js"

const PG_SECRET = "Pg-Known-Secret-7731"
const MYSQL_SECRET = "My-Known-Secret-4410"
const REDIS_SECRET = "Redis-Known-Secret-5512"
const ENV_SECRET = "Env-Known-Secret-9035"
const secrets = [PG_SECRET, MYSQL_SECRET, REDIS_SECRET, ENV_SECRET]

let consoleLines: Array<string> = []
beforeEach(() => {
  consoleLines = []
  for (const method of ["log", "warn", "error", "info", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: Array<unknown>) => {
      consoleLines.push(args.map(String).join(" "))
    })
  }
})
afterEach(() => {
  vi.restoreAllMocks()
})

const printable = (error: unknown): string =>
  [
    error instanceof Error ? error.message : "",
    String(error),
    JSON.stringify(error),
    Cause.pretty(Cause.fail(error))
  ].join("\n")

const assertClean = (text: string) => {
  for (const secret of secrets) assert.notInclude(text, secret)
}

await describeLive("postgres", "no secret in errors, logs or spans", () => {
  it.live("PostgreSQL with a password in DATABASE_URL: queries, a failure, health", () =>
    Effect.gen(function*() {
      const recording = makeRecording()
      const table = uniqueName("secret")
      const url = `postgres://postgres:${PG_SECRET}@127.0.0.1:5432/test`
      const work = Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const run = Sql.run({ operation: "Secrets.insert", table })
        yield* run(sql.unsafe(`CREATE TABLE ${table} (id int PRIMARY KEY)`))
        yield* run(sql`INSERT INTO ${sql(table)} (id) VALUES (1)`)
        const failure = yield* Effect.flip(run(sql`INSERT INTO ${sql(table)} (id) VALUES (1)`))
        yield* run(sql.unsafe(`DROP TABLE ${table}`))
        yield* Effect.logWarning("insert failed", failure)
        const health = yield* Effect.flatMap(HealthTag, (h) => h.check)
        return { failure, health }
      })
      const layer = Health.layer().pipe(Layer.provideMerge(Sql.layerPg({ url: Redacted.make(url) })))
      const { failure, health } = yield* work.pipe(Effect.provide(layer), Effect.provide(recording.layer))
      assert.strictEqual(failure.reason, "UniqueViolation")
      assert.strictEqual(health.status === "down", false)
      assert.isTrue(recording.spans.some((span) => span.name === "Secrets.insert"), "spans were recorded")
      assert.isAbove(recording.logs.length, 0, "logs were recorded")
      assertClean(printable(failure))
      assertClean(JSON.stringify(health))
      assertClean(recording.text())
      assertClean(consoleLines.join("\n"))
    }))

  it.live("PostgreSQL unreachable, password in the URL and in PGSQL_PASSWORD", () =>
    Effect.gen(function*() {
      const recording = makeRecording()
      const fromUrl = yield* Effect.flip(
        Effect.scoped(Layer.build(Sql.layerPg({ url: Redacted.make(`postgres://app:${PG_SECRET}@127.0.0.1:1/test`) })))
      )
      const fromEnv = yield* Effect.flip(Effect.scoped(Layer.build(Sql.layerPgConfig))).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(
          new Map([["PGSQL_HOST", "127.0.0.1"], ["PGSQL_PORT", "1"], ["PGSQL_PASSWORD", ENV_SECRET]])
        ))
      )
      const down = yield* Effect.flatMap(HealthTag, (h) => h.check).pipe(
        Effect.provide(
          Health.layer().pipe(Layer.provide(Sql.layerPg({
            url: Redacted.make(`postgres://app:${PG_SECRET}@127.0.0.1:1/test`),
            requireConnection: false,
            connectTimeout: "1 second"
          })))
        ),
        Effect.provide(recording.layer)
      )
      assert.strictEqual(fromUrl._tag, "ConnectionError")
      assert.strictEqual(down.status, "down")
      assert.strictEqual(down.backends[0]?.target, "127.0.0.1:1/test")
      assertClean(printable(fromUrl))
      assertClean(printable(fromEnv))
      assertClean(JSON.stringify(down))
      assertClean(recording.text())
      assertClean(consoleLines.join("\n"))
    }))
})

await describeLive("mariadb", "no secret in MariaDB errors", () => {
  it.live("a wrong password in MYSQL_URL", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.scoped(
          Layer.build(Sql.layerMysql({ url: Redacted.make(`mysql://nobody:${MYSQL_SECRET}@127.0.0.1:3306/test`) }))
        )
      )
      assert.strictEqual(error.reason, "AuthFailed")
      assertClean(printable(error))
      assertClean(consoleLines.join("\n"))
    }))
})

await describeLive("redis", "no secret in Redis errors, logs or spans", () => {
  it.live("a password to a closed port, and to a server that has none", () =>
    Effect.gen(function*() {
      const recording = makeRecording()
      const closed = yield* Effect.flip(
        Effect.scoped(Layer.build(Redis.layer({ url: Redacted.make(`redis://user:${REDIS_SECRET}@127.0.0.1:1/0`) })))
      )
      assert.strictEqual(closed.reason, "Refused")
      const answered = yield* Effect.either(
        Effect.flatMap(RedisClient, (redis) => redis.ping).pipe(
          Effect.provide(Redis.layer({ url: Redacted.make(`redis://:${REDIS_SECRET}@127.0.0.1:6379/0`) })),
          Effect.provide(recording.layer)
        )
      )
      const text = answered._tag === "Left" ? printable(answered.left) : "pinged"
      assertClean(printable(closed))
      assertClean(text)
      assertClean(recording.text())
      assertClean(consoleLines.join("\n"))
    }))
})

describe("a connection URL that cannot be read", () => {
  const refused = <ROut>(layer: Layer.Layer<ROut, ConnectionError>) => Effect.flip(Effect.scoped(Layer.build(layer)))

  it.effect("is refused with InvalidUrl, naming neither the URL nor its password, and connects nowhere", () =>
    Effect.gen(function*() {
      const urls = [
        // An unencoded "/" in the password: read as host "admin", port 1234 and a path.
        `postgres://admin:1234/${PG_SECRET}@db.example.com:5432/app`,
        // An unencoded "/" after letters: no URL at all.
        `postgres://app:sek/${PG_SECRET}@db.example.com:5432/app`,
        // A "#" in the password.
        `postgres://app:1#${PG_SECRET}@db.example.com:5432/app`,
        // Malformed percent-encoding.
        `postgres://app:100%zz${PG_SECRET}@db.example.com:5432/app`
      ]
      for (const url of urls) {
        const error = yield* refused(Sql.layerPg({ url: Redacted.make(url) }))
        assert.strictEqual(error.reason, "InvalidUrl", url)
        assert.isUndefined(error.target)
        assertClean(printable(error))
        assert.notInclude(printable(error), "db.example.com")
      }
      const mysql = yield* refused(
        Sql.layerMysql({ url: Redacted.make(`mysql://root:a/${MYSQL_SECRET}@127.0.0.1/test`) })
      )
      assert.strictEqual(mysql.reason, "InvalidUrl")
      assertClean(printable(mysql))
      const mssql = yield* refused(Sql.layerMssql({ url: Redacted.make(`mssql://sa:1/${ENV_SECRET}@127.0.0.1/db`) }))
      assert.strictEqual(mssql.reason, "InvalidUrl")
      assertClean(printable(mssql))
      const redis = yield* refused(
        Redis.layer({ url: Redacted.make(`redis://default:1234/${REDIS_SECRET}@cache.example.com:6379/3`) })
      )
      assert.strictEqual(redis.reason, "InvalidUrl")
      assertClean(printable(redis))
    }))

  it.live("a query string may hold an @ when the user and password were read", () =>
    Effect.gen(function*() {
      // Nothing listens on port 1: the URL was read, and the connection attempted.
      const closed = yield* refused(
        Sql.layerPg({ url: Redacted.make(`postgres://app:${PG_SECRET}@127.0.0.1:1/test?application_name=svc@prod`) })
      )
      assert.strictEqual(closed.reason, "Refused")
      assertClean(printable(closed))
      const cut = yield* refused(
        Sql.layerPg({ url: Redacted.make(`postgres://app:1?${PG_SECRET}@db.example.com/app`) })
      )
      assert.strictEqual(cut.reason, "InvalidUrl")
      assertClean(printable(cut))
    }))

  it.effect("a URL's port 0 is refused, not taken for the driver's default port; one over 65535 is named", () =>
    Effect.gen(function*() {
      const errors = [
        yield* refused(Sql.layerPg({ url: Redacted.make(`postgres://postgres:${PG_SECRET}@127.0.0.1:0/test`) })),
        yield* refused(Sql.layerMysql({ url: Redacted.make("mysql://root@127.0.0.1:0/test") })),
        yield* refused(Sql.layerMssql({ url: Redacted.make("mssql://sa:pw@127.0.0.1:0/db") })),
        yield* refused(Redis.layer({ url: Redacted.make("redis://127.0.0.1:0/0") }))
      ]
      for (const error of errors) {
        assert.strictEqual(error.reason, "InvalidUrl")
        assert.include(error.detail ?? "", "port is 0")
        assertClean(printable(error))
      }
      // A port over 65535 is named as such, not blamed on the user name or password.
      const over = yield* refused(
        Sql.layerMysql({ url: Redacted.make(`mysql://root:${MYSQL_SECRET}@127.0.0.1:99999/db`) })
      )
      assert.strictEqual(over.reason, "InvalidUrl")
      assert.include(over.detail ?? "", "port is over 65535")
      assertClean(printable(over))
      // An unencoded "/" in a password still reads as what it is.
      const cut = yield* refused(Sql.layerPg({ url: Redacted.make(`postgres://app:1/${PG_SECRET}:99999@db/app`) }))
      assert.notInclude(cut.detail ?? "", "port")
    }))

  it.live("a Redis URL's path must be a db index", () =>
    Effect.gen(function*() {
      for (const path of ["abc", "-1", "1.5"]) {
        const error = yield* refused(Redis.layer({ url: Redacted.make(`redis://127.0.0.1:1/${path}`) }))
        assert.strictEqual(error.reason, "InvalidUrl", path)
      }
      // A valid index gets as far as connecting (nothing listens on port 1).
      const closed = yield* refused(Redis.layer({ url: Redacted.make("redis://127.0.0.1:1/15") }))
      assert.strictEqual(closed.reason, "Refused")
    }))
})
