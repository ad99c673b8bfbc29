/**
 * The Pipeline contract (the hash store's pipeline tier): the update queue, official sites and
 * their completions, the same on every backend. Tests work under paths and sites of their own;
 * the tests that read whole tables (paging the queue, the full site list) get a layer (fresh
 * tables) of their own.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import { maxPathLength } from "../../src/schemas/HashRecord.js"
import type { CompletionsQuery } from "../../src/schemas/PipelineSite.js"
import type { PipelineUpdate, UpdatesRequest } from "../../src/schemas/PipelineUpdate.js"
import type { CursorPage } from "../../src/schemas/Query.js"
import type { PipelineService } from "../../src/services/Pipeline.js"
import { Pipeline } from "../../src/services/Pipeline.js"
import { uniqueName } from "../support/services.js"

const start = Date.UTC(2026, 3, 1, 6, 0, 0, 0)
const minute = 60_000

/** Every pending update, page by page (bounded: no test queues more than a few thousand). */
const allPending = (pipeline: PipelineService) =>
  Effect.gen(function*() {
    const items: Array<PipelineUpdate> = []
    let after: string | undefined
    for (let page = 0; page < 20; page++) {
      const next = yield* pipeline.pendingUpdates({ limit: 1_000, ...(after !== undefined ? { after } : {}) })
      items.push(...next.items)
      if (next.nextCursor === null) return items
      after = next.nextCursor
    }
    return assert.fail("more pending updates than any test queues")
  })

const tagOf = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (error) => error._tag)

export const suite = (name: string, dao: () => Layer.Layer<Pipeline, unknown>) =>
  describe(name, () => {
    /** A directory no other test queues under. */
    const root = () => `/${uniqueName("pipe")}`
    const site = () => uniqueName("site").slice(-40)
    const under = (prefix: string) => (updates: ReadonlyArray<PipelineUpdate>) =>
      updates.map((u) => u.update_path).filter((p) => p === prefix || p.startsWith(`${prefix}/`))

    layer(dao(), { timeout: 120_000 })("updates", (it) => {
      it.effect("requestUpdate queues a path stamped by the clock; a pending path keeps its place", () =>
        Effect.gen(function*() {
          const pipeline = yield* Pipeline
          yield* TestClock.setTime(start)
          const path = `${root()}/documents`
          const queued = yield* pipeline.requestUpdate(path)
          assert.deepStrictEqual(queued, {
            update_path: path,
            requested_at: new Date(start),
            hash_value: null,
            hashed_at: null,
            pending: true
          })
          yield* TestClock.adjust("1 minute")
          const again = yield* pipeline.requestUpdate(path)
          assert.deepStrictEqual(again, queued)
          const pending = (yield* allPending(pipeline)).filter((u) => u.update_path === path)
          assert.deepStrictEqual(pending, [queued])
        }))

      it.effect("putHash records the hash and its time and takes the update off the pending list", () =>
        Effect.gen(function*() {
          const pipeline = yield* Pipeline
          yield* TestClock.setTime(start)
          const top = root()
          const path = `${top}/a`
          yield* pipeline.requestUpdate(path)
          yield* pipeline.requestUpdate(`${top}/b`)
          yield* TestClock.adjust("1 minute")
          const hashed = yield* pipeline.putHash(path, "abc123def456")
          assert.deepStrictEqual(
            [hashed.hash_value, hashed.hashed_at?.getTime(), hashed.pending, hashed.requested_at.getTime()],
            ["abc123def456", start + minute, false, start]
          )
          assert.deepStrictEqual(under(top)(yield* allPending(pipeline)), [`${top}/b`])

          // The same hash for an answered update changes nothing, not even its time.
          yield* TestClock.adjust("1 minute")
          assert.deepStrictEqual(yield* pipeline.putHash(path, "abc123def456"), hashed)
          // Another hash replaces it.
          yield* TestClock.adjust("1 minute")
          const changed = yield* pipeline.putHash(path, "sha256:ff00")
          assert.deepStrictEqual(
            [changed.hash_value, changed.hashed_at?.getTime(), changed.pending],
            ["sha256:ff00", start + 3 * minute, false]
          )
        }))

      it.effect("a hashed path asked for again is pending with its last hash until the next one", () =>
        Effect.gen(function*() {
          const pipeline = yield* Pipeline
          yield* TestClock.setTime(start)
          const path = root()
          yield* pipeline.requestUpdate(path)
          yield* TestClock.adjust("1 minute")
          yield* pipeline.putHash(path, "h1")
          yield* TestClock.adjust("1 minute")
          const requeued = yield* pipeline.requestUpdate(path)
          assert.deepStrictEqual(
            [requeued.pending, requeued.requested_at.getTime(), requeued.hash_value, requeued.hashed_at?.getTime()],
            [true, start + 2 * minute, "h1", start + minute]
          )
          assert.deepStrictEqual(under(path)(yield* allPending(pipeline)), [path])
          // A pending update is answered even by an unchanged hash.
          yield* TestClock.adjust("1 minute")
          const answered = yield* pipeline.putHash(path, "h1")
          assert.deepStrictEqual([answered.pending, answered.hashed_at?.getTime()], [false, start + 3 * minute])
          assert.deepStrictEqual(under(path)(yield* allPending(pipeline)), [])
        }))

      it.effect("putHash for a path never requested is NotFound and queues nothing", () =>
        Effect.gen(function*() {
          const pipeline = yield* Pipeline
          const path = root()
          const error = yield* Effect.flip(pipeline.putHash(path, "h1"))
          assert.strictEqual(error._tag, "NotFound")
          assert.deepStrictEqual(error._tag === "NotFound" ? error.id : "", path)
          assert.deepStrictEqual(under(path)(yield* allPending(pipeline)), [])
          // Nothing was stored: a request now finds no hash.
          assert.isNull((yield* pipeline.requestUpdate(path)).hash_value)
        }))

      it.effect("bad paths, hashes and page requests are ValidationErrors and write nothing", () =>
        Effect.gen(function*() {
          const pipeline = yield* Pipeline
          const top = root()
          const queued = yield* pipeline.requestUpdate(top)
          const badPaths: ReadonlyArray<unknown> = [
            "",
            "relative/path",
            `${top}/a\u0000b`,
            `${top}/`,
            `${top}//x`,
            `${top}/../etc`,
            `${top}/./x`,
            `${top} `,
            `${top}/a\uD800b`,
            `/${"x".repeat(maxPathLength)}`,
            42,
            null
          ]
          for (const bad of badPaths) {
            const refused = yield* Effect.flip(pipeline.requestUpdate(bad as string))
            assert.strictEqual(refused._tag === "ValidationError" ? refused.field : refused._tag, "path")
            assert.strictEqual(yield* tagOf(pipeline.putHash(bad as string, "h1")), "ValidationError")
          }
          const badHashes: ReadonlyArray<unknown> = [
            "",
            "h; DROP TABLE pipeline_updates",
            "a b",
            "x".repeat(129),
            42,
            null
          ]
          for (const bad of badHashes) {
            assert.strictEqual(yield* tagOf(pipeline.putHash(top, bad as string)), "ValidationError")
          }
          const badRequests: ReadonlyArray<unknown> = [
            { limit: 0 },
            { limit: 1_001 },
            { limit: 1.5 },
            { limit: "many" },
            { after: 5 },
            { extra: true },
            "all"
          ]
          for (const bad of badRequests) {
            assert.strictEqual(yield* tagOf(pipeline.pendingUpdates(bad as UpdatesRequest)), "ValidationError")
          }
          const pending = yield* allPending(pipeline)
          assert.deepStrictEqual(pending.filter((u) => u.update_path.startsWith(top)), [queued])
        }))

      it.effect("SQL fragments in paths are stored as values", () =>
        Effect.gen(function*() {
          const pipeline = yield* Pipeline
          const path = `${root()}/x'); DROP TABLE pipeline_updates; --`
          yield* pipeline.requestUpdate(path)
          assert.deepStrictEqual(under(path)(yield* allPending(pipeline)), [path])
          assert.strictEqual((yield* pipeline.putHash(path, "h1")).update_path, path)
        }))

      it.effect("concurrent first requests of one path both succeed and leave one pending update", () =>
        Effect.gen(function*() {
          const pipeline = yield* Pipeline
          yield* TestClock.setTime(start)
          const path = root()
          const requests = yield* Effect.all(
            Array.from({ length: 4 }, () => pipeline.requestUpdate(path)),
            { concurrency: "unbounded" }
          )
          for (const request of requests) assert.deepStrictEqual([request.pending, request.hash_value], [true, null])
          assert.deepStrictEqual(under(path)(yield* allPending(pipeline)), [path])
        }))
    })

    layer(dao(), { timeout: 120_000 })("sites", (it) => {
      it.effect("putOfficialSite registers a site stamped by the clock; a known one keeps its time", () =>
        Effect.gen(function*() {
          const pipeline = yield* Pipeline
          yield* TestClock.setTime(start)
          const prefix = site().slice(-20)
          const [b, a] = [`${prefix}-b`, `${prefix}-a`]
          const registered = yield* pipeline.putOfficialSite(b)
          assert.deepStrictEqual(registered, { site_id: b, registered_at: new Date(start) })
          yield* TestClock.adjust("1 hour")
          yield* pipeline.putOfficialSite(a)
          assert.deepStrictEqual(yield* pipeline.putOfficialSite(b), registered)
          const listed = (yield* pipeline.officialSites()).filter((s) => s.site_id.startsWith(prefix))
          assert.deepStrictEqual(listed, [{ site_id: a, registered_at: new Date(start + 60 * minute) }, registered])
        }))

      it.effect("putSiteCompletion records a completion at the clock's time, once per instant; newest first", () =>
        Effect.gen(function*() {
          const pipeline = yield* Pipeline
          yield* TestClock.setTime(start)
          const id = site()
          yield* pipeline.putOfficialSite(id)
          yield* TestClock.adjust("1 hour")
          const first = yield* pipeline.putSiteCompletion(id)
          assert.deepStrictEqual([first.site_id, first.completed_at.getTime()], [id, start + 60 * minute])
          assert.deepStrictEqual(yield* pipeline.putSiteCompletion(id), first)
          assert.deepStrictEqual(yield* pipeline.siteCompletions(id), [first])
          yield* TestClock.adjust("1 minute")
          const second = yield* pipeline.putSiteCompletion(id)
          assert.notStrictEqual(second.completion_id, first.completion_id)
          assert.strictEqual(second.completed_at.getTime(), start + 61 * minute)
          assert.deepStrictEqual(yield* pipeline.siteCompletions(id), [second, first])
          assert.deepStrictEqual(yield* pipeline.siteCompletions(id, { limit: 1 }), [second])
        }))

      it.effect("concurrent completions of one site at one instant record one", () =>
        Effect.gen(function*() {
          const pipeline = yield* Pipeline
          yield* TestClock.setTime(start)
          const id = site()
          yield* Effect.all([pipeline.putOfficialSite(id), pipeline.putOfficialSite(id)], { concurrency: 2 })
          const done = yield* Effect.all(
            Array.from({ length: 4 }, () => pipeline.putSiteCompletion(id)),
            { concurrency: "unbounded" }
          )
          assert.strictEqual(new Set(done.map((c) => c.completion_id)).size, 1)
          assert.strictEqual((yield* pipeline.siteCompletions(id)).length, 1)
          assert.strictEqual((yield* pipeline.officialSites()).filter((s) => s.site_id === id).length, 1)
        }))

      it.effect("completing a site that is not official is NotFound and records nothing", () =>
        Effect.gen(function*() {
          const pipeline = yield* Pipeline
          const id = site()
          const error = yield* Effect.flip(pipeline.putSiteCompletion(id))
          assert.strictEqual(error._tag, "NotFound")
          assert.deepStrictEqual(yield* pipeline.siteCompletions(id), [])
          yield* pipeline.putOfficialSite(id)
          assert.strictEqual((yield* pipeline.putSiteCompletion(id)).site_id, id)
          // Completions are per site.
          const other = site()
          yield* pipeline.putOfficialSite(other)
          assert.deepStrictEqual(yield* pipeline.siteCompletions(other), [])
        }))

      it.effect("bad site ids and completion queries are ValidationErrors and register nothing", () =>
        Effect.gen(function*() {
          const pipeline = yield* Pipeline
          const id = site()
          yield* pipeline.putOfficialSite(id)
          const badSites: ReadonlyArray<unknown> = [
            "",
            "a b",
            "a/b",
            `${id}' OR '1'='1`,
            "x".repeat(65),
            42,
            null
          ]
          for (const bad of badSites) {
            assert.strictEqual(yield* tagOf(pipeline.putOfficialSite(bad as string)), "ValidationError")
            assert.strictEqual(yield* tagOf(pipeline.putSiteCompletion(bad as string)), "ValidationError")
            assert.strictEqual(yield* tagOf(pipeline.siteCompletions(bad as string)), "ValidationError")
          }
          const badQueries: ReadonlyArray<unknown> = [{ limit: 0 }, { limit: 1_001 }, { limit: "x" }, { by: "id" }]
          for (const bad of badQueries) {
            assert.strictEqual(
              yield* tagOf(pipeline.siteCompletions(id, bad as CompletionsQuery)),
              "ValidationError"
            )
          }
          const listed = (yield* pipeline.officialSites()).map((s) => s.site_id)
          assert.include(listed, id)
          for (const bad of badSites) assert.notInclude(listed, bad)
          assert.deepStrictEqual(yield* pipeline.siteCompletions(id), [])
        }))
    })

    layer(dao(), { timeout: 120_000 })("long paths", (it) => {
      it.effect("a cursor after the longest path, however it escapes, is taken back", () =>
        Effect.gen(function*() {
          const pipeline = yield* Pipeline
          const top = root()
          // Control characters are six characters each in the cursor's JSON: about 4,300 in all.
          const long = (last: string) => `${top}/${"\u0001".repeat(maxPathLength - top.length - 2)}${last}`
          yield* TestClock.setTime(start)
          yield* pipeline.requestUpdate(long("a"))
          yield* pipeline.requestUpdate(long("b"))
          const first = yield* pipeline.pendingUpdates({ limit: 1 })
          assert.deepStrictEqual(first.items.map((u) => u.update_path), [long("a")])
          assert.isAbove(first.nextCursor?.length ?? 0, 4_096)
          const second = yield* pipeline.pendingUpdates({ limit: 1, after: first.nextCursor ?? "" })
          assert.deepStrictEqual(second.items.map((u) => u.update_path), [long("b")])
        }))
    })

    layer(dao(), { timeout: 120_000 })("whole tables", (it) => {
      it.effect("pendingUpdates pages oldest request first, then by path; answered updates drop out without a shift", () =>
        Effect.gen(function*() {
          const pipeline = yield* Pipeline
          assert.deepStrictEqual(yield* pipeline.pendingUpdates(), { items: [], nextCursor: null })
          const top = root()
          // 250 updates in groups of five requested at one instant, each group in reverse path order.
          const queued: Array<{ readonly path: string; readonly at: number }> = []
          for (let group = 0; group < 50; group++) {
            const at = start + group * 1_000
            yield* TestClock.setTime(at)
            const paths = Array.from({ length: 5 }, (_, i) => `${top}/g${group}-${4 - i}`)
            yield* Effect.forEach(paths, (path) => pipeline.requestUpdate(path), { concurrency: 5, discard: true })
            queued.push(...paths.map((path) => ({ path, at })))
          }
          const expected = [...queued].sort((x, y) => x.at - y.at || (x.path < y.path ? -1 : 1)).map((q) => q.path)

          const pathsOf = (page: CursorPage<PipelineUpdate>) => page.items.map((u) => u.update_path)

          const first = yield* pipeline.pendingUpdates()
          assert.deepStrictEqual(pathsOf(first), expected.slice(0, 100))
          assert.isNotNull(first.nextCursor)
          // Answered ones on this page and at the head of the next do not make the next page skip any.
          const answered = [...expected.slice(0, 5), ...expected.slice(100, 110)]
          yield* Effect.forEach(answered, (path) => pipeline.putHash(path, "h1"), { discard: true })
          const second = yield* pipeline.pendingUpdates({ limit: 100, after: first.nextCursor ?? "" })
          assert.deepStrictEqual(pathsOf(second), expected.slice(110, 210))
          // Asked for again, an answered update goes to the end of the queue.
          yield* TestClock.setTime(start + 3_600_000)
          yield* pipeline.requestUpdate(expected[0]!)
          const third = yield* pipeline.pendingUpdates({ limit: "100", after: second.nextCursor ?? "" })
          assert.deepStrictEqual(pathsOf(third), [...expected.slice(210), expected[0]])
          assert.isNull(third.nextCursor)

          const tampered = `${(second.nextCursor ?? "").slice(0, -4)}AAAA`
          assert.strictEqual(yield* tagOf(pipeline.pendingUpdates({ after: tampered })), "ValidationError")
          assert.strictEqual((yield* allPending(pipeline)).length, 250 - 15 + 1)
        }))

      it.effect("officialSites reads every site, in site-id order, across pages", () =>
        Effect.gen(function*() {
          const pipeline = yield* Pipeline
          assert.deepStrictEqual(yield* pipeline.officialSites(), [])
          yield* TestClock.setTime(start)
          const prefix = site().slice(-20)
          const ids = Array.from({ length: 620 }, (_, i) => `${prefix}-${i}`)
          yield* Effect.forEach(ids, (id) => pipeline.putOfficialSite(id), { concurrency: 8, discard: true })
          const listed = yield* pipeline.officialSites()
          assert.deepStrictEqual(listed.map((s) => s.site_id), [...ids].sort())
          assert.isTrue(listed.every((s) => s.registered_at.getTime() === start))
        }))
    })
  })
