/**
 * Cancelling a PostgreSQL statement that runs on a pooled connection, from a connection of its
 * own: the pool's connections may all be busy (a pool of one, or a full pool), and a cancel
 * waiting for one of them would wait for the very statement it is meant to stop.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import Pg from "pg"
import { atMost } from "./Deadline.js"

/**
 * Asks the server to cancel what the backend `processId` is running: best effort and bounded
 * (2 seconds, and 1 more to close), on a new connection with the pool's settings, closed afterwards. A process id that
 * is not a number (a connection not yet started) or a pool that is ending cancels nothing.
 *
 * @since 0.1.0
 * @category constructors
 */
export const cancelBackend = (pool: Pg.Pool, processId: unknown): Effect.Effect<void> => {
  if (typeof processId !== "number" || pool.ending) return Effect.void
  // The connecting is part of the use, not of the acquisition, which could not be cut short: a
  // cancel runs in finalizers too (an interrupted copy's), and a server that stopped answering
  // would hold them past the 2 seconds.
  return Effect.acquireUseRelease(
    Effect.sync(() => {
      const canceller = new Pg.Client(pool.options)
      canceller.on("error", () => {})
      return canceller
    }),
    (canceller) =>
      Effect.tryPromise(async () => {
        await canceller.connect()
        await canceller.query("SELECT pg_cancel_backend($1)", [processId])
      }),
    // Awaited, so that the canceller is gone when the caller goes on, but bounded too.
    (canceller) => Effect.promise(() => canceller.end().catch(() => {})).pipe(atMost("1 second"))
  ).pipe(atMost("2 seconds"), Effect.ignore)
}

/** The statement @effect/sql-pg sends through the pool to cancel an interrupted statement. */
const pooledCancel = /^SELECT pg_cancel_backend\((\d+)\)$/

/**
 * Makes `pool` send the cancels of interrupted statements (a query timeout, an interrupted
 * caller) on a connection of their own. @effect/sql-pg cancels with
 * `pool.query("SELECT pg_cancel_backend(<pid>)", callback)`, which waits for a free pooled
 * connection: with all of them busy, the timed-out statement went on, and its caller waited, until
 * it ended. Every other call of `query` is the pool's own.
 *
 * @since 0.1.0
 * @category constructors
 */
export const cancelOnOwnConnection = (pool: Pg.Pool): Pg.Pool => {
  const pooled = pool.query.bind(pool) as (...args: ReadonlyArray<unknown>) => unknown
  const query = (...args: ReadonlyArray<unknown>): unknown => {
    const [text, callback] = args
    const cancel = typeof text === "string" && args.length === 2 && typeof callback === "function"
      ? pooledCancel.exec(text)
      : null
    if (cancel === null) return pooled(...args)
    Effect.runFork(
      cancelBackend(pool, Number(cancel[1])).pipe(Effect.ensuring(Effect.sync(() => (callback as () => void)())))
    )
    return undefined
  }
  pool.query = query as typeof pool.query
  return pool
}
