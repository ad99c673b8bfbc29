import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Ref from "effect/Ref"
import * as Batcher from "../../src/layers/Batcher.js"

describe("Batcher", () => {
  it.live("a failed batch fails its callers and logs nothing of its own, at any level", () => {
    const lines: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => void lines.push(`${logLevel.label} ${String(message)}`))
    return Effect.gen(function*() {
      const batcher = Batcher.make({
        execute: (_keys: ReadonlyArray<number>) => Effect.fail("refused" as const)
      })
      const exits = yield* Effect.all([1, 2].map((key) => Effect.exit(batcher.load(key))), { concurrency: "unbounded" })
      assert.deepStrictEqual(exits.map((exit) => Exit.isFailure(exit) && Cause.squash(exit.cause)), [
        "refused",
        "refused"
      ])
      yield* Effect.sleep("10 millis")
      // The batch's fiber was logged as one that ended with an unhandled error, at debug level.
      assert.deepStrictEqual(lines, [])
    }).pipe(
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Logger.withMinimumLogLevel(LogLevel.All)
    )
  })

  it.effect("independent fibers loading at once share one execute", () =>
    Effect.gen(function*() {
      const calls: Array<ReadonlyArray<number>> = []
      const batcher = Batcher.make({
        execute: (keys: ReadonlyArray<number>) => Effect.sync(() => (calls.push(keys), keys.map((k) => k * 2)))
      })
      const fibers = yield* Effect.forEach(
        Array.from({ length: 100 }, (_, i) => i),
        (i) => Effect.fork(batcher.load(i))
      )
      const values = yield* Effect.forEach(fibers, Fiber.join)
      assert.deepStrictEqual(values, Array.from({ length: 100 }, (_, i) => i * 2))
      assert.strictEqual(calls.length, 1)
    }))

  it.effect("groups never share a batch, and a full batch goes at once", () =>
    Effect.gen(function*() {
      const calls: Array<ReadonlyArray<string>> = []
      const batcher = Batcher.make({
        group: (key: string) => key.slice(0, 1),
        maxBatchSize: 3,
        execute: (keys: ReadonlyArray<string>) => Effect.sync(() => (calls.push(keys), keys))
      })
      yield* Effect.all(["a1", "b1", "a2", "a3", "a4"].map(batcher.load), { concurrency: "unbounded" })
      assert.deepStrictEqual(calls.map((keys) => [...keys].sort()).sort(), [["a1", "a2", "a3"], ["a4"], ["b1"]])
    }))

  it.effect("with overlap, a tick's large batch goes as two halves; while they are out the next goes once as large", () =>
    Effect.gen(function*() {
      const calls: Array<ReadonlyArray<number>> = []
      const answer = yield* Deferred.make<void>()
      const batcher = Batcher.make({
        overlap: 2,
        execute: (keys: ReadonlyArray<number>) =>
          Effect.as(Effect.zipRight(Effect.sync(() => calls.push(keys)), Deferred.await(answer)), keys)
      })
      const wave = (from: number, count: number) =>
        Effect.forEach(Array.from({ length: count }, (_, i) => from + i), (i) => Effect.fork(batcher.load(i)))
      const tick = Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      // Nothing out: the tick's 9 keys go at its end, as two halves.
      const first = yield* wave(0, 9)
      yield* Effect.yieldNow()
      assert.deepStrictEqual(calls, [])
      yield* tick
      assert.deepStrictEqual(calls, [[0, 1, 2, 3, 4], [5, 6, 7, 8]])
      // 9 keys out: the next batch goes as soon as it holds 9, before the tick ends.
      const second = yield* wave(9, 11)
      yield* Effect.yieldNow()
      assert.deepStrictEqual(calls.slice(2), [[9, 10, 11, 12, 13, 14, 15, 16, 17]])
      yield* tick
      assert.deepStrictEqual(calls.slice(3), [[18, 19]])
      yield* Deferred.succeed(answer, undefined)
      const values = yield* Effect.forEach([...first, ...second], Fiber.join)
      assert.deepStrictEqual(values, Array.from({ length: 20 }, (_, i) => i))
    }))

  it.effect("without overlap, a tick's batch goes whole at its end", () =>
    Effect.gen(function*() {
      const calls: Array<ReadonlyArray<number>> = []
      const batcher = Batcher.make({
        execute: (keys: ReadonlyArray<number>) => Effect.sync(() => (calls.push(keys), keys))
      })
      yield* Effect.forEach(Array.from({ length: 40 }, (_, i) => i), batcher.load, { concurrency: "unbounded" })
      assert.deepStrictEqual(calls.map((keys) => keys.length), [40])
    }))

  it.effect("many callers over small batches, with and without overlap: each key is sent once and each caller answered", () =>
    Effect.gen(function*() {
      for (const overlap of [undefined, 4]) {
        let sent = 0
        const batcher = Batcher.make({
          maxBatchSize: 8,
          overlap,
          execute: (keys: ReadonlyArray<number>) =>
            Effect.as(Effect.zipRight(Effect.sync(() => (sent += keys.length)), Effect.yieldNow()), keys)
        })
        const values = yield* Effect.forEach(Array.from({ length: 400 }, (_, i) => i), batcher.load, {
          concurrency: "unbounded"
        }).pipe(Effect.locally(FiberRef.currentMaxOpsBeforeYield, 16))
        assert.deepStrictEqual(values, Array.from({ length: 400 }, (_, i) => i))
        assert.strictEqual(sent, 400)
      }
    }))

  it.effect("a batch whose execute throws fails its callers and leaves the batcher working", () =>
    Effect.gen(function*() {
      let calls = 0
      const batcher = Batcher.make({
        overlap: 2,
        execute: (keys: ReadonlyArray<number>): Effect.Effect<ReadonlyArray<number>> => {
          if (++calls === 1) throw new Error("not an effect")
          return Effect.succeed(keys)
        }
      })
      const failed = yield* Effect.exit(Effect.all([batcher.load(1), batcher.load(2)], { concurrency: "unbounded" }))
      assert.isTrue(Exit.isFailure(failed))
      const again = yield* Effect.all(Array.from({ length: 6 }, (_, i) => batcher.load(i)), {
        concurrency: "unbounded"
      })
      assert.deepStrictEqual(again, [0, 1, 2, 3, 4, 5])
    }))

  it.effect("loadThen applies each caller's own step to its value; a step that throws fails only its caller", () =>
    Effect.gen(function*() {
      const calls: Array<ReadonlyArray<number>> = []
      const batcher = Batcher.make({
        execute: (keys: ReadonlyArray<number>) => Effect.sync(() => (calls.push(keys), keys.map((k) => k * 10)))
      })
      const [doubled, failed, plain] = yield* Effect.all([
        batcher.loadThen(1, (value) => Effect.succeed(`got ${value * 2}`)),
        Effect.exit(batcher.loadThen(2, (value): Effect.Effect<number, string> => {
          if (value === 20) throw new Error("not an effect")
          return Effect.fail("unreachable")
        })),
        batcher.loadThen(3, (value) => (value === 30 ? Effect.fail("thirty" as const) : Effect.succeed(value)))
          .pipe(Effect.flip)
      ], { concurrency: "unbounded" })
      assert.strictEqual(doubled, "got 20")
      assert.isTrue(Exit.isFailure(failed) && failed.cause._tag === "Die")
      assert.strictEqual(plain, "thirty")
      assert.deepStrictEqual(calls, [[1, 2, 3]])
    }))

  it.effect("a failed batch fails each caller; an interrupted caller's key is dropped", () =>
    Effect.gen(function*() {
      const seen: Array<ReadonlyArray<number>> = []
      const batcher = Batcher.make({
        execute: (keys: ReadonlyArray<number>) => Effect.suspend(() => (seen.push(keys), Effect.fail("boom" as const)))
      })
      const gone = yield* Effect.fork(batcher.load(1))
      const kept = yield* Effect.fork(batcher.load(2))
      yield* Fiber.interrupt(gone)
      const exit = yield* Fiber.await(kept)
      assert.deepStrictEqual(exit, Exit.fail("boom"))
      assert.deepStrictEqual(seen, [[2]])
    }))
  it.effect("a failure that some keys cause reaches only their callers, the batch sent again in halves", () =>
    Effect.gen(function*() {
      const seen: Array<ReadonlyArray<number>> = []
      const execute = (keys: ReadonlyArray<number>) =>
        Effect.suspend(() => {
          seen.push(keys)
          if (keys.includes(-1)) return Effect.fail("down" as const)
          return keys.some((k) => !Number.isInteger(k)) ? Effect.fail("refused" as const) : Effect.succeed(keys)
        })
      const isolating = Batcher.make({ execute, isolate: (error) => error === "refused" })
      const keys = [1, 2, 2.5, 3, 4, 5, 6.5, 7]
      const exits = yield* Effect.all(keys.map((k) => Effect.exit(isolating.load(k))), { concurrency: "unbounded" })
      assert.deepStrictEqual(
        exits,
        keys.map((k) => Number.isInteger(k) ? Exit.succeed(k) : Exit.fail("refused" as const))
      )
      // Halves of halves (each half in a fiber of its own, in any order): every batch holding a
      // refused key is split, none other.
      const sorted = (batches: ReadonlyArray<ReadonlyArray<number>>) => batches.map((b) => JSON.stringify(b)).sort()
      assert.deepStrictEqual(
        sorted(seen),
        sorted([
          [1, 2, 2.5, 3, 4, 5, 6.5, 7],
          [1, 2, 2.5, 3],
          [4, 5, 6.5, 7],
          [1, 2],
          [2.5, 3],
          [4, 5],
          [6.5, 7],
          [2.5],
          [3],
          [6.5],
          [7]
        ])
      )
      // A failure that `isolate` does not name fails the whole batch at once.
      seen.length = 0
      const down = yield* Effect.all([-1, 1, 2.5].map((k) => Effect.exit(isolating.load(k))), {
        concurrency: "unbounded"
      })
      assert.deepStrictEqual(down, [-1, 1, 2.5].map(() => Exit.fail("down" as const)))
      assert.deepStrictEqual(seen, [[-1, 1, 2.5]])
      // Without `isolate`, a refused key fails every caller of its batch.
      const plain = Batcher.make({ execute })
      const all = yield* Effect.all([1, 2.5].map((k) => Effect.exit(plain.load(k))), { concurrency: "unbounded" })
      assert.deepStrictEqual(all, [1, 2.5].map(() => Exit.fail("refused" as const)))
    }))

  it.effect("a caller interrupted where it cannot be still gets its value", () =>
    Effect.gen(function*() {
      const batcher = Batcher.make({
        execute: (keys: ReadonlyArray<number>) => Effect.succeed(keys.map((k) => k * 10))
      })
      const got = yield* Ref.make(0)
      const waiting = yield* Effect.fork(Effect.uninterruptible(Effect.tap(batcher.load(1), (v) => Ref.set(got, v))))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(waiting)
      assert.strictEqual(yield* Ref.get(got), 10)
    }))
})
