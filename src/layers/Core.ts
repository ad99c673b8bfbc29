/**
 * The core tier of the hash store over the generic repository: `CoreLive` on SQL, `CoreTest` in
 * memory. It is composed apart from `HashStore`, so each can be given its own `SqlClient`:
 *
 * @example
 * const tiers = Layer.merge(
 *   HashStoreLive.pipe(Layer.provide(remotePolicy), Layer.provide(layerMysql(remote))),
 *   CoreLive.pipe(Layer.provide(corePolicy), Layer.provide(layerPg(core)))
 * )
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { isUniqueViolation } from "../errors.js"
import type { Baseline as BaselineType, CoreTables, Dashboard } from "../schemas/CoreSite.js"
import { Baseline, baselineColumns, CoreSite, coreSiteColumns, coreTables, SiteReport } from "../schemas/CoreSite.js"
import { HashLog, hashLogColumns, HashLogInput, LogLevel, makeLog } from "../schemas/HashLog.js"
import { HashValue } from "../schemas/HashRecord.js"
import { decode, maxMembers } from "../schemas/Query.js"
import type { AccessPolicy } from "../services/AccessPolicy.js"
import type { CoreService } from "../services/Core.js"
import { Core } from "../services/Core.js"
import * as Repository from "../services/Repository.js"
import type { PolicyTables } from "./AccessPolicy.js"
import * as Ids from "./Ids.js"
import { provideLive, provideTest } from "./Repository.js"
import type { SqlBackend } from "./Sql.js"

/**
 * The tables a core on the given table names needs on the access policy.
 *
 * @since 0.1.0
 * @category models
 */
export const tablesFor = (names: CoreTables = coreTables): PolicyTables => ({
  [names.sites]: coreSiteColumns,
  [names.baselines]: baselineColumns,
  [names.logs]: hashLogColumns
})

/**
 * The tables this DAO needs on the access policy, under the default names.
 *
 * @since 0.1.0
 * @category models
 */
export const tables: PolicyTables = tablesFor()

const minute = 60_000
const day = 24 * 60 * minute
/** Sites report every 35 minutes. */
const reportInterval = 35 * minute
const sitePage = 500
const recentLogLimit = 1_000

const decodeReport = decode(SiteReport, "site")
const decodeHash = decode(HashValue, "hash")
const decodeLog = decode(HashLogInput, "log")
const decodeLevel = decode(LogLevel, "level")

const emptyDashboard: Dashboard = {
  crit_error_count: 0,
  hash_record_count: 0,
  sync_current: 0,
  sync_1_behind: 0,
  sync_l24_behind: 0,
  sync_g24_behind: 0,
  sync_unknown: 0,
  live_current: 0,
  live_1_behind: 0,
  live_l24_behind: 0,
  live_inactive: 0
}

type Bucket = Exclude<keyof Dashboard, "crit_error_count" | "hash_record_count">

type Tally = { -readonly [K in keyof Dashboard]: number }

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (names: CoreTables = coreTables) =>
  Effect.gen(function*() {
    const sites = yield* Repository.make({ table: names.sites, schema: CoreSite, id: "site_id" })
    const baselines = yield* Repository.make({ table: names.baselines, schema: Baseline, id: "baseline_hash" })
    const logs = yield* Repository.make({ table: names.logs, schema: HashLog, id: "log_id" })
    const repositories = yield* Repository.Repositories
    const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))
    const span = (name: string, table: string) => Effect.withSpan(`Core.${name}`, { attributes: { table } })

    const since = (millis: number) => Effect.map(now, (at) => new Date(at.getTime() - millis))

    /** The baselines among `hashes`, by hash, in `IN (...)` reads of at most `maxMembers` values. */
    const baselinesAt = (hashes: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const found = new Map<string, BaselineType>()
        for (let i = 0; i < hashes.length; i += maxMembers) {
          const values = hashes.slice(i, i + maxMembers)
          const rows = yield* baselines.list({ filters: [{ field: "baseline_hash", op: "in", values }] })
          const wanted = new Set(values)
          for (const row of rows) if (wanted.has(row.baseline_hash)) found.set(row.baseline_hash, row)
        }
        return found
      })

    const service: CoreService = {
      reportSite: (input) =>
        Effect.gen(function*() {
          const report = yield* decodeReport(input)
          return yield* repositories.withTransaction(Effect.gen(function*() {
            // Locked to the end of the transaction: concurrent reports of one site take turns,
            // and none writes back a hash older than the one it read.
            const [current] = yield* sites.findByField("site_id", report.site_id, { forUpdate: true })
            const at = yield* now
            const changed = report.current_hash !== undefined && report.current_hash !== current?.current_hash
            const site = {
              site_id: report.site_id,
              current_hash: report.current_hash ?? current?.current_hash ?? null,
              hash_dtg: changed ? at : current?.hash_dtg ?? null,
              last_seen: at,
              record_count: report.record_count ?? current?.record_count ?? 0
            }
            // A first report inserts: of two at once, the second fails on the key and runs again,
            // then reading (and locking) the first's row instead of writing over it.
            if (current === undefined) return yield* sites.create(site)
            return yield* sites.upsert(site)
          }))
        }).pipe(
          Effect.retry({ times: 1, while: isUniqueViolation }),
          span("reportSite", names.sites)
        ),

      putBaseline: (input) =>
        Effect.gen(function*() {
          const hash = yield* decodeHash(input)
          return yield* repositories.withTransaction(Effect.gen(function*() {
            const [known] = yield* baselines.findByField("baseline_hash", hash)
            if (known !== undefined) return known
            return yield* baselines.create({ baseline_hash: hash, created_at: yield* now })
          })).pipe(Effect.retry({ times: 1, while: isUniqueViolation }))
        }).pipe(span("putBaseline", names.baselines)),

      putLog: (input) =>
        Effect.gen(function*() {
          const entry = yield* decodeLog(input)
          const at = yield* now
          const created = yield* logs.create(makeLog(entry, Ids.timeOrdered(at.getTime()), at))
          return created.log_id
        }).pipe(span("putLog", names.logs)),

      recentLogs: () =>
        Effect.gen(function*() {
          const from = yield* since(30 * day)
          return yield* logs.list({
            filters: [{ field: "logged_at", op: "gte", value: from }],
            sort: [{ field: "logged_at", direction: "desc" }],
            limit: recentLogLimit
          })
        }).pipe(span("recentLogs", names.logs)),

      hashRecordCount: () =>
        sites.stream(undefined, sitePage).pipe(
          Stream.runFold(0, (total, site) => total + site.record_count),
          span("hashRecordCount", names.sites)
        ),

      logCountLast24h: (input) =>
        Effect.gen(function*() {
          const level = yield* decodeLevel(input)
          const from = yield* since(day)
          return yield* logs.count({
            filters: [{ field: "log_level", op: "eq", value: level }, { field: "logged_at", op: "gte", value: from }]
          })
        }).pipe(span("logCountLast24h", names.logs)),

      dashboard: () =>
        Effect.gen(function*() {
          const at = (yield* now).getTime()
          const crit_error_count = yield* service.logCountLast24h("CRITICAL")
          const [newest, previous] = yield* baselines.list({
            sort: [{ field: "created_at", direction: "desc" }, { field: "baseline_hash", direction: "desc" }],
            limit: 2
          })
          const syncOf = (hash: string | null, known: ReadonlyMap<string, BaselineType>): Bucket => {
            if (hash === null) return "sync_unknown"
            if (hash === newest?.baseline_hash) return "sync_current"
            if (hash === previous?.baseline_hash) return "sync_1_behind"
            const baseline = known.get(hash)
            if (baseline === undefined) return "sync_unknown"
            return at - baseline.created_at.getTime() <= day ? "sync_l24_behind" : "sync_g24_behind"
          }
          const liveOf = (lastSeen: Date): Bucket => {
            const age = at - lastSeen.getTime()
            if (age <= reportInterval) return "live_current"
            if (age <= 2 * reportInterval) return "live_1_behind"
            if (age <= day) return "live_l24_behind"
            return "live_inactive"
          }
          const counts = yield* sites.stream(undefined, sitePage).pipe(
            Stream.rechunk(sitePage),
            // One `IN (...)` read of the baselines per page of sites.
            Stream.mapChunksEffect((page) =>
              Effect.map(
                baselinesAt(Array.from(new Set(Chunk.toReadonlyArray(page).flatMap((s) => s.current_hash ?? [])))),
                (known) => Chunk.map(page, (site) => ({ site, sync: syncOf(site.current_hash, known) }))
              )
            ),
            Stream.runFold({ ...emptyDashboard } as Tally, (tally, { site, sync }) => {
              tally.hash_record_count += site.record_count
              tally[sync] += 1
              tally[liveOf(site.last_seen)] += 1
              return tally
            })
          )
          return { ...counts, crit_error_count } satisfies Dashboard
        }).pipe(span("dashboard", names.sites))
    }
    return service
  })

/**
 * The DAO on tables of the given names, over whichever `Repositories` is provided.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (names: CoreTables = coreTables) => Layer.effect(Core, make(names))

/**
 * On SQL, on tables of the given names. The repositories underneath are built fresh for this
 * layer: two tiers composed in one program over different `SqlClient`s never share them.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerLive = (names: CoreTables = coreTables): Layer.Layer<
  Core,
  Effect.Effect.Error<ReturnType<typeof make>>,
  AccessPolicy | SqlClient.SqlClient | SqlBackend
> => provideLive(layer(names))

/**
 * In memory, on a store of its own, under the given table names.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerTest = (
  names: CoreTables = coreTables
): Layer.Layer<Core, Effect.Effect.Error<ReturnType<typeof make>>, AccessPolicy> => provideTest(layer(names))

/**
 * On SQL (tables from `migrations/HashStore`, `coreMigration`).
 *
 * @since 0.1.0
 * @category layers
 */
export const CoreLive: Layer.Layer<
  Core,
  Effect.Effect.Error<ReturnType<typeof make>>,
  AccessPolicy | SqlClient.SqlClient | SqlBackend
> = layerLive()

/**
 * In memory, for users' tests.
 *
 * @since 0.1.0
 * @category layers
 */
export const CoreTest: Layer.Layer<Core, Effect.Effect.Error<ReturnType<typeof make>>, AccessPolicy> = layerTest()
