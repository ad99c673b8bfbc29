/**
 * The HashStore contract: the in-memory layer and every SQL backend give the same answers.
 * Each test works under paths and sessions of its own, so tests share the tables safely.
 */
import { assert, layer } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import type { LogQuery } from "../../src/schemas/HashLog.js"
import type { HashField } from "../../src/schemas/HashRecord.js"
import { listingBytes, maxListing, maxListingBytes, maxPathLength } from "../../src/schemas/HashRecord.js"
import { HashStore } from "../../src/services/HashStore.js"
import { uniqueName } from "../support/services.js"

const start = Date.UTC(2026, 0, 2, 3, 4, 5, 6)

export const suite = (name: string, dao: Layer.Layer<HashStore, unknown>) =>
  layer(dao, { timeout: 120_000 })(name, (it) => {
    /** A directory no other test writes under. */
    const root = () => `/${uniqueName("scan")}`
    const session = () => uniqueName("s").slice(-40)
    const under = (prefix: string) => (paths: ReadonlyArray<string>) =>
      paths.filter((p) => p === prefix || p.startsWith(`${prefix}/`)).sort()
    const collect = <A, E>(stream: Stream.Stream<A, E>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

    it.effect("putHash inserts a record stamped by the clock; getRecord reads it back", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        yield* TestClock.setTime(start)
        const path = `${root()}/documents`
        const written = yield* store.putHash({
          path,
          current_hash: "abc123def456",
          dirs: ["sub folder 1", "sub'folder;2"],
          files: ["document1.txt", "é.pdf"],
          links: ["shortcut1"],
          target_hash: "abc123def456",
          session_id: "scan_20240108_001"
        })
        assert.strictEqual(written.current_dtg_first.getTime(), start)
        assert.strictEqual(written.current_dtg_latest.getTime(), start)
        assert.isNull(written.prev_hash)
        assert.isFalse(written.needs_update)
        const read = Option.getOrThrow(yield* store.getRecord(path))
        assert.deepStrictEqual(read, written)
        assert.deepStrictEqual(read.dirs, ["sub folder 1", "sub'folder;2"])
        assert.deepStrictEqual(read.files, ["document1.txt", "é.pdf"])
        assert.strictEqual(read.session_id, "scan_20240108_001")
        assert.isTrue(Option.isNone(yield* store.getRecord(`${path}/missing`)))
      }))

    it.effect("the same hash moves only current_dtg_latest; a new one becomes current and the old one prev", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        yield* TestClock.setTime(start)
        const path = root()
        yield* store.putHash({ path, current_hash: "h1" })
        yield* TestClock.adjust("1 minute")
        const same = yield* store.putHash({ path, current_hash: "h1" })
        assert.strictEqual(same.current_dtg_first.getTime(), start)
        assert.strictEqual(same.current_dtg_latest.getTime(), start + 60_000)
        assert.isNull(same.prev_hash)
        assert.isNull(same.prev_dtg_latest)
        yield* TestClock.adjust("1 hour")
        const changed = yield* store.putHash({ path, current_hash: "h2" })
        assert.strictEqual(changed.current_hash, "h2")
        assert.strictEqual(changed.prev_hash, "h1")
        assert.strictEqual(changed.prev_dtg_latest?.getTime(), start + 60_000)
        assert.strictEqual(changed.current_dtg_first.getTime(), start + 3_660_000)
        assert.strictEqual(changed.current_dtg_latest.getTime(), start + 3_660_000)
        const read = Option.getOrThrow(yield* store.getRecord(path))
        assert.deepStrictEqual(
          [read.current_hash, read.prev_hash, read.prev_dtg_latest?.getTime(), read.current_dtg_first.getTime()],
          ["h2", "h1", start + 60_000, start + 3_660_000]
        )
      }))

    it.effect("listings, target and session are kept when left out; a null target clears it", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        const path = root()
        yield* store.putHash({
          path,
          current_hash: "h1",
          dirs: ["a"],
          files: ["f"],
          target_hash: "t1",
          session_id: "s1"
        })
        const kept = yield* store.putHash({ path, current_hash: "h2" })
        assert.deepStrictEqual([kept.dirs, kept.files, kept.links], [["a"], ["f"], []])
        assert.strictEqual(kept.target_hash, "t1")
        assert.strictEqual(kept.session_id, "s1")
        const replaced = yield* store.putHash({ path, current_hash: "h2", dirs: [], target_hash: null })
        assert.deepStrictEqual(replaced.dirs, [])
        assert.isNull(replaced.target_hash)
        assert.isFalse(replaced.needs_update)
      }))

    it.effect("priorityUpdates lists the paths whose target differs from the current hash, as it changes", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        const top = root()
        yield* store.putHash({ path: `${top}/b`, current_hash: "h1", target_hash: "h2" })
        yield* store.putHash({ path: `${top}/a`, current_hash: "h1", target_hash: "h2" })
        yield* store.putHash({ path: `${top}/c`, current_hash: "h1", target_hash: "h1" })
        yield* store.putHash({ path: `${top}/d`, current_hash: "h1" })
        assert.deepStrictEqual(under(top)(yield* store.priorityUpdates()), [`${top}/a`, `${top}/b`])
        // Reaching the target takes a path off the list; a new target puts one on.
        yield* store.putHash({ path: `${top}/a`, current_hash: "h2" })
        yield* store.putHash({ path: `${top}/d`, current_hash: "h1", target_hash: "h9" })
        const listed = yield* store.priorityUpdates()
        assert.deepStrictEqual(under(top)(listed), [`${top}/b`, `${top}/d`])
        assert.deepStrictEqual(listed.filter((p) => p.startsWith(`${top}/`)), [`${top}/b`, `${top}/d`])
      }))

    it.effect("getField reads one typed field; an unknown field is a ValidationError", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        yield* TestClock.setTime(start)
        const path = root()
        yield* store.putHash({ path, current_hash: "h1" })
        const hash: Option.Option<string> = yield* store.getField(path, "current_hash")
        assert.deepStrictEqual(hash, Option.some("h1"))
        const latest: Option.Option<Date> = yield* store.getField(path, "current_dtg_latest")
        assert.strictEqual(Option.getOrThrow(latest).getTime(), start)
        assert.isTrue(Option.isNone(yield* store.getField(path, "prev_hash")))
        assert.isTrue(Option.isNone(yield* store.getField(`${path}/none`, "current_hash")))
        for (const field of ["dirs", "current_hash; DROP TABLE hash_records", "path", ""]) {
          const error = yield* Effect.flip(store.getField(path, field as string as HashField))
          assert.strictEqual(error._tag, "ValidationError")
        }
      }))

    it.effect("bad paths and records are ValidationErrors and change nothing", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        const path = root()
        const stored = yield* store.putHash({ path, current_hash: "h1", dirs: ["a"] })
        const badPaths = [
          "relative/path",
          "",
          `${path}/a\u0000b`,
          `${path}/`,
          `${path}//x`,
          `${path}/../etc`,
          `${path}/./x`,
          `${path} `,
          `${path}/a\uD800b`,
          `/${"x".repeat(maxPathLength)}`
        ]
        for (const bad of badPaths) {
          assert.strictEqual(
            (yield* Effect.flip(store.putHash({ path: bad, current_hash: "h" })))._tag,
            "ValidationError"
          )
          assert.strictEqual((yield* Effect.flip(store.getRecord(bad)))._tag, "ValidationError")
          const refused = yield* Effect.flip(store.putHash({ path: bad, current_hash: "h" }))
          assert.strictEqual(refused._tag === "ValidationError" ? refused.field : "", "record")
        }
        const badRecords: ReadonlyArray<unknown> = [
          { path, current_hash: "h2'; DELETE FROM hash_records; --" },
          { path, current_hash: "" },
          { path },
          { path, current_hash: "h2", dirs: ["a/b"] },
          { path, current_hash: "h2", files: [".."] },
          // No record could ever have such a child's path, and the integrity checks could not look it up.
          { path, current_hash: "h2", dirs: ["x\uD800"] },
          { path, current_hash: "h2", links: ["\uDC00"] },
          // Its path would end in whitespace, which no record's may: `untrackedChildren` reported it for ever.
          { path, current_hash: "h2", dirs: ["a "] },
          { path, current_hash: "h2", files: ["\u00a0"] },
          { path, current_hash: "h2", session_id: "s 1 OR 1=1" },
          { path, current_hash: "h2", extra: 1 },
          "not a record",
          null
        ]
        for (const bad of badRecords) {
          assert.strictEqual((yield* Effect.flip(store.putHash(bad)))._tag, "ValidationError")
        }
        assert.deepStrictEqual(Option.getOrThrow(yield* store.getRecord(path)), stored)
      }))

    it.effect(
      "a record's listings are bounded together, as they are written whole, on every backend",
      () =>
        Effect.gen(function*() {
          const store = yield* HashStore
          const path = root()
          // 10,000 names of 253 CJK characters: about 7.6 MB as UTF-8, under the bound alone.
          const names = (tag: string) =>
            Array.from({ length: maxListing }, (_, i) => `${tag}${String(i).padStart(4, "0")}${"漢".repeat(248)}`)
          const dirs = names("d")
          assert.isBelow(listingBytes({ dirs, files: [], links: [] }), maxListingBytes)
          const stored = yield* store.putHash({ path, current_hash: "h1", dirs })
          assert.strictEqual(stored.dirs.length, maxListing)
          assert.strictEqual(stored.dirs[maxListing - 1], dirs[maxListing - 1])
          // Kept and given together they are over it: refused, and the record is as it was.
          const over = yield* Effect.flip(store.putHash({ path, current_hash: "h2", files: names("f") }))
          assert.strictEqual(over._tag, "ValidationError")
          assert.include(over._tag === "ValidationError" ? over.detail : "", `at most ${maxListingBytes}`)
          const after = Option.getOrThrow(yield* store.getRecord(path))
          assert.strictEqual(after.current_hash, "h1")
          assert.deepStrictEqual(after.files, [])
          assert.strictEqual(after.dirs.length, maxListing)
        }),
      { timeout: 120_000 }
    )

    it.effect("SQL fragments in paths and messages are stored as values", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        const path = `${root()}/x'); DROP TABLE hash_records; --`
        yield* store.putHash({ path, current_hash: "h1" })
        assert.strictEqual(Option.getOrThrow(yield* store.getRecord(path)).path, path)
        const sessionId = session()
        const summary = "'; DELETE FROM hash_logs WHERE '1'='1"
        yield* store.putLog({ summary_message: summary, session_id: sessionId })
        const [log] = yield* store.getLogs({ sessionId })
        assert.strictEqual(log?.summary_message, summary)
      }))

    it.effect("concurrent first puts of one path both succeed: one inserts, the other updates", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        const path = root()
        const [a, b] = yield* Effect.all([
          store.putHash({ path, current_hash: "ha" }),
          store.putHash({ path, current_hash: "hb" })
        ], { concurrency: 2 })
        assert.sameMembers([a.current_hash, b.current_hash], ["ha", "hb"])
        const read = Option.getOrThrow(yield* store.getRecord(path))
        const other = read.current_hash === "ha" ? "hb" : "ha"
        assert.include(["ha", "hb"], read.current_hash)
        assert.strictEqual(read.prev_hash, other)
      }))

    it.effect("many concurrent puts of one new path all succeed and leave one consistent record", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        const path = root()
        const hashes = ["h0", "h1", "h2", "h3", "h4", "h5"]
        const written = yield* Effect.forEach(hashes, (current_hash) => store.putHash({ path, current_hash }), {
          concurrency: "unbounded"
        })
        assert.sameMembers(written.map((r) => r.current_hash), hashes)
        const read = Option.getOrThrow(yield* store.getRecord(path))
        assert.include(hashes, read.current_hash)
        assert.include(hashes, read.prev_hash)
        assert.notStrictEqual(read.prev_hash, read.current_hash)
      }))

    it.effect("concurrent puts of new hashes on one existing path form one chain: no put loses another's", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        const path = root()
        yield* store.putHash({ path, current_hash: "base" })
        const hashes = Array.from({ length: 16 }, (_, i) => `h${String(i).padStart(2, "0")}`)
        const written = yield* Effect.forEach(hashes, (current_hash) => store.putHash({ path, current_hash }), {
          concurrency: "unbounded"
        })
        assert.deepStrictEqual(written.map((r) => r.current_hash), hashes)
        // Each put saw the one before it: no two saw the same predecessor, and following the
        // predecessors from "base" visits every put once, ending at the record as it stands.
        const after = new Map(written.map((r) => [r.prev_hash, r.current_hash]))
        assert.strictEqual(after.size, hashes.length, "two puts replaced the same hash")
        const chain: Array<string> = []
        for (let at = after.get("base"); at !== undefined; at = after.get(at)) chain.push(at)
        assert.sameMembers(chain, hashes)
        const read = Option.getOrThrow(yield* store.getRecord(path))
        assert.strictEqual(read.current_hash, chain.at(-1))
        assert.strictEqual(read.prev_hash, chain.at(-2))
        assert.include(hashes, read.prev_hash)
        assert.notStrictEqual(read.prev_hash, read.current_hash)
      }))

    it.effect("putLog stores a validated entry stamped by the clock and returns its id", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        yield* TestClock.setTime(start)
        const sessionId = session()
        const id = yield* store.putLog({
          summary_message: "  Hash update completed ",
          detailed_message: "Updated 5 directories",
          log_level: "WARNING",
          site_id: "site001",
          session_id: sessionId
        })
        const defaulted = yield* store.putLog({ summary_message: "second", session_id: sessionId })
        assert.notStrictEqual(id, defaulted)
        const logs = yield* store.getLogs({ sessionId, orderBy: "log_level", direction: "desc" })
        assert.deepStrictEqual(
          logs.map((l) => [l.log_id, l.log_level, l.summary_message, l.site_id, l.logged_at.getTime()]),
          [[id, "WARNING", "Hash update completed", "site001", start], [defaulted, "INFO", "second", null, start]]
        )
        assert.strictEqual(logs[0]?.detailed_message, "Updated 5 directories")
        assert.isNull(logs[1]?.detailed_message)
      }))

    it.effect("logs of one instant come back in the order they were written", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        yield* TestClock.setTime(start)
        const sessionId = session()
        const written: Array<string> = []
        for (let i = 0; i < 12; i++) {
          written.push(yield* store.putLog({ summary_message: `step ${i}`, session_id: sessionId }))
        }
        const oldestFirst = yield* store.getLogs({ sessionId, orderBy: "logged_at", direction: "asc" })
        assert.deepStrictEqual(oldestFirst.map((l) => l.log_id), written)
        assert.deepStrictEqual(oldestFirst.map((l) => l.summary_message), written.map((_, i) => `step ${i}`))
      }))

    it.effect("bad log entries are ValidationErrors and store nothing", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        const sessionId = session()
        const bad: ReadonlyArray<unknown> = [
          { session_id: sessionId },
          { summary_message: "   ", session_id: sessionId },
          { summary_message: "x", log_level: "FATAL", session_id: sessionId },
          { summary_message: "x", log_level: "info", session_id: sessionId },
          { summary_message: "x".repeat(1_001), session_id: sessionId },
          { summary_message: "x", session_id: `${sessionId}' OR '1'='1` },
          { summary_message: "x", session_id: sessionId, timestamp: 1 }
        ]
        for (const entry of bad) {
          const error = yield* Effect.flip(store.putLog(entry))
          assert.strictEqual(error._tag, "ValidationError")
        }
        assert.deepStrictEqual(yield* store.getLogs({ sessionId }), [])
      }))

    it.effect("getLogs pages, sorts and filters by session and age from the clock", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        yield* TestClock.setTime(start)
        const sessionId = session()
        const ids: Array<string> = []
        for (let day = 0; day < 7; day++) {
          ids.push(yield* store.putLog({ summary_message: `day ${day}`, session_id: sessionId }))
          yield* TestClock.adjust("1 day")
        }
        yield* store.putLog({ summary_message: "elsewhere", session_id: session() })
        // Now: start + 7 days. Newest first by default.
        const all = yield* store.getLogs({ sessionId })
        assert.deepStrictEqual(all.map((l) => l.log_id), [...ids].reverse())
        const ascending = yield* store.getLogs({ sessionId, orderBy: "logged_at", direction: "ASC", limit: 3 })
        assert.deepStrictEqual(ascending.map((l) => l.summary_message), ["day 0", "day 1", "day 2"])
        const aligned = yield* store.getLogs({ sessionId, direction: "asc", limit: 3, offset: 3 })
        assert.deepStrictEqual(aligned.map((l) => l.summary_message), ["day 3", "day 4", "day 5"])
        const unaligned = yield* store.getLogs({ sessionId, direction: "asc", limit: 3, offset: 2 })
        assert.deepStrictEqual(unaligned.map((l) => l.summary_message), ["day 2", "day 3", "day 4"])
        const tail = yield* store.getLogs({ sessionId, direction: "asc", limit: 4, offset: 5 })
        assert.deepStrictEqual(tail.map((l) => l.summary_message), ["day 5", "day 6"])
        const beyond = yield* store.getLogs({ sessionId, limit: 5, offset: 50 })
        assert.deepStrictEqual(beyond, [])
        // Older than 5 days: written before start + 2 days.
        const old = yield* store.getLogs({ sessionId, olderThanDays: 5, direction: "asc" })
        assert.deepStrictEqual(old.map((l) => l.summary_message), ["day 0", "day 1"])
        yield* TestClock.adjust("1 day")
        const older = yield* store.getLogs({ sessionId, olderThanDays: 5, direction: "asc" })
        assert.deepStrictEqual(older.map((l) => l.summary_message), ["day 0", "day 1", "day 2"])
      }))

    it.effect("a sort key the policy does not allow is AccessDenied; bad windows are ValidationErrors", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        const sessionId = session()
        yield* store.putLog({ summary_message: "kept", session_id: sessionId })
        for (const orderBy of ["summary_message", "detailed_message", "logged_at; DROP TABLE hash_logs", "nope"]) {
          const error = yield* Effect.flip(store.getLogs({ sessionId, orderBy }))
          assert.strictEqual(error._tag, "AccessDenied")
          assert.strictEqual(error._tag === "AccessDenied" ? error.reason : "", "SortNotAllowed")
        }
        const badQueries: ReadonlyArray<Record<string, unknown>> = [
          { limit: 0 },
          { limit: 1_001 },
          { offset: -1 },
          { direction: "sideways" },
          { olderThanDays: -1 },
          { sessionId: "x' OR '1'='1" }
        ]
        for (const query of badQueries) {
          const error = yield* Effect.flip(store.getLogs({ sessionId, ...query } as unknown as LogQuery))
          assert.strictEqual(error._tag, "ValidationError")
        }
        assert.strictEqual((yield* store.getLogs({ sessionId })).length, 1)
      }))

    it.effect("deleteLogs deletes the given entries and reports the ids it did not find", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        const sessionId = session()
        const [a, b, c] = yield* Effect.forEach(
          ["a", "b", "c"],
          (summary_message) => store.putLog({ summary_message, session_id: sessionId })
        )
        const missing = crypto.randomUUID()
        const result = yield* store.deleteLogs([a!, b!, a!, missing])
        assert.strictEqual(result.deleted, 2)
        assert.deepStrictEqual(result.notFound, [missing])
        assert.deepStrictEqual((yield* store.getLogs({ sessionId })).map((l) => l.log_id), [c])
        assert.deepStrictEqual(yield* store.deleteLogs([]), { deleted: 0, notFound: [] })
        for (const ids of [["1 OR 1=1"], [`${c}' OR '1'='1`], Array.from({ length: 1_001 }, () => missing)]) {
          assert.strictEqual((yield* Effect.flip(store.deleteLogs(ids)))._tag, "ValidationError")
        }
        assert.deepStrictEqual((yield* store.getLogs({ sessionId })).map((l) => l.log_id), [c])
      }))

    it.effect("orphans are records their parent's record does not list; roots are not orphans", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        const top = root()
        yield* store.putHash({ path: top, current_hash: "h", dirs: ["a", "b"], files: ["f"], links: ["l"] })
        for (const child of ["a", "b", "f", "l", "gone"]) {
          yield* store.putHash({ path: `${top}/${child}`, current_hash: "h", dirs: child === "a" ? ["deep"] : [] })
        }
        yield* store.putHash({ path: `${top}/a/deep`, current_hash: "h" })
        yield* store.putHash({ path: `${top}/a/stray`, current_hash: "h" })
        // Its parent has no record: a root of its own.
        yield* store.putHash({ path: `${top}/unscanned/x`, current_hash: "h" })
        assert.deepStrictEqual(under(top)(yield* collect(store.orphans())), [`${top}/a/stray`, `${top}/gone`])
        // Listing it makes it no orphan.
        yield* store.putHash({ path: top, current_hash: "h", dirs: ["a", "b", "gone"], files: [], links: [] })
        assert.deepStrictEqual(under(top)(yield* collect(store.orphans())), [`${top}/a/stray`, `${top}/f`, `${top}/l`])
      }))

    it.effect("untrackedChildren are listed subdirectories without a record, across many pages", () =>
      Effect.gen(function*() {
        const store = yield* HashStore
        const top = root()
        const names = Array.from({ length: 300 }, (_, i) => `d${String(i).padStart(3, "0")}`)
        yield* store.putHash({ path: top, current_hash: "h", dirs: names, files: ["not-a-dir.txt"] })
        const tracked = names.filter((_, i) => i % 60 !== 7)
        yield* Effect.forEach(tracked, (n) => store.putHash({ path: `${top}/${n}`, current_hash: "h" }), {
          concurrency: 8,
          discard: true
        })
        yield* store.putHash({ path: `${top}/d000`, current_hash: "h", dirs: ["inner", "d000"] })
        yield* store.putHash({ path: `${top}/d000/d000`, current_hash: "h" })
        assert.deepStrictEqual(
          under(top)(yield* collect(store.untrackedChildren())),
          [`${top}/d000/inner`, ...["d007", "d067", "d127", "d187", "d247"].map((n) => `${top}/${n}`)]
        )
        assert.deepStrictEqual(under(top)(yield* collect(store.orphans())), [])
      }))
  })
