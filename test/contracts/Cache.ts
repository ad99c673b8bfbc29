/**
 * The Cache contract: every Cache layer must pass it.
 */
import { expect, layer } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import * as KeyPattern from "../../src/schemas/KeyPattern.js"
import { Cache } from "../../src/services/Cache.js"
import { uniqueName } from "../support/services.js"

export interface CacheSuiteOptions {
  /** `test`: TTLs expire by moving `TestClock`; `real`: by waiting (a server keeps its own time). */
  readonly clock: "test" | "real"
  /** How many times the server has run a command so far (`INFO commandstats`), when it can tell. */
  readonly commandCalls?: (command: string) => Promise<number>
}

const Item = Schema.Struct({ id: Schema.Number, name: Schema.String, at: Schema.Date })
const item = (id: number) => ({ id, name: `item ${id}`, at: new Date(Date.UTC(2026, 0, 1, 0, 0, id)) })

const entry = KeyPattern.make("contract:{run}:item:{n}")
const runPrefix = KeyPattern.make("contract:{run}:")
/** Shares `contract:{run}` as a text prefix but not the `contract:{run}:` one. */
const sibling = KeyPattern.make("contract:{run}x:item:{n}")

const injections: ReadonlyArray<readonly [string, string]> = [
  ["glob", "*"],
  ["brace break-out", "a}:{b"],
  ["CRLF command", "x\r\nFLUSHALL"],
  ["10 kB value", "x".repeat(10_000)],
  ["empty", ""],
  ["separator", "a:b"],
  ["question mark", "a?"],
  ["character class", "[ab]"],
  ["space", "a b"],
  // ioredis writes a lone surrogate as U+FFFD: "p\uD800" and "p\uFFFD" would name one key.
  ["lone surrogate", "p\uD800"]
]

const realWait = (millis: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, millis)))

/** Runs `body` with a fresh run id and removes the run's keys afterwards. */
const withRun = <A, E, R>(body: (run: string) => Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const run = uniqueName("c")
    const cache = yield* Cache
    return yield* body(run).pipe(Effect.ensuring(Effect.ignore(cache.invalidatePrefix(runPrefix({ run })))))
  })

export const suite = (name: string, cacheLayer: Layer.Layer<Cache, unknown>, options: CacheSuiteOptions): void => {
  layer(cacheLayer, { timeout: "60 seconds" })(name, (it) => {
    it.effect("get misses, set then get returns the decoded value", () =>
      withRun((run) =>
        Effect.gen(function*() {
          const cache = yield* Cache
          const key = entry({ run, n: 1 })
          expect(yield* cache.get(key, Item)).toEqual(Option.none())
          yield* cache.set(key, Item, item(1))
          const found = yield* cache.get(key, Item)
          expect(found).toEqual(Option.some(item(1)))
          expect(Option.getOrThrow(found).at).toBeInstanceOf(Date)
        })
      ))

    it.effect("a value expires after its TTL", () =>
      withRun((run) =>
        Effect.gen(function*() {
          const cache = yield* Cache
          const key = entry({ run, n: 1 })
          const other = entry({ run, n: 2 })
          if (options.clock === "test") {
            yield* cache.set(key, Schema.String, "short", { ttl: "10 seconds" })
            yield* cache.set(other, Schema.String, "long", { ttl: "1 minute" })
            yield* TestClock.adjust("9 seconds")
            expect(yield* cache.get(key, Schema.String)).toEqual(Option.some("short"))
            yield* TestClock.adjust("2 seconds")
            expect(yield* cache.get(key, Schema.String)).toEqual(Option.none())
            expect(yield* cache.get(other, Schema.String)).toEqual(Option.some("long"))
          } else {
            yield* cache.set(key, Schema.String, "short", { ttl: "300 millis" })
            yield* cache.set(other, Schema.String, "long", { ttl: "1 minute" })
            expect(yield* cache.get(key, Schema.String)).toEqual(Option.some("short"))
            yield* realWait(700)
            expect(yield* cache.get(key, Schema.String)).toEqual(Option.none())
            expect(yield* cache.get(other, Schema.String)).toEqual(Option.some("long"))
          }
        })
      ))

    it.effect("a TTL under one millisecond, beyond what Redis holds, or no duration is a ValidationError and stores nothing", () =>
      withRun((run) =>
        Effect.gen(function*() {
          const cache = yield* Cache
          const key = entry({ run, n: 1 })
          // "1e3 seconds" type-checks as a duration, and `Duration.decode` throws on it.
          const ttls: ReadonlyArray<Duration.DurationInput> = [0, 1e19, Infinity, "1e3 seconds", "0x10 seconds"]
          for (const ttl of ttls) {
            const error = yield* Effect.flip(cache.set(key, Schema.String, "x", { ttl }))
            expect(error._tag, String(ttl)).toBe("ValidationError")
            expect(error.field).toBe("ttl")
            const loaded = yield* Effect.flip(cache.getOrSet(key, Schema.String, Effect.succeed("y"), { ttl }))
            expect(loaded._tag, String(ttl)).toBe("ValidationError")
          }
          expect(yield* cache.get(key, Schema.String)).toEqual(Option.none())
        })
      ))

    it.effect("a value its schema cannot read back from JSON is a ValidationError on set; getOrSet answers it, uncached", () =>
      withRun((run) =>
        Effect.gen(function*() {
          const cache = yield* Cache
          const key = entry({ run, n: 1 })
          // JSON turns a Date into text, which `DateFromSelf` does not read, and NaN into null.
          const refused = yield* Effect.flip(cache.set(key, Schema.DateFromSelf, new Date(0)))
          expect(refused._tag).toBe("ValidationError")
          expect(refused.field).toBe("value")
          const nan = yield* Effect.flip(cache.set(key, Schema.Number, Number.NaN))
          expect(nan._tag).toBe("ValidationError")
          expect(yield* cache.get(key, Schema.DateFromSelf)).toEqual(Option.none())
          const loads = yield* Ref.make(0)
          const load = Effect.as(Ref.update(loads, (n) => n + 1), new Date(5))
          expect(yield* cache.getOrSet(key, Schema.DateFromSelf, load)).toEqual(new Date(5))
          // `Schema.Date` carries it as text, and reads it back.
          yield* cache.set(key, Schema.Date, new Date(7))
          expect(yield* cache.get(key, Schema.Date)).toEqual(Option.some(new Date(7)))
          expect(yield* Ref.get(loads)).toBe(1)
        })
      ))

    it.effect("a value that does not encode, or whose encoded side JSON cannot carry, is a ValidationError on set and stores nothing", () =>
      withRun((run) =>
        Effect.gen(function*() {
          const cache = yield* Cache
          const key = entry({ run, n: 2 })
          yield* cache.set(key, Schema.Unknown, { kept: true })
          const cyclic: Record<string, unknown> = {}
          cyclic["self"] = cyclic
          const refusals = [
            Effect.flip(cache.set(key, Schema.Number, "7" as unknown as number)),
            Effect.flip(cache.set(key, Schema.Struct({ n: Schema.Int }), { n: 1.5 })),
            Effect.flip(cache.set(key, Schema.BigIntFromSelf, 7n)),
            Effect.flip(cache.set(key, Schema.Unknown, cyclic)),
            Effect.flip(cache.set(key, Schema.Unknown, undefined))
          ]
          for (const [i, refusal] of refusals.entries()) {
            const error = yield* refusal
            expect(error._tag, String(i)).toBe("ValidationError")
            expect(error.field, String(i)).toBe("value")
          }
          // The value written before is the one still there.
          expect(yield* cache.get(key, Schema.Unknown)).toEqual(Option.some({ kept: true }))
          // A value that encodes is stored as its encoded side's JSON.
          yield* cache.set(key, Schema.Struct({ n: Schema.NumberFromString }), { n: 7 })
          expect(yield* cache.get(key, Schema.Unknown)).toEqual(Option.some({ n: "7" }))
        })
      ))

    it.effect("getOrSet loads on a miss, stores, and serves the next call from the cache", () =>
      withRun((run) =>
        Effect.gen(function*() {
          const cache = yield* Cache
          const key = entry({ run, n: 1 })
          const loads = yield* Ref.make(0)
          const load = Effect.as(Ref.update(loads, (n) => n + 1), item(7))
          expect(yield* cache.getOrSet(key, Item, load)).toEqual(item(7))
          expect(yield* cache.getOrSet(key, Item, load)).toEqual(item(7))
          expect(yield* Ref.get(loads)).toBe(1)
          expect(yield* cache.get(key, Item)).toEqual(Option.some(item(7)))
        })
      ))

    it.effect("getOrSet passes a loader failure on and caches nothing", () =>
      withRun((run) =>
        Effect.gen(function*() {
          const cache = yield* Cache
          const key = entry({ run, n: 1 })
          const error = yield* Effect.flip(cache.getOrSet(key, Schema.String, Effect.fail("database down" as const)))
          expect(error).toBe("database down")
          expect(yield* cache.get(key, Schema.String)).toEqual(Option.none())
          expect(yield* cache.getOrSet(key, Schema.String, Effect.succeed("loaded"))).toBe("loaded")
        })
      ))

    it.effect("single-flight: 100 concurrent misses for one key run the loader once", () =>
      withRun((run) =>
        Effect.gen(function*() {
          const cache = yield* Cache
          const key = entry({ run, n: 1 })
          const loads = yield* Ref.make(0)
          const entered = yield* Ref.make(0)
          const gate = yield* Deferred.make<void>()
          const started = yield* Deferred.make<void>()
          // The loader holds the value back until every caller has asked, so without
          // single-flight each of them would miss and load.
          const load = Effect.gen(function*() {
            yield* Ref.update(loads, (n) => n + 1)
            yield* Deferred.succeed(started, undefined)
            yield* Deferred.await(gate)
            return item(42)
          })
          const callers = yield* Effect.fork(
            Effect.forEach(
              Array.from({ length: 100 }, (_, i) => i),
              () => Effect.zipRight(Ref.update(entered, (n) => n + 1), cache.getOrSet(key, Item, load)),
              { concurrency: "unbounded" }
            )
          )
          yield* Deferred.await(started)
          while ((yield* Ref.get(entered)) < 100) yield* Effect.yieldNow()
          yield* Effect.repeatN(Effect.yieldNow(), 50)
          if (options.clock === "real") yield* realWait(50)
          expect(yield* Ref.get(loads)).toBe(1)
          yield* Deferred.succeed(gate, undefined)
          const results = yield* Fiber.join(callers)
          expect(results).toHaveLength(100)
          expect(results.every((result) => result.id === 42)).toBe(true)
          expect(yield* Ref.get(loads)).toBe(1)
        })
      ))

    it.effect("single-flight shares a failure, and the next call loads again", () =>
      withRun((run) =>
        Effect.gen(function*() {
          const cache = yield* Cache
          const key = entry({ run, n: 1 })
          const loads = yield* Ref.make(0)
          const load = Effect.zipRight(Ref.update(loads, (n) => n + 1), Effect.fail("boom" as const))
          const results = yield* Effect.forEach(
            Array.from({ length: 10 }, (_, i) => i),
            () => Effect.either(cache.getOrSet(key, Schema.String, load)),
            { concurrency: "unbounded" }
          )
          expect(results.every(Either.isLeft)).toBe(true)
          const first = yield* Ref.get(loads)
          expect(first).toBeGreaterThanOrEqual(1)
          expect(first).toBeLessThan(10)
          yield* Effect.either(cache.getOrSet(key, Schema.String, load))
          expect(yield* Ref.get(loads)).toBe(first + 1)
        })
      ))

    it.effect("a load begun before invalidate or set is joined by no later call, and stores nothing", () =>
      withRun((run) =>
        Effect.gen(function*() {
          const cache = yield* Cache
          for (const change of ["invalidate", "invalidatePrefix", "set"] as const) {
            const key = entry({ run, n: change.length })
            const gate = yield* Deferred.make<void>()
            const started = yield* Deferred.make<void>()
            const old = yield* cache.getOrSet(
              key,
              Schema.String,
              Effect.zipRight(Deferred.succeed(started, undefined), Effect.as(Deferred.await(gate), "old"))
            ).pipe(Effect.fork)
            yield* Deferred.await(started)
            // The data changes while the old value is being loaded, and the cache is told.
            if (change === "invalidate") yield* cache.invalidate(key)
            if (change === "invalidatePrefix") yield* cache.invalidatePrefix(runPrefix({ run }))
            if (change === "set") yield* cache.set(key, Schema.String, "written")
            const fresh = change === "set" ? "written" : "new"
            expect(yield* cache.getOrSet(key, Schema.String, Effect.succeed("new")), change).toBe(fresh)
            yield* Deferred.succeed(gate, undefined)
            // Its own caller still gets what it loaded; the cache keeps the newer value.
            expect(yield* Fiber.join(old), change).toBe("old")
            expect(yield* cache.get(key, Schema.String), change).toEqual(Option.some(fresh))
          }
        })
      ))

    it.effect("a value that no longer decodes is a miss, and is deleted", () =>
      withRun((run) =>
        Effect.gen(function*() {
          const cache = yield* Cache
          const key = entry({ run, n: 1 })
          yield* cache.set(key, Schema.Struct({ id: Schema.String }), { id: "old shape" })
          expect(yield* cache.get(key, Item)).toEqual(Option.none())
          // Deleted: even the schema it was written with finds nothing now.
          expect(yield* cache.get(key, Schema.Struct({ id: Schema.String }))).toEqual(Option.none())

          yield* cache.set(key, Schema.String, "not an item")
          const loads = yield* Ref.make(0)
          const load = Effect.as(Ref.update(loads, (n) => n + 1), item(3))
          expect(yield* cache.getOrSet(key, Item, load)).toEqual(item(3))
          expect(yield* cache.getOrSet(key, Item, load)).toEqual(item(3))
          expect(yield* Ref.get(loads)).toBe(1)
        })
      ))

    it.effect("invalidatePrefix of a whole key takes that key and the keys under it, not its longer neighbours", () =>
      withRun((run) =>
        Effect.gen(function*() {
          const cache = yield* Cache
          const user = KeyPattern.make("contract:{run}:user:{id}")
          const session = KeyPattern.make("contract:{run}:user:{id}:session:{n}")
          yield* cache.set(user({ run, id: "1" }), Schema.Number, 1)
          yield* cache.set(session({ run, id: "1", n: 1 }), Schema.Number, 11)
          yield* cache.set(user({ run, id: "10" }), Schema.Number, 10)
          yield* cache.set(user({ run, id: "12x" }), Schema.Number, 12)
          // `user:1` took `user:10` and `user:12x` as well, by the plain text prefix.
          expect(yield* cache.invalidatePrefix(user({ run, id: "1" }))).toBe(2)
          expect(yield* cache.get(user({ run, id: "1" }), Schema.Number)).toEqual(Option.none())
          expect(yield* cache.get(session({ run, id: "1", n: 1 }), Schema.Number)).toEqual(Option.none())
          expect(yield* cache.get(user({ run, id: "10" }), Schema.Number)).toEqual(Option.some(10))
          expect(yield* cache.get(user({ run, id: "12x" }), Schema.Number)).toEqual(Option.some(12))
        })
      ))

    it.effect("invalidatePrefix takes a prefix holding regular-expression characters literally", () =>
      withRun((run) =>
        Effect.gen(function*() {
          const cache = yield* Cache
          const legacy = KeyPattern.make("contract:{run}:api:{endpoint}:{n}")
          const prefix = KeyPattern.make("contract:{run}:api:{endpoint}:")
          yield* cache.set(legacy({ run, endpoint: "/v1/users(legacy)+", n: 1 }), Schema.Number, 1)
          yield* cache.set(legacy({ run, endpoint: "/v1/usersXlegacy)+", n: 2 }), Schema.Number, 2)
          expect(yield* cache.invalidatePrefix(prefix({ run, endpoint: "/v1/users(legacy)+" }))).toBe(1)
          expect(yield* cache.get(legacy({ run, endpoint: "/v1/usersXlegacy)+", n: 2 }), Schema.Number))
            .toEqual(Option.some(2))
        })
      ))

    it.effect("invalidate deletes one key and says whether it existed", () =>
      withRun((run) =>
        Effect.gen(function*() {
          const cache = yield* Cache
          yield* cache.set(entry({ run, n: 1 }), Schema.Number, 1)
          yield* cache.set(entry({ run, n: 2 }), Schema.Number, 2)
          expect(yield* cache.invalidate(entry({ run, n: 1 }))).toBe(true)
          expect(yield* cache.invalidate(entry({ run, n: 1 }))).toBe(false)
          expect(yield* cache.get(entry({ run, n: 1 }), Schema.Number)).toEqual(Option.none())
          expect(yield* cache.get(entry({ run, n: 2 }), Schema.Number)).toEqual(Option.some(2))
        })
      ))

    it.effect(
      "invalidatePrefix deletes 10,000 keys with SCAN + UNLINK, never KEYS, and nothing else",
      () =>
        withRun((run) =>
          Effect.gen(function*() {
            const cache = yield* Cache
            const count = 10_000
            yield* Effect.forEach(
              Array.from({ length: count }, (_, n) => n),
              (n) => cache.set(entry({ run, n }), Schema.Number, n),
              { concurrency: 200, discard: true }
            )
            yield* cache.set(sibling({ run, n: 1 }), Schema.Number, -1)
            const calls = options.commandCalls
            const before = calls
              ? yield* Effect.promise(() => Promise.all([calls("keys"), calls("scan"), calls("unlink")]))
              : undefined
            const deleted = yield* cache.invalidatePrefix(runPrefix({ run }))
            expect(deleted).toBe(count)
            if (calls && before) {
              const [keys, scan, unlink] = yield* Effect.promise(() =>
                Promise.all([calls("keys"), calls("scan"), calls("unlink")])
              )
              expect(keys).toBe(before[0])
              expect(scan).toBeGreaterThanOrEqual(before[1] + 10)
              expect(unlink).toBeGreaterThanOrEqual(before[2] + 10)
            }
            for (const n of [0, 1, 4_999, 9_999]) {
              expect(yield* cache.get(entry({ run, n }), Schema.Number)).toEqual(Option.none())
            }
            expect(yield* cache.get(sibling({ run, n: 1 }), Schema.Number)).toEqual(Option.some(-1))
            expect(yield* cache.invalidate(sibling({ run, n: 1 }))).toBe(true)
          })
        ),
      { timeout: 60_000 }
    )

    it.effect("injected parameter values are ValidationErrors and change no key", () =>
      withRun((run) =>
        Effect.gen(function*() {
          const cache = yield* Cache
          const canary = entry({ run, n: "canary" })
          yield* cache.set(canary, Schema.String, "alive")
          const loads = yield* Ref.make(0)
          const load = Effect.as(Ref.update(loads, (n) => n + 1), "loaded")
          for (const [label, value] of injections) {
            const key = entry({ run, n: value })
            const attempts: ReadonlyArray<Effect.Effect<unknown, { readonly _tag: string; readonly message: string }>> =
              [
                cache.get(key, Schema.String),
                cache.set(key, Schema.String, "x"),
                cache.getOrSet(key, Schema.String, load),
                cache.invalidate(key),
                cache.invalidatePrefix(KeyPattern.make("contract:{run}:{n}")({ run, n: value })),
                cache.invalidatePrefix(runPrefix({ run: value }))
              ]
            for (const attempt of attempts) {
              const error = yield* Effect.flip(attempt)
              expect(error._tag, label).toBe("ValidationError")
              expect(error.message).not.toContain("FLUSHALL")
              expect(error.message.length).toBeLessThan(200)
            }
          }
          expect(yield* Ref.get(loads)).toBe(0)
          expect(yield* cache.get(canary, Schema.String)).toEqual(Option.some("alive"))
        })
      ))

    it.effect("seed-002 key patterns render as documented", () =>
      Effect.gen(function*() {
        const cache = yield* Cache
        const ns = cache.namespace === "" ? "" : `${cache.namespace}:`
        const render = (key: KeyPattern.Key) => KeyPattern.render(key, { namespace: cache.namespace })
        expect(render(KeyPattern.user({ user_id: 42 }))).toEqual(Either.right(`${ns}user:42`))
        expect(render(KeyPattern.userAnalyses({ user_id: "u1" }))).toEqual(Either.right(`${ns}user_analyses:u1`))
        expect(render(KeyPattern.analysisResult({ analysis_id: "a-1" }))).toEqual(
          Either.right(`${ns}analysis_result:a-1`)
        )
        expect(render(KeyPattern.toolGeneration({ tool_id: 9 }))).toEqual(Either.right(`${ns}tool_generation:9`))
        expect(render(KeyPattern.systemStats())).toEqual(Either.right(`${ns}system_stats`))
        expect(render(KeyPattern.apiResponse({ endpoint: "/v1/users", hash: "ab12" }))).toEqual(
          Either.right(`${ns}api:/v1/users:ab12`)
        )
      }))
  })
}
