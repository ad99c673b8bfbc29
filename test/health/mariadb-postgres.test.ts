/**
 * Health by tier: a program whose DAOs live on MariaDB and PostgreSQL gets one report with an
 * entry per tier, probed on the pools the DAOs use.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Health from "../../src/layers/Health.js"
import * as Redis from "../../src/layers/Redis.js"
import * as Sql from "../../src/layers/Sql.js"
import { Health as HealthTag } from "../../src/services/Health.js"
import { isAvailable, mysqlOptions, pgOptions, redisOptions, requireServices } from "../support/services.js"

const check = Effect.flatMap(HealthTag, (health) => health.check)

const up = (await isAvailable("mariadb")) && (await isAvailable("postgres")) && (await isAvailable("redis"))
if (!up && !requireServices) console.error("[skip] health by tier: needs MariaDB, PostgreSQL and Redis")

describe.skipIf(!up && !requireServices)("health by tier on MariaDB, PostgreSQL and Redis", () => {
  const remoteDb = Sql.layerMysql(mysqlOptions)
  const coreDb = Sql.layerPg(pgOptions)

  it.live("an entry per tier, named, with its backend, latency and pool; Redis beside them", () =>
    Effect.gen(function*() {
      const report = yield* check
      assert.strictEqual(report.status, "up")
      assert.deepStrictEqual(
        report.backends.map((b) => [b.component, b.tier, b.backend, b.status]),
        [["sql", "remote", "mariadb", "up"], ["sql", "core", "postgres", "up"], ["redis", undefined, "redis", "up"]]
      )
      for (const sql of report.backends.slice(0, 2)) assert.isAtLeast(sql.latencyMillis ?? -1, 0)
      // node-postgres shows its pool; the mysql2 pool under @effect/sql-mysql2 is not reachable.
      assert.isAtLeast(report.backends[1]?.pool?.total ?? -1, 1)
    }).pipe(
      Effect.provide(
        Health.layerTiers({ remote: remoteDb, core: coreDb }).pipe(Layer.provide(Redis.layer(redisOptions)))
      )
    ))

  it.live("a tier that is down makes the report down and says which, the others staying up", () =>
    Effect.gen(function*() {
      const report = yield* check
      assert.strictEqual(report.status, "down")
      assert.deepStrictEqual(
        report.backends.map((b) => [b.tier, b.status]),
        [["remote", "up"], ["pipeline", "down"]]
      )
      assert.include(report.backends[1]?.detail ?? "", "Refused")
    }).pipe(
      Effect.provide(Health.layerTiers({
        remote: remoteDb,
        pipeline: Sql.layerPg({ host: "127.0.0.1", port: 1, requireConnection: false, connectTimeout: "1 second" })
      }, { timeout: "2 seconds" }))
    ))

  it.live("a tier is probed on the pool its DAOs use, given the same layer", () =>
    Effect.scoped(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      // Three connections held by the program: a pool of the probe's own would count one.
      yield* Effect.all([sql.reserve, sql.reserve, sql.reserve], { concurrency: "unbounded" })
      const report = yield* check
      const core = report.backends.find((b) => b.tier === "core")
      assert.isAtLeast(core?.pool?.total ?? 0, 4)
      assert.strictEqual(core?.status, "up")
    })).pipe(Effect.provide(Layer.merge(Health.layerTiers({ core: coreDb }), coreDb))))
})
