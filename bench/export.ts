/**
 * Streamed export of 1,000,000 rows on PostgreSQL: the repository's `forEachPage` and `stream`
 * (keyset pages, rows decoded with the Schema), each with an effect per row (the stream's both in
 * `Stream.tap` drained by `Stream.runDrain` and in `Stream.runFoldEffect`), against a raw `pg`
 * keyset loop with the same page size. Each
 * export runs in a fresh process (`export-worker.ts`, bundled to plain JavaScript first so that
 * no TypeScript loader sits in the process) so that its peak RSS is measured alone.
 *
 * Two more lines split the figure: the same consumer (`Stream.runFoldEffect`, an effect per row)
 * over the same `pg` pages in an Effect `Stream` with no repository, and both streams consumed
 * with `Stream.runCount` instead. See `export-worker.ts` for the sides.
 *
 * Every process loads the same modules, those a PostgreSQL export needs: effect, @effect/sql,
 * @effect/sql-pg, @effect/experimental (Reactivity) and pg. None loads the MySQL, SQL Server or
 * Redis drivers: the library loads a driver only when its layer is built.
 *
 * @since 0.1.0
 */
import { build } from "esbuild"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import * as Dao from "./dao.js"
import { median, record, uniqueName } from "./harness.js"
import * as Servers from "./servers.js"

const rowCount = Number(process.env["BENCH_EXPORT_ROWS"] ?? 1_000_000)
const chunkSize = 1_000
const rounds = 3
const run_ = promisify(execFile)

interface Figures {
  readonly ms: number
  readonly rows: number
  readonly baseRssMb: number
  readonly peakRssMb: number
}

/**
 * Bundles the worker (dependencies left to `node_modules`) and answers the bundle's path. Split
 * into chunks so that the library's lazily loaded modules stay lazy, as they are unbundled.
 */
const bundle = async (): Promise<string> => {
  const outdir = fileURLToPath(new URL("./data/export-worker/", import.meta.url))
  await build({
    entryPoints: { "export-worker": fileURLToPath(new URL("./export-worker.ts", import.meta.url)) },
    outdir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    packages: "external",
    platform: "node",
    format: "esm",
    logLevel: "error"
  })
  return `${outdir}export-worker.mjs`
}

const sides = [
  "raw",
  "dao-pages",
  "dao-tap",
  "dao",
  "effect-stream",
  "dao-count",
  "effect-stream-count",
  "generated-stream",
  "generated-pages"
] as const
type Side = typeof sides[number]

const worker = async (script: string, side: Side, table: string): Promise<Figures> => {
  const { stdout } = await run_(process.execPath, [script, side, table, String(chunkSize), String(rowCount)], {
    maxBuffer: 1 << 20
  })
  const figures = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as Figures
  if (figures.rows !== rowCount) throw new Error(`${side} export read ${figures.rows} rows, expected ${rowCount}`)
  return figures
}

const rate = (ms: number) => Math.round((rowCount * 1000) / ms).toLocaleString("en-US")

/** Medians of the rounds; peaks vary with when V8 chooses to collect, so the highest too. */
const summary = (rounds: ReadonlyArray<Figures>) => {
  const ms = median(rounds.map((f) => f.ms))
  const peak = median(rounds.map((f) => f.peakRssMb))
  const highest = Math.max(...rounds.map((f) => f.peakRssMb))
  const base = median(rounds.map((f) => f.baseRssMb))
  return {
    ms,
    highest,
    text: `${rate(ms)} rows/s, peak RSS ${peak.toFixed(0)} MB (highest ${highest.toFixed(0)} MB; ${
      base.toFixed(0)
    } MB at start)`
  }
}

/**
 * @since 0.1.0
 */
export const run = async (): Promise<void> => {
  const table = uniqueName("bench_export")
  const pool = Servers.rawPg()
  await pool.query(Dao.createTable("pg", table))
  try {
    await pool.query(Dao.fillTable("pg", table, rowCount))
    await pool.query(`VACUUM ANALYZE ${table}`)
    const script = await bundle()
    const figures = Object.fromEntries(sides.map((side) => [side, [] as Array<Figures>])) as Record<
      Side,
      Array<Figures>
    >
    for (let i = 0; i < rounds; i++) {
      for (const side of sides) figures[side].push(await worker(script, side, table))
    }
    const pages = summary(figures["dao-pages"])
    const tapped = summary(figures["dao-tap"])
    const dao = summary(figures.dao)
    const raw = summary(figures.raw)
    const effectStream = summary(figures["effect-stream"])
    const daoCount = summary(figures["dao-count"])
    const effectStreamCount = summary(figures["effect-stream-count"])
    const title = `streamed export of ${rowCount.toLocaleString("en-US")} rows (pages of ${chunkSize}), PostgreSQL`
    const target = (highest: number) => `(target peak RSS < 150 MB: ${highest < 150 ? "met" : "missed"})`
    record({
      title: `${title}, Repository.forEachPage (an effect per row)`,
      dao: `forEachPage ${pages.text}`,
      raw: `pg keyset loop ${raw.text}`,
      ratio: `${(raw.ms / pages.ms).toFixed(2)}x`,
      target: target(pages.highest)
    })
    record({
      title: `${title}, Repository.stream with Stream.tap (an effect per row) into Stream.runDrain`,
      dao: `stream ${tapped.text}`,
      raw: `pg keyset loop ${raw.text}`,
      ratio: `${(raw.ms / tapped.ms).toFixed(2)}x`,
      target: target(tapped.highest)
    })
    record({
      title: `${title}, Repository.stream into Stream.runFoldEffect (an effect per row)`,
      dao: `stream ${dao.text}`,
      raw: `pg keyset loop ${raw.text}`,
      ratio: `${(raw.ms / dao.ms).toFixed(2)}x`,
      target: target(dao.highest)
    })
    // The same consumer over the same pages with no repository: what the consumer itself costs.
    record({
      title: `${title}, the same consumer over raw pg pages in an Effect Stream`,
      dao: `stream ${dao.text}`,
      raw: `Stream of pg pages ${effectStream.text}`,
      ratio: `${(effectStream.ms / dao.ms).toFixed(2)}x`,
      target: ""
    })
    const generatedStream = summary(figures["generated-stream"])
    const generatedPages = summary(figures["generated-pages"])
    // Rows made in the process, no database: the Stream's effectful Sink against a plain loop.
    record({
      title: `${rowCount.toLocaleString("en-US")} rows made in the process (no database), an effect per row`,
      dao: `Effect loop over the pages ${generatedPages.text}`,
      raw: `Stream into Stream.runFoldEffect ${generatedStream.text}`,
      ratio: `${(generatedStream.ms / generatedPages.ms).toFixed(2)}x`,
      target: ""
    })
    record({
      title: `${title}, both streams consumed with Stream.runCount (no effect per chunk)`,
      dao: `stream ${daoCount.text}`,
      raw: `Stream of pg pages ${effectStreamCount.text}`,
      ratio: `${(effectStreamCount.ms / daoCount.ms).toFixed(2)}x`,
      target: ""
    })
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${table}`)
    await pool.end()
  }
}
