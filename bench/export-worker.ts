/**
 * One streamed export in a fresh process, so that its peak RSS is its own: reads every row of a
 * table and prints `{ ms, rows, baseRssMb, peakRssMb }` as one JSON line.
 *
 * - `dao-pages`: `Repository.forEachPage`, an effect per row of each page.
 * - `dao`: `Repository.stream`, consumed with `Stream.runFoldEffect` (an effect per row).
 * - `raw`: a `pg` keyset loop with the same SQL and page size, counting rows.
 * - `effect-stream`: the same `pg` pages in an Effect `Stream` (no repository, no decoding),
 *   consumed like the DAO's: what that consumer costs with no library under it.
 * - `dao-count`, `effect-stream-count`: the same two streams consumed with `Stream.runCount`,
 *   which takes each chunk without running an effect.
 * - `generated-stream`, `generated-pages`: as many rows made in the process, with no database,
 *   through an Effect `Stream` into `Stream.runFoldEffect`, and through a plain Effect loop with
 *   an effect per row: what the consumers hold with no library and no driver under them.
 *
 * Usage: `node export-worker.mjs <side> <table> <chunkSize> <rows>` (`rows`: of the generated sides).
 *
 * @since 0.1.0
 */
// Loaded by both sides, so that both processes hold the same modules: the DAO's PostgreSQL layer
// would otherwise load its client only when built.
import "@effect/sql-pg/PgClient"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { performance } from "node:perf_hooks"
import * as Dao from "./dao.js"
import * as Servers from "./servers.js"

const [side, table, chunkText, rowsText] = process.argv.slice(2)
const chunkSize = Number(chunkText ?? 1000)

/** The consumer of the streams: one effect per row, or `Stream.runCount` for the `-count` sides. */
const countRows = <E, R>(stream: Stream.Stream<unknown, E, R>): Effect.Effect<number, E, R> =>
  side?.endsWith("-count")
    ? Stream.runCount(stream)
    : Stream.runFoldEffect(stream, 0, (count) => Effect.succeed(count + 1))

const viaDao = async (): Promise<number> => {
  const dao = await Dao.repositoryOf("pg", table!)
  try {
    return await dao.runtime.runPromise(countRows(dao.repository.stream(undefined, chunkSize)))
  } finally {
    await dao.runtime.dispose()
  }
}

/**
 * `Repository.stream` with the effect per row inside the stream (`Stream.tap`), drained with
 * `Stream.runDrain`: no effectful `Sink`.
 */
const viaDaoTap = async (): Promise<number> => {
  const dao = await Dao.repositoryOf("pg", table!)
  try {
    let count = 0
    await dao.runtime.runPromise(
      dao.repository.stream(undefined, chunkSize).pipe(
        Stream.tap(() => Effect.sync(() => void count++)),
        Stream.runDrain
      )
    )
    return count
  } finally {
    await dao.runtime.dispose()
  }
}

/** `Repository.forEachPage` with the same consumer as the streams: one effect per row. */
const viaDaoPages = async (): Promise<number> => {
  const dao = await Dao.repositoryOf("pg", table!)
  try {
    let count = 0
    const visited = await dao.runtime.runPromise(
      dao.repository.forEachPage(
        (page) => Effect.forEach(page, () => Effect.sync(() => void count++), { discard: true }),
        undefined,
        chunkSize
      )
    )
    if (visited !== count) throw new Error(`forEachPage answered ${visited} rows, the consumer saw ${count}`)
    return count
  } finally {
    await dao.runtime.dispose()
  }
}

const text = `SELECT ${Dao.columns.join(", ")} FROM "${table}" WHERE id > $1 ORDER BY id LIMIT $2`

const viaRaw = async (): Promise<number> => {
  const pool = Servers.rawPg()
  try {
    let after = 0
    let count = 0
    for (;;) {
      const { rows } = await pool.query<{ id: number }>(text, [after, chunkSize])
      count += rows.length
      if (rows.length < chunkSize) return count
      after = rows[rows.length - 1]!.id
    }
  } finally {
    await pool.end()
  }
}

const viaEffectStream = async (): Promise<number> => {
  const pool = Servers.rawPg()
  try {
    const pages = Stream.paginateChunkEffect(
      0,
      (after: number) =>
        Effect.map(Effect.promise(() => pool.query<{ id: number }>(text, [after, chunkSize])), ({ rows }) => {
          const last = rows[rows.length - 1]
          const next = rows.length < chunkSize || last === undefined ? Option.none() : Option.some(last.id)
          return [Chunk.unsafeFromArray(rows), next] as const
        })
    )
    return await Effect.runPromise(countRows(pages))
  } finally {
    await pool.end()
  }
}

/**
 * Pages of rows made in the process (no database, no driver), each handed over on the next
 * turn of the event loop as a page read from a socket would be: whether what the consumers keep
 * alive comes from the library and its driver or from the consumer.
 */
const generatedRows = Number(rowsText ?? 1_000_000)

const generatedPage = (after: number) =>
  Effect.async<ReadonlyArray<Dao.Item>>((resume) => {
    setImmediate(() => resume(Effect.succeed(Dao.makeItems(Math.min(chunkSize, generatedRows - after), after))))
  })

const viaGeneratedStream = (): Promise<number> =>
  Effect.runPromise(countRows(
    Stream.paginateChunkEffect(0, (after: number) =>
      Effect.map(generatedPage(after), (rows) => {
        const next = after + rows.length
        return [Chunk.unsafeFromArray(rows), next < generatedRows ? Option.some(next) : Option.none()] as const
      }))
  ))

const viaGeneratedPages = (): Promise<number> =>
  Effect.runPromise(Effect.gen(function*() {
    let count = 0
    while (count < generatedRows) {
      const page = yield* generatedPage(count)
      yield* Effect.forEach(page, () => Effect.sync(() => void count++), { discard: true })
    }
    return count
  }))

const sides: Record<string, () => Promise<number>> = {
  dao: viaDao,
  "dao-pages": viaDaoPages,
  "dao-tap": viaDaoTap,
  raw: viaRaw,
  "effect-stream": viaEffectStream,
  "dao-count": viaDao,
  "effect-stream-count": viaEffectStream,
  "generated-stream": viaGeneratedStream,
  "generated-pages": viaGeneratedPages
}

const main = async () => {
  const baseRssMb = process.memoryUsage().rss / 2 ** 20
  const start = performance.now()
  const rows = await sides[side ?? ""]!()
  const ms = performance.now() - start
  const peakRssMb = process.resourceUsage().maxRSS / 1024
  console.log(JSON.stringify({ ms, rows, baseRssMb, peakRssMb }))
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
