/**
 * The Core contract (the hash store's core tier): site reports, baselines, the central log and
 * the dashboard, the same on every backend. The dashboard counts whole tables, so its tests get
 * a layer (fresh tables) of their own.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import { Core } from "../../src/services/Core.js"
import { uniqueName } from "../support/services.js"

const start = Date.UTC(2026, 2, 1, 12, 0, 0, 0)
const minute = 60_000
const hour = 60 * minute
const day = 24 * hour

export const suite = (name: string, dao: () => Layer.Layer<Core, unknown>) =>
  describe(name, () => {
    const site = () => uniqueName("site").slice(-40)

    layer(dao(), { timeout: 120_000 })("reports and logs", (it) => {
      it.effect("reportSite stamps last_seen; hash_dtg moves only with a new hash; left-out fields are kept", () =>
        Effect.gen(function*() {
          const core = yield* Core
          yield* TestClock.setTime(start)
          const id = site()
          const first = yield* core.reportSite({ site_id: id, current_hash: "h1", record_count: 10 })
          assert.deepStrictEqual(
            [first.current_hash, first.hash_dtg?.getTime(), first.last_seen.getTime(), first.record_count],
            ["h1", start, start, 10]
          )
          yield* TestClock.adjust("1 minute")
          const same = yield* core.reportSite({ site_id: id, current_hash: "h1" })
          assert.deepStrictEqual(
            [same.hash_dtg?.getTime(), same.last_seen.getTime(), same.record_count],
            [start, start + minute, 10]
          )
          yield* TestClock.adjust("1 minute")
          const changed = yield* core.reportSite({ site_id: id, current_hash: "h2", record_count: 12 })
          assert.deepStrictEqual(
            [changed.current_hash, changed.hash_dtg?.getTime(), changed.record_count],
            ["h2", start + 2 * minute, 12]
          )
          const bare = yield* core.reportSite({ site_id: site() })
          assert.deepStrictEqual([bare.current_hash, bare.hash_dtg, bare.record_count], [null, null, 0])
        }))

      it.effect("concurrent reports of one site keep the newest hash: a report without one never writes an older back", () =>
        Effect.gen(function*() {
          const core = yield* Core
          const id = site()
          yield* core.reportSite({ site_id: id, current_hash: "h0", record_count: 1 })
          const reports = Array.from({ length: 12 }, (_, i) =>
            i % 2 === 0 ? { site_id: id, current_hash: `h${i + 1}` } : { site_id: id, record_count: i + 1 })
          yield* Effect.forEach(reports, (report) =>
            core.reportSite(report), { concurrency: "unbounded" })
          const last = yield* core.reportSite({ site_id: id })
          assert.include(reports.flatMap((r) => "current_hash" in r ? [r.current_hash] : []), last.current_hash)
          assert.include(reports.flatMap((r) => "record_count" in r ? [r.record_count] : []), last.record_count)
        }))

      it.effect("concurrent first reports of a site: none writes over another's fields", () =>
        Effect.gen(function*() {
          const core = yield* Core
          const id = site()
          yield* Effect.all([
            core.reportSite({ site_id: id, current_hash: "first" }),
            core.reportSite({ site_id: id, record_count: 7 })
          ], { concurrency: "unbounded" })
          const last = yield* core.reportSite({ site_id: id })
          assert.deepStrictEqual([last.current_hash, last.record_count], ["first", 7])
        }))

      it.effect("bad reports, baselines and levels are ValidationErrors", () =>
        Effect.gen(function*() {
          const core = yield* Core
          const id = site()
          const bad: ReadonlyArray<unknown> = [
            { site_id: `${id}' OR '1'='1` },
            { site_id: id, record_count: -1 },
            { site_id: id, record_count: 1.5 },
            { site_id: id, current_hash: "h; DROP TABLE core_sites" },
            { site_id: id, extra: true },
            {}
          ]
          for (const report of bad) {
            assert.strictEqual((yield* Effect.flip(core.reportSite(report)))._tag, "ValidationError")
          }
          assert.strictEqual((yield* Effect.flip(core.putBaseline("not a hash")))._tag, "ValidationError")
          for (const level of ["FATAL", "critical", "CRITICAL' OR '1'='1"]) {
            assert.strictEqual((yield* Effect.flip(core.logCountLast24h(level)))._tag, "ValidationError")
          }
          // Nothing was stored under the refused id.
          const stored = yield* core.reportSite({ site_id: id })
          assert.deepStrictEqual([stored.current_hash, stored.record_count], [null, 0])
        }))

      it.effect("putBaseline is idempotent: a known baseline keeps its time", () =>
        Effect.gen(function*() {
          const core = yield* Core
          yield* TestClock.setTime(start)
          const hash = uniqueName("b")
          const made = yield* core.putBaseline(hash)
          yield* TestClock.adjust("1 hour")
          const again = yield* core.putBaseline(hash)
          assert.strictEqual(made.created_at.getTime(), start)
          assert.strictEqual(again.created_at.getTime(), start)
        }))

      it.effect("logCountLast24h counts one level in the last 24 h; recentLogs covers 30 days, newest first", () =>
        Effect.gen(function*() {
          const core = yield* Core
          yield* TestClock.setTime(Date.UTC(2030, 0, 1))
          const before = yield* core.logCountLast24h("CRITICAL")
          const oldest = yield* core.putLog({ summary_message: "31 days ago", log_level: "CRITICAL", site_id: "s1" })
          yield* TestClock.adjust("2 days")
          const older = yield* core.putLog({ summary_message: "29 days ago", log_level: "CRITICAL" })
          yield* TestClock.adjust("28 days")
          const within = yield* core.putLog({ summary_message: "1 day ago", log_level: "CRITICAL" })
          yield* core.putLog({ summary_message: "an error", log_level: "ERROR" })
          yield* TestClock.adjust("1 day")
          const last = yield* core.putLog({ summary_message: "now", log_level: "CRITICAL" })
          assert.strictEqual((yield* core.logCountLast24h("CRITICAL")) - before, 2)
          assert.isAtLeast(yield* core.logCountLast24h("ERROR"), 1)
          const recent = (yield* core.recentLogs()).map((l) => l.log_id)
          assert.deepStrictEqual(recent.filter((id) => [oldest, older, within, last].includes(id)), [
            last,
            within,
            older
          ])
          assert.isFalse(recent.includes(oldest))
        }))
    })

    layer(dao(), { timeout: 120_000 })("dashboard", (it) => {
      it.effect("sync and live buckets, record count and critical errors, from the clock", () =>
        Effect.gen(function*() {
          const core = yield* Core
          const now = start + 10 * day
          const at = (offset: number) => TestClock.setTime(now - offset)
          const empty = yield* core.dashboard()
          assert.deepStrictEqual(Object.values(empty), Array(11).fill(0))

          yield* at(3 * day)
          yield* core.putBaseline("b1")
          yield* core.reportSite({ site_id: "s-g24", current_hash: "b1", record_count: 1 })
          yield* at(25 * hour)
          yield* core.putLog({ summary_message: "too old", log_level: "CRITICAL" })
          yield* at(12 * hour)
          yield* core.putBaseline("b2")
          yield* core.reportSite({ site_id: "s-l24", current_hash: "b2", record_count: 20 })
          yield* at(2 * hour)
          yield* core.putBaseline("b3")
          yield* at(1 * hour)
          yield* core.putBaseline("b4")
          yield* core.reportSite({ site_id: "s-prev", current_hash: "b3", record_count: 300 })
          yield* core.putLog({ summary_message: "one", log_level: "CRITICAL" })
          yield* core.putLog({ summary_message: "two", log_level: "CRITICAL" })
          yield* core.putLog({ summary_message: "not critical", log_level: "ERROR" })
          yield* at(10 * minute)
          yield* core.reportSite({ site_id: "s-cur", current_hash: "b4", record_count: 4_000 })
          yield* core.reportSite({ site_id: "s-unknown", current_hash: "zzz", record_count: 50_000 })
          yield* core.reportSite({ site_id: "s-none" })
          yield* at(0)

          assert.deepStrictEqual(yield* core.dashboard(), {
            crit_error_count: 2,
            hash_record_count: 54_321,
            sync_current: 1,
            sync_1_behind: 1,
            sync_l24_behind: 1,
            sync_g24_behind: 1,
            sync_unknown: 2,
            live_current: 3,
            live_1_behind: 1,
            live_l24_behind: 1,
            live_inactive: 1
          })
          assert.strictEqual(yield* core.hashRecordCount(), 54_321)

          // An hour later every site has slipped one live bucket or more.
          yield* TestClock.adjust("1 hour")
          const later = yield* core.dashboard()
          assert.deepStrictEqual(
            [later.live_current, later.live_1_behind, later.live_l24_behind, later.live_inactive],
            [0, 3, 2, 1]
          )
        }))

      it.effect("the dashboard reads sites in pages: more sites than one page are all counted", () =>
        Effect.gen(function*() {
          const core = yield* Core
          yield* TestClock.setTime(start + 10 * day)
          const before = yield* core.dashboard()
          const prefix = uniqueName("p").slice(-20)
          yield* Effect.forEach(
            Array.from({ length: 620 }, (_, i) => i),
            (i) => core.reportSite({ site_id: `${prefix}-${i}`, current_hash: "b4", record_count: 1 }),
            { concurrency: 8, discard: true }
          )
          const after = yield* core.dashboard()
          assert.strictEqual(after.sync_current - before.sync_current, 620)
          assert.strictEqual(after.hash_record_count - before.hash_record_count, 620)
          assert.strictEqual(after.live_current - before.live_current, 620)
        }))
    })
  })
