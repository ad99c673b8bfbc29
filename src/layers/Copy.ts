/**
 * PostgreSQL's bulk load: `COPY table (columns) FROM STDIN`, in the text format, streamed on a
 * connection of its own taken from the pool.
 *
 * Values are written as the pooled connections send them as parameters (dates in UTC, arrays
 * and objects through node-postgres's own `prepareValue`), so a row loaded here reads back as one
 * inserted with `INSERT`. One `COPY` is one statement: it is loaded whole or not at all. A copy that fails
 * or is interrupted before the server answered is cancelled and its connection discarded, never
 * handed back to the pool in the middle of a copy.
 *
 * @since 0.1.0
 */
import { SqlError } from "@effect/sql/SqlError"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import type { Writable } from "node:stream"
import Pg from "pg"
import { from as copyFromStdin } from "pg-copy-streams"
import { cancelBackend } from "./PgCancel.js"
import type { Row } from "./Query.js"

/**
 * Loads rows into `table` with one `COPY ... FROM STDIN` and answers the number of rows the server
 * loaded. The rows come in chunks from `rows`, each written as soon as the connection takes it;
 * a failure of `rows` aborts the copy and is returned as it is.
 *
 * @since 0.1.0
 * @category models
 */
export type CopyFrom = <E, R>(
  table: string,
  columns: ReadonlyArray<string>,
  rows: Stream.Stream<ReadonlyArray<Row>, E, R>
) => Effect.Effect<number, E | SqlError, R>

// ---------------------------------------------------------------------------------------------
// The text format
// ---------------------------------------------------------------------------------------------

/** What node-postgres does with a parameter: typed structurally, it is not in its declarations. */
const driver = Pg as unknown as {
  readonly utils: { readonly prepareValue: (value: unknown) => unknown }
}

const special = /[\\\n\r\t]/
const specials = /[\\\n\r\t]/g
const escaped: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" }
const escapeOne = (c: string) => escaped[c] ?? c

/**
 * A text field: backslash, newline, carriage return and tab escaped; every other character,
 * quotes and Unicode included, is written as it is.
 */
const escape = (text: string): string => special.test(text) ? text.replace(specials, escapeOne) : text

const pad2 = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, "0"))
const pad3 = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, "0"))
const dayMillis = 86_400_000
/** 0001-01-01 and 10000-01-01, in milliseconds since the epoch: the years written with 4 digits. */
const firstMillis = -62_135_596_800_000
const endMillis = 253_402_300_800_000

/** `YYYY-MM-DDT` of the last day formatted: consecutive rows mostly share it. */
let lastDay = Number.NaN
let lastDayText = ""

/** A date of a year outside 1..9999 in UTC: more digits, or ` BC` (the year 0 is 1 BC). */
const farDateText = (date: Date): string => {
  const year = date.getUTCFullYear()
  const bc = year <= 0
  return `${String(bc ? 1 - year : year).padStart(4, "0")}-${pad2[date.getUTCMonth() + 1]}-${pad2[date.getUTCDate()]}T${
    pad2[date.getUTCHours()]
  }:${pad2[date.getUTCMinutes()]}:${pad2[date.getUTCSeconds()]}.${pad3[date.getUTCMilliseconds()]}+00:00${
    bc ? " BC" : ""
  }`
}

/**
 * A date as it is sent to PostgreSQL: its instant in UTC (`2026-01-01T00:00:01.000+00:00`),
 * whatever the process's time zone, built from arithmetic rather than a dozen calendar getters.
 * A `TIMESTAMPTZ` takes the instant; a `TIMESTAMP` or a `DATE`, which drop the offset, take its
 * UTC wall time and day, as MySQL/MariaDB (a UTC session) and memory hold them and as they are
 * read back (`Sql.ts`). node-postgres sent the local time of the process's zone, its offset cut
 * to whole minutes: a `TIMESTAMP` or `DATE` compared in another zone matched other rows, and
 * before a zone's first rule (its local mean time) a `TIMESTAMPTZ` was stored up to a minute
 * off. An invalid date goes through node-postgres itself.
 *
 * @since 0.1.0
 */
export const dateText = (date: Date): string => {
  const time = date.getTime()
  if (!(time >= firstMillis && time < endMillis)) {
    return Number.isNaN(time) ? String(driver.utils.prepareValue(date)) : farDateText(date)
  }
  const day = Math.floor(time / dayMillis)
  if (day !== lastDay) {
    lastDay = day
    lastDayText = new Date(day * dayMillis).toISOString().slice(0, 11)
  }
  let rest = time - day * dayMillis
  const hours = Math.floor(rest / 3_600_000)
  rest -= hours * 3_600_000
  const minutes = Math.floor(rest / 60_000)
  rest -= minutes * 60_000
  const seconds = Math.floor(rest / 1_000)
  return `${lastDayText}${pad2[hours]}:${pad2[minutes]}:${pad2[seconds]}.${pad3[rest - seconds * 1_000]}+00:00`
}

/**
 * `value` with every `Date` in it, at any depth of arrays, as `dateText` writes it (node-postgres
 * writes a date in an array parameter in the process's zone too). The same value when it holds
 * none.
 *
 * @since 0.1.0
 */
export const exactDates = (value: unknown): unknown => {
  if (value instanceof Date) return dateText(value)
  if (!Array.isArray(value)) return value
  let changed = false
  const mapped = value.map((item) => {
    const exact = exactDates(item)
    if (exact !== item) changed = true
    return exact
  })
  return changed ? mapped : value
}

/**
 * The text of a parameter value as node-postgres sends it, `null` for SQL NULL: booleans as
 * `true` / `false`, numbers and bigints as JavaScript prints them, dates as above (in arrays too),
 * bytes as `\x` hex (node-postgres sends them in binary), anything else through node-postgres
 * itself (arrays as array literals, objects as JSON). A value given to the server as this text is
 * read by the column type's input function exactly as the bound parameter would be: COPY fields
 * and `createMany`'s JSON rows (`Statements.insertRecordset`) are made of it.
 *
 * @since 0.1.0
 */
export const text = (value: unknown): string | null => {
  switch (typeof value) {
    case "string":
      return value
    case "number":
    case "bigint":
      return String(value)
    case "boolean":
      return value ? "true" : "false"
    case "undefined":
      return null
  }
  if (value === null) return null
  if (value instanceof Date) return dateText(value)
  if (ArrayBuffer.isView(value)) {
    return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}`
  }
  const prepared = driver.utils.prepareValue(Array.isArray(value) ? exactDates(value) : value)
  return prepared === null || prepared === undefined ? null : String(prepared)
}

/**
 * One value as a field of the text format: `\N` for NULL, else its `text`, escaped (numbers and
 * booleans need no escaping).
 *
 * @since 0.1.0
 */
export const field = (value: unknown): string => {
  const written = text(value)
  if (written === null) return "\\N"
  return typeof value === "number" || typeof value === "bigint" || typeof value === "boolean"
    ? written
    : escape(written)
}

/**
 * Rows as lines of the text format, fields in the order of `columns`: one string, so that a chunk
 * is one write.
 *
 * @since 0.1.0
 */
export const lines = (columns: ReadonlyArray<string>, rows: ReadonlyArray<Row>): string => {
  const last = columns.length - 1
  let text = ""
  for (const row of rows) {
    for (let c = 0; c < last; c++) text += field(row[columns[c] as string]) + "\t"
    text += field(row[columns[last] as string]) + "\n"
  }
  return text
}

/**
 * `COPY "table" ("a", "b") FROM STDIN`, identifiers quoted.
 *
 * @since 0.1.0
 */
export const statement = (table: string, columns: ReadonlyArray<string>): string =>
  `COPY ${Pg.escapeIdentifier(table)} (${columns.map((c) => Pg.escapeIdentifier(c)).join(", ")}) FROM STDIN`

// ---------------------------------------------------------------------------------------------
// Streaming on a pooled connection
// ---------------------------------------------------------------------------------------------

const failure = (cause: unknown, message: string) => new SqlError({ cause, message })

/** Whether the server has answered the copy (done or failed): until then it may still be running. */
interface Progress {
  answered: boolean
}

/** A connection from the pool; acquisition runs to its end, so an interrupted wait leaks none. */
const connect = (pool: Pg.Pool) =>
  Effect.async<Pg.PoolClient, SqlError>((resume) => {
    pool.connect((cause, client) => {
      if (cause || !client) {
        resume(
          Effect.fail(failure(cause ?? new Error("no client returned"), "Failed to acquire a connection for COPY"))
        )
      } else {
        resume(Effect.succeed(client))
      }
    })
  })

/** Writes a chunk; when the connection's buffer is full, waits until it drains. */
const write = (stream: Writable, text: string): Effect.Effect<void> =>
  stream.write(text) ? Effect.void : Effect.async<void>((resume) => {
    const drained = () => resume(Effect.void)
    stream.once("drain", drained)
    return Effect.sync(() => stream.off("drain", drained))
  })

/**
 * `COPY ... FROM STDIN` on connections of `pool`, one per copy. On success the connection goes
 * back to the pool; on any failure or interruption it is discarded (after a cancel when the
 * server had not answered), so no connection is left checked out or mid-copy.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (pool: Pg.Pool): CopyFrom => (table, columns, rows) =>
  Effect.scoped(Effect.gen(function*() {
    const progress: Progress = { answered: false }
    const failed = yield* Deferred.make<never, SqlError>()
    const fail = (message: string) => (cause: unknown) => {
      progress.answered = true
      Deferred.unsafeDone(failed, Exit.fail(failure(cause, message)))
    }
    const lost = fail("Connection error during COPY")
    const client = yield* Effect.acquireRelease(
      Effect.tap(connect(pool), (client) => Effect.sync(() => client.on("error", lost))),
      (client, exit) =>
        Effect.gen(function*() {
          if (Exit.isSuccess(exit)) {
            client.off("error", lost)
            return client.release()
          }
          if (!progress.answered) {
            // A copy waiting on a lock would otherwise hold its connection until it woke; this runs
            // before `client` is closed, so the process id is still the copy's.
            yield* cancelBackend(pool, (client as unknown as { readonly processID?: unknown }).processID)
          }
          client.off("error", lost)
          client.release(true)
        })
    )
    const stream = client.query(copyFromStdin(statement(table, columns)))
    // Kept for the stream's whole life: a late error (the connection closed under it) has a listener.
    stream.on("error", fail("Failed to copy rows"))
    const finished = Effect.async<number>((resume) => {
      stream.once("finish", () => {
        progress.answered = true
        resume(Effect.succeed(stream.rowCount))
      })
      stream.end()
    })
    const load = Effect.zipRight(Stream.runForEach(rows, (chunk) => write(stream, lines(columns, chunk))), finished)
    return yield* Effect.raceFirst(load, Deferred.await(failed))
  }))
