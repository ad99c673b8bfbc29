/**
 * Streamed export of 1,000,000 rows on PostgreSQL: the repository's `stream` (keyset pages,
 * rows decoded with the Schema) against a raw `pg` keyset loop with the same page size. Each
 * export runs in a fresh process (`export-worker.ts`, bundled to plain JavaScript first so that
 * no TypeScript loader sits in the process) so that its peak RSS is measured alone.
 *
 * Both processes load the same modules, those a PostgreSQL export needs: effect, @effect/sql,
 * @effect/sql-pg, @effect/experimental (Reactivity) and pg. Neither loads the MySQL, SQL Server or
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

const worker = async (script: string, side: "dao" | "raw", table: string): Promise<Figures> => {
  const { stdout } = await run_(process.execPath, [script, side, table, String(chunkSize)], {
    maxBuffer: 1 << 20
  })
  const figures = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as Figures
  if (figures.rows !== rowCount) throw new Error(`${side} export read ${figures.rows} rows, expected ${rowCount}`)
  return figures
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
    const dao: Array<Figures> = []
    const raw: Array<Figures> = []
    for (let i = 0; i < rounds; i++) {
      raw.push(await worker(script, "raw", table))
      dao.push(await worker(script, "dao", table))
    }
    const daoMs = median(dao.map((f) => f.ms))
    const rawMs = median(raw.map((f) => f.ms))
    const rate = (ms: number) => Math.round((rowCount * 1000) / ms).toLocaleString("en-US")
    // Peaks vary with when V8 chooses to collect: the median of the rounds, and the highest.
    const daoPeak = median(dao.map((f) => f.peakRssMb))
    const rawPeak = median(raw.map((f) => f.peakRssMb))
    const daoHighest = Math.max(...dao.map((f) => f.peakRssMb))
    const daoBase = median(dao.map((f) => f.baseRssMb))
    const rawBase = median(raw.map((f) => f.baseRssMb))
    record({
      title: `streamed export of ${rowCount.toLocaleString("en-US")} rows (pages of ${chunkSize}), PostgreSQL`,
      dao: `stream ${rate(daoMs)} rows/s, peak RSS ${daoPeak.toFixed(0)} MB (highest ${daoHighest.toFixed(0)} MB; ${
        daoBase.toFixed(0)
      } MB at start)`,
      raw: `pg keyset loop ${rate(rawMs)} rows/s, peak RSS ${rawPeak.toFixed(0)} MB (${
        rawBase.toFixed(0)
      } MB at start)`,
      ratio: `${(rawMs / daoMs).toFixed(2)}x`,
      target: `(target peak RSS < 150 MB: ${daoHighest < 150 ? "met" : "missed"})`
    })
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${table}`)
    await pool.end()
  }
}
