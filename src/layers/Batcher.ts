/**
 * Cross-fiber batching of keyed reads. Calls of `load` made from any fibers before the event
 * loop's next check phase (`setImmediate`) are served by one call of `execute` over their keys,
 * so 32 callers each doing `findById` in their own fiber cost one round trip, not 32.
 *
 * `RequestResolver.makeBatched` batches only requests made inside one `Effect.forEach` /
 * `Effect.all` with `batching: true`; independent callers (HTTP handlers, workers) need this.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Runtime from "effect/Runtime"
import type { RuntimeFlags } from "effect/RuntimeFlags"

/**
 * @since 0.1.0
 * @category models
 */
export interface BatcherOptions<K, A, E> {
  /** Reads many keys at once, answering one value per key, in the keys' order. */
  readonly execute: (keys: ReadonlyArray<K>) => Effect.Effect<ReadonlyArray<A>, E>
  /** Keys of different groups (e.g. tenants) never share a batch. */
  readonly group?: ((key: K) => string) | undefined
  /** A full batch is sent at once, without waiting for the tick. Default 500. */
  readonly maxBatchSize?: number | undefined
  /**
   * Keeps two batches of a group in flight once there are at least `overlap` keys to each: a
   * tick's batch of twice that many or more, with nothing of its group unanswered, goes as two
   * halves, and while a batch is out the next goes as soon as it holds as many keys, so the
   * backend answers one while the callers of the other come back with their next keys. Off by
   * default: a batch goes once per tick, or when full.
   */
  readonly overlap?: number | undefined
  /**
   * Failures that some keys of a batch cause rather than the batch (a value the backend refuses):
   * a batch of several keys failing with one is sent again as two halves, and so on, until each
   * such failure reaches only the callers of the keys that cause it. Others fail the whole batch.
   */
  readonly isolate?: ((error: E) => boolean) | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Batcher<K, A, E> {
  /** The value of `key`, from the next batch. */
  readonly load: (key: K) => Effect.Effect<A, E>
  /**
   * `load(key)` followed by `then`, without the cost of a further step in the caller's fiber:
   * `then` is applied as the caller is resumed (on the hottest paths, the step was about a
   * twentieth of a read). `then` should be a plain function of the value; a throw is a defect
   * of that caller only.
   */
  readonly loadThen: <B, E2>(key: K, then: (value: A) => Effect.Effect<B, E2>) => Effect.Effect<B, E | E2>
}

// Waiters and batches are class instances, and a batch's list is made by `Array.of`, not by
// literals: V8 tracks literals by where they are written and, seeing those of one place outlive
// a young-generation collection, allocates all later ones in the old generation, where they keep
// every short-lived object they point to (a caller's continuation) alive until a full collection.
// Under a steady load of batched reads that moved most of the batcher's cost into the collector.

class Waiter<K, A> {
  constructor(
    readonly key: K,
    readonly resume: (effect: Effect.Effect<unknown, unknown>) => void,
    readonly then: ((value: A) => Effect.Effect<unknown, unknown>) | undefined,
    /** The caller: once it is done (interrupted), its key is dropped from a batch not yet sent. */
    readonly fiber: Fiber.RuntimeFiber<unknown, unknown>
  ) {}
}

class Pending<K, A> {
  readonly waiters: Array<Waiter<K, A>> = Array.of()
  timer: ReturnType<typeof setImmediate> | undefined = undefined
  constructor(readonly runtime: Runtime.Runtime<never>, readonly group: string) {}
}

/**
 * Creates a batcher. Each batch runs in its own fiber, with the services, span and settings of
 * the fiber that opened it, so a caller interrupted while waiting leaves the others unharmed (its
 * key is dropped if it has finished before the batch is sent). A failed batch fails each of its
 * callers, but for the failures `isolate` names, which are narrowed to the keys causing them.
 *
 * @example
 * const users = Batcher.make({ execute: (ids) => selectByIds(ids) })
 * yield* Effect.all([users.load(1), users.load(2)], { concurrency: "unbounded" }) // one query
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <K, A, E>(options: BatcherOptions<K, A, E>): Batcher<K, A, E> => {
  const maxBatchSize = Math.max(1, options.maxBatchSize ?? 500)
  const overlap = options.overlap
  const open = new Map<string, Pending<K, A>>()
  /** Callers of each group's batches sent and not yet answered. */
  const unanswered = new Map<string, number>()
  const out = (group: string) => unanswered.get(group) ?? 0
  const count = (group: string, change: number) => {
    const now = out(group) + change
    if (now === 0) unanswered.delete(group)
    else unanswered.set(group, now)
  }

  const answer = (waiter: Waiter<K, A>, value: A): Effect.Effect<unknown, unknown> => {
    if (waiter.then === undefined) return Effect.succeed(value)
    try {
      return waiter.then(value)
    } catch (defect) {
      return Effect.die(defect)
    }
  }

  /** A batch's failure that only some of its keys cause (`isolate`): one failure, nothing else. */
  const isolated = (cause: Cause.Cause<E>): boolean =>
    options.isolate !== undefined && Cause.isFailType(cause) && options.isolate(cause.error)

  /**
   * Runs `execute` for some waiters in a fiber of its own and resumes each with its value, or
   * sends each half again after a failure that some of its keys cause (`isolate`).
   */
  const send = (pending: Pending<K, A>, waiters: ReadonlyArray<Waiter<K, A>>) => {
    count(pending.group, waiters.length)
    // The batch's outcome goes to its callers (`onExit`, which runs even if the fiber is
    // interrupted); the fiber then ends quietly, or a failed batch was also logged as a fiber that
    // ended with an unhandled error.
    Runtime.runFork(pending.runtime)(
      Effect.onExit(
        Effect.suspend(() => options.execute(waiters.map((waiter) => waiter.key))),
        (exit) =>
          Effect.sync(() => {
            count(pending.group, -waiters.length)
            if (Exit.isSuccess(exit)) {
              waiters.forEach((waiter, i) => waiter.resume(answer(waiter, exit.value[i] as A)))
            } else if (waiters.length > 1 && isolated(exit.cause)) {
              const half = Math.ceil(waiters.length / 2)
              send(pending, waiters.slice(0, half))
              send(pending, waiters.slice(half))
            } else {
              waiters.forEach((waiter) => waiter.resume(Effect.failCause(exit.cause)))
            }
          })
      ).pipe(Effect.catchAllCause(() => Effect.void))
    )
  }

  /**
   * Sends a batch. At the end of a tick with nothing of its group unanswered, an overlapping
   * batcher sends a large batch as two halves: from then on each half's callers come back while
   * the other half is out, and their batch goes as soon as it is as large (see `load`).
   */
  const flush = (pending: Pending<K, A>, endOfTick: boolean) => {
    if (open.get(pending.group) === pending) open.delete(pending.group)
    if (pending.timer !== undefined) clearImmediate(pending.timer)
    pending.timer = undefined
    const waiters = pending.waiters.filter((waiter) => waiter.fiber.unsafePoll() === null)
    if (waiters.length === 0) return
    if (endOfTick && overlap !== undefined && out(pending.group) === 0 && waiters.length >= 2 * overlap) {
      const half = Math.ceil(waiters.length / 2)
      send(pending, waiters.slice(0, half))
      send(pending, waiters.slice(half))
    } else {
      send(pending, waiters)
    }
  }

  /** A new batch of a group, with the services, span and settings of the fiber that opens it. */
  const openBatch = (group: string, fiber: Fiber.RuntimeFiber<unknown, unknown>, runtimeFlags: RuntimeFlags) => {
    const pending = new Pending<K, A>(
      Runtime.make({ context: fiber.currentContext, fiberRefs: fiber.getFiberRefs(), runtimeFlags }),
      group
    )
    pending.timer = setImmediate(() => flush(pending, true))
    open.set(group, pending)
    return pending
  }

  const join = <B, E2>(
    key: K,
    then: ((value: A) => Effect.Effect<B, E2>) | undefined
  ): Effect.Effect<B, E | E2> =>
    Effect.withFiberRuntime<B, E | E2>((fiber, status) =>
      // The batch is found (or opened) and joined in one step, inside the registration: between
      // two effects the fiber may be paused, and a batch looked up before could be sent meanwhile.
      // No canceler: one made every call about quadrupled the cost of a load. A caller
      // interrupted while it waits is resumed by the interruption itself (a later resume is
      // ignored), and its key is dropped at `flush` if it is done by then.
      Effect.async<B, E | E2>((resume) => {
        const group = options.group ? options.group(key) : ""
        const batch = open.get(group) ?? openBatch(group, fiber, status.runtimeFlags)
        batch.waiters.push(new Waiter(key, resume as Waiter<K, A>["resume"], then, fiber))
        const size = batch.waiters.length
        const outstanding = out(group)
        const overlapping = overlap !== undefined && outstanding > 0 && size >= Math.max(overlap, outstanding)
        if (size >= maxBatchSize || overlapping) flush(batch, false)
      })
    )

  return {
    load: (key) => join<A, never>(key, undefined),
    loadThen: join
  }
}
