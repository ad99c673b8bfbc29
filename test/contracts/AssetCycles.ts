/**
 * The AssetCycles contract: the in-memory layer and every SQL backend give the same answers.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { AssetCycles } from "../../src/services/AssetCycles.js"
import { uniqueName } from "../support/services.js"

export const suite = (name: string, dao: Layer.Layer<AssetCycles, unknown>) =>
  layer(dao, { timeout: 120_000 })(name, (it) => {
    const site = () => uniqueName("site")

    it.effect("insert starts an in-progress cycle with the clock's time", () =>
      Effect.gen(function*() {
        const cycles = yield* AssetCycles
        yield* TestClock.setTime(Date.UTC(2026, 0, 2, 3, 4, 5, 6))
        const cycle = yield* cycles.insert({ asset_guid: "truck-123", site_guid: site(), current_work_state_id: 3 })
        assert.strictEqual(cycle.cycle_status, "INPROGRESS")
        assert.strictEqual(cycle.created_date.toISOString(), "2026-01-02T03:04:05.006Z")
        const read = yield* cycles.findById(cycle.cycle_id)
        assert.deepStrictEqual(
          Option.map(read, (c) => [c.asset_guid, c.current_work_state_id, c.created_date.getTime()]),
          Option.some(["truck-123", 3, cycle.created_date.getTime()])
        )
      }))

    it.effect("bad input is a ValidationError and stores nothing", () =>
      Effect.gen(function*() {
        const cycles = yield* AssetCycles
        const where = site()
        for (
          const input of [
            { asset_guid: "truck 1; DROP TABLE asset_cycles", site_guid: where, current_work_state_id: 1 },
            { asset_guid: "t", site_guid: where, current_work_state_id: -1 },
            { asset_guid: "t", site_guid: where },
            "not an object"
          ]
        ) {
          const error = yield* Effect.flip(cycles.insert(input))
          assert.strictEqual(error._tag, "ValidationError")
        }
        const page = yield* cycles.inProgress({ page: 1, perPage: 10 }, where)
        assert.strictEqual(page.total, 0)
      }))

    it.effect("advance moves the work state; a missing cycle is NotFound, a completed one refused", () =>
      Effect.gen(function*() {
        const cycles = yield* AssetCycles
        const cycle = yield* cycles.insert({ asset_guid: "loader-7", site_guid: site(), current_work_state_id: 1 })
        yield* TestClock.adjust("1 minute")
        const moved = yield* cycles.advance(cycle.cycle_id, 4)
        assert.strictEqual(moved.current_work_state_id, 4)
        assert.strictEqual(moved.updated_date.getTime() - cycle.updated_date.getTime(), 60_000)
        const missing = yield* Effect.flip(cycles.advance("no-such-cycle", 2))
        assert.strictEqual(missing._tag, "NotFound")
        // A completed cycle keeps the work state its final copy holds.
        yield* cycles.complete(cycle.cycle_id)
        const late = yield* Effect.flip(cycles.advance(cycle.cycle_id, 9))
        assert.strictEqual(late._tag, "ValidationError")
        const kept = yield* cycles.findById(cycle.cycle_id)
        assert.strictEqual(Option.getOrThrow(kept).current_work_state_id, 4)
      }))

    it.effect("complete marks the cycle and copies it to the final table once", () =>
      Effect.gen(function*() {
        const cycles = yield* AssetCycles
        const asset = uniqueName("truck")
        const where = site()
        const first = yield* cycles.insert({ asset_guid: asset, site_guid: where, current_work_state_id: 1 })
        yield* TestClock.adjust("1 second")
        const second = yield* cycles.insert({ asset_guid: asset, site_guid: where, current_work_state_id: 1 })
        const done = yield* cycles.complete(first.cycle_id)
        assert.strictEqual(done.cycle_status, "COMPLETE")
        const again = yield* cycles.complete(first.cycle_id)
        assert.strictEqual(again.cycle_status, "COMPLETE")
        yield* cycles.complete(second.cycle_id)
        const finals = yield* cycles.completedFor(asset)
        assert.deepStrictEqual(finals.map((c) => c.cycle_id), [first.cycle_id, second.cycle_id])
        assert.isTrue(finals.every((c) => c.cycle_status === "COMPLETE"))
        const missing = yield* Effect.either(cycles.complete("no-such-cycle"))
        assert.isTrue(Either.isLeft(missing) && missing.left._tag === "NotFound")
      }))

    it.effect("concurrent completes of one cycle all answer COMPLETE and copy it once", () =>
      Effect.gen(function*() {
        const cycles = yield* AssetCycles
        const asset = uniqueName("truck")
        const cycle = yield* cycles.insert({ asset_guid: asset, site_guid: site(), current_work_state_id: 1 })
        const done = yield* Effect.forEach(Array.from({ length: 8 }), () => cycles.complete(cycle.cycle_id), {
          concurrency: "unbounded"
        })
        assert.isTrue(done.every((c) => c.cycle_status === "COMPLETE"))
        const finals = yield* cycles.completedFor(asset)
        assert.deepStrictEqual(finals.map((c) => c.cycle_id), [cycle.cycle_id])
      }))

    it.effect("inProgress pages a site's open cycles, newest first", () =>
      Effect.gen(function*() {
        const cycles = yield* AssetCycles
        const where = site()
        const made = []
        for (let i = 0; i < 5; i++) {
          yield* TestClock.adjust("1 second")
          made.push(yield* cycles.insert({ asset_guid: `asset-${i}`, site_guid: where, current_work_state_id: i }))
        }
        yield* cycles.complete(made[2]!.cycle_id)
        const first = yield* cycles.inProgress({ page: 1, perPage: 3 }, where)
        const second = yield* cycles.inProgress({ page: "2", perPage: "3" }, where)
        assert.strictEqual(first.total, 4)
        assert.strictEqual(first.pages, 2)
        assert.deepStrictEqual(
          [...first.items, ...second.items].map((c) => c.asset_guid),
          ["asset-4", "asset-3", "asset-1", "asset-0"]
        )
      }))

    it.effect("a site or asset guid that no insert takes is a ValidationError, not another's cycles", () =>
      Effect.gen(function*() {
        const cycles = yield* AssetCycles
        const where = site()
        const asset = uniqueName("asset")
        const cycle = yield* cycles.insert({ asset_guid: asset, site_guid: where, current_work_state_id: 1 })
        yield* cycles.complete(cycle.cycle_id)
        yield* cycles.insert({ asset_guid: asset, site_guid: where, current_work_state_id: 2 })
        // MariaDB's PAD SPACE collation matched `site ` with `site`; PostgreSQL and memory found nothing.
        for (const guid of [`${where} `, "", "a b"]) {
          const page = yield* Effect.flip(cycles.inProgress({ page: 1, perPage: 10 }, guid))
          assert.strictEqual(page._tag, "ValidationError")
          assert.strictEqual(page._tag === "ValidationError" && page.field, "siteGuid")
        }
        const finals = yield* Effect.flip(cycles.completedFor(`${asset} `))
        assert.strictEqual(finals._tag === "ValidationError" && finals.field, "assetGuid")
        assert.strictEqual((yield* cycles.inProgress({ page: 1, perPage: 10 }, where)).total, 1)
        assert.strictEqual((yield* cycles.completedFor(asset)).length, 1)
      }))
  })
