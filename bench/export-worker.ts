/**
 * One streamed export in a fresh process, so that its peak RSS is its own: reads every row of a
 * table and prints `{ ms, rows, baseRssMb, peakRssMb }` as one JSON line.
 *
 * Usage: `tsx bench/export-worker.ts dao|raw <table> <chunkSize>`.
 *
 * @since 0.1.0
 */
// Loaded by both sides, so that both processes hold the same modules: the DAO's PostgreSQL layer
// would otherwise load its client only when built.
import "@effect/sql-pg/PgClient"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { performance } from "node:perf_hooks"
import * as Dao from "./dao.js"
import * as Servers from "./servers.js"

const [side, table, chunkText] = process.argv.slice(2)
const chunkSize = Number(chunkText ?? 1000)

const viaDao = async (): Promise<number> => {
  const dao = await Dao.repositoryOf("pg", table!)
  try {
    return await dao.runtime.runPromise(
      Stream.runFoldEffect(dao.repository.stream(undefined, chunkSize), 0, (count) => Effect.succeed(count + 1))
    )
  } finally {
    await dao.runtime.dispose()
  }
}

const viaRaw = async (): Promise<number> => {
  const pool = Servers.rawPg()
  try {
    const text = `SELECT ${Dao.columns.join(", ")} FROM "${table}" WHERE id > $1 ORDER BY id LIMIT $2`
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

const main = async () => {
  const baseRssMb = process.memoryUsage().rss / 2 ** 20
  const start = performance.now()
  const rows = side === "dao" ? await viaDao() : await viaRaw()
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
