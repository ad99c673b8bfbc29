/**
 * The tiers of the hash store in one program, each on its own database: the remote tier
 * (`HashStore`) on MariaDB and the core tier (`Core`) on PostgreSQL, composed with `Layer.provide`.
 * Layers are memoized by reference, so a repository layer shared by both tiers would be built
 * once, over one of the two clients; `layerLive` builds its repositories fresh, and this test
 * fails without that.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { CacheTest } from "../../src/layers/Cache.js"
import { layerMysql, layerPg } from "../../src/layers/Sql.js"
import { AssetCycles } from "../../src/services/AssetCycles.js"
import { Core } from "../../src/services/Core.js"
import { HashStore } from "../../src/services/HashStore.js"
import { Users } from "../../src/services/Users.js"
import * as AssetCyclesLayers from "../asset-cycles/layers.js"
import * as CoreLayers from "../core/layers.js"
import * as HashStoreLayers from "../hash-store/layers.js"
import { isAvailable, mysqlOptions, pgOptions, requireServices, uniqueName } from "../support/services.js"
import * as UsersLayers from "../users/layers.js"

const remoteTables = HashStoreLayers.freshTables()
const coreTables = CoreLayers.freshCoreTables()

/** The tables of `names` that exist in the database behind the `SqlClient` in context. */
const present = (names: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ readonly name: string }>`SELECT table_name AS name FROM information_schema.tables
      WHERE table_name IN ${sql.in(names)}`
    return rows.map((row) => row.name).sort()
  })

const tiers = Layer.merge(
  HashStoreLayers.onSql(layerMysql(mysqlOptions), remoteTables),
  CoreLayers.onSql(layerPg(pgOptions), coreTables)
)

const up = (await isAvailable("mariadb")) && (await isAvailable("postgres"))
if (!up && !requireServices) console.error("[skip] tiers: needs MariaDB and PostgreSQL")

describe.skipIf(!up && !requireServices)("HashStore on MariaDB with Core on PostgreSQL", () => {
  layer(tiers, { timeout: 120_000 })("one program", (it) => {
    it.effect("each tier reads and writes its own database", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        const core = yield* Core
        yield* TestClock.setTime(Date.UTC(2026, 5, 1))
        const record = yield* store.putHash({ path: "/srv/site-a", current_hash: "b1", target_hash: "b2" })
        yield* store.putLog({ summary_message: "scan failed", log_level: "CRITICAL", site_id: "site-a" })
        yield* core.putBaseline("b1")
        yield* core.putBaseline("b2")
        yield* core.reportSite({ site_id: "site-a", current_hash: record.current_hash, record_count: 1 })
        yield* core.putLog({ summary_message: "site-a: scan failed", log_level: "CRITICAL", site_id: "site-a" })
        const dashboard = yield* core.dashboard()
        assert.deepStrictEqual(
          [dashboard.sync_1_behind, dashboard.crit_error_count, dashboard.hash_record_count],
          [1, 1, 1]
        )
        assert.deepStrictEqual(yield* store.priorityUpdates(), ["/srv/site-a"])
        assert.isTrue(Option.isSome(yield* store.getRecord("/srv/site-a")))

        const remoteNames = [remoteTables.records, remoteTables.logs, coreTables.sites, coreTables.logs]
        const onMariaDb = yield* present(remoteNames).pipe(Effect.provide(layerMysql(mysqlOptions)))
        const onPostgres = yield* present(remoteNames).pipe(Effect.provide(layerPg(pgOptions)))
        assert.deepStrictEqual(onMariaDb, [remoteTables.logs, remoteTables.records].sort())
        assert.deepStrictEqual(onPostgres, [coreTables.logs, coreTables.sites].sort())
      }))
  })
})

/** AssetCycles on MariaDB and Users on PostgreSQL: their repository layers must not be shared. */
const domains = Layer.merge(
  AssetCyclesLayers.onSql(layerMysql(mysqlOptions)),
  UsersLayers.onSql(layerPg(pgOptions), CacheTest)
)

describe.skipIf(!up && !requireServices)("AssetCycles on MariaDB with Users on PostgreSQL", () => {
  layer(domains, { timeout: 120_000 })("one program", (it) => {
    it.effect("each DAO writes to its own database", () =>
      Effect.gen(function*() {
        const cycles = yield* AssetCycles
        const users = yield* Users
        const site = uniqueName("tier")
        const cycle = yield* cycles.insert({ asset_guid: "truck-9", site_guid: site, current_work_state_id: 1 })
        const name = uniqueName("t").replace(/[^a-z0-9_]/g, "").slice(-24)
        const user = yield* users.create({
          username: name,
          email: `${name}@example.com`,
          hashed_password: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"
        })
        const cycleWhere = (sql: SqlClient.SqlClient) =>
          sql<{ n: number }>`SELECT COUNT(*) AS n FROM asset_cycles WHERE cycle_id = ${cycle.cycle_id}`
        const userWhere = (sql: SqlClient.SqlClient) =>
          sql<{ n: number }>`SELECT COUNT(*) AS n FROM users WHERE id = ${user.id}`
        const count = (rows: ReadonlyArray<{ n: number }>) => Number(rows[0]?.n ?? -1)
        const onMariaDb = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
          Effect.all([cycleWhere(sql), userWhere(sql)]))
          .pipe(Effect.provide(layerMysql(mysqlOptions)))
        const onPostgres = yield* Effect.flatMap(SqlClient.SqlClient, (sql) =>
          Effect.all([cycleWhere(sql), userWhere(sql)]))
          .pipe(Effect.provide(layerPg(pgOptions)))
        assert.deepStrictEqual(onMariaDb.map(count), [1, 0])
        assert.deepStrictEqual(onPostgres.map(count), [0, 1])
      }))
  })
})
