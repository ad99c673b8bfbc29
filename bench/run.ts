/**
 * Runs the benchmarks: all of them, or those named on the command line
 * (`npm run bench -- point-read cache-hit`).
 *
 * @since 0.1.0
 */
import { mkdirSync, writeFileSync } from "node:fs"
import * as BulkInsert from "./bulk-insert.js"
import * as CacheHit from "./cache-hit.js"
import * as Export from "./export.js"
import { results } from "./harness.js"
import * as Pagination from "./pagination.js"
import * as PointRead from "./point-read.js"

const benchmarks: Record<string, { readonly description: string; readonly run: () => Promise<void> }> = {
  "point-read": { description: "findById vs raw pool, PostgreSQL and MariaDB", run: PointRead.run },
  "bulk-insert": {
    description: "createMany vs raw multi-row INSERT, loadMany (COPY) vs psql \\copy, PostgreSQL",
    run: BulkInsert.run
  },
  "pagination": { description: "keyset vs offset pages over 1,000,000 rows, PostgreSQL", run: Pagination.run },
  "cache-hit": {
    description: "Cache.get vs raw ioredis get + JSON.parse, with and without pipelining",
    run: CacheHit.run
  },
  "export": { description: "streamed export of 1,000,000 rows: rows/s and peak RSS, PostgreSQL", run: Export.run }
}

const main = async () => {
  const asked = process.argv.slice(2).filter((arg) => arg !== "--")
  const unknown = asked.filter((name) => !(name in benchmarks))
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(", ")}; known: ${Object.keys(benchmarks).join(", ")}`)
    process.exit(2)
  }
  const chosen = asked.length > 0 ? asked : Object.keys(benchmarks)
  for (const name of chosen) {
    const benchmark = benchmarks[name]!
    console.log(`\n# ${name}: ${benchmark.description}`)
    await benchmark.run()
  }
  const table = [
    "| benchmark | effect-dao | raw driver | ratio | target |",
    "| --- | --- | --- | --- | --- |",
    ...results().map((row) => `| ${row.title} | ${row.dao} | ${row.raw} | ${row.ratio} | ${row.target} |`)
  ].join("\n")
  console.log(`\n${table}`)
  mkdirSync(new URL("./data/", import.meta.url), { recursive: true })
  writeFileSync(new URL("./data/last-run.md", import.meta.url), `${new Date().toISOString()}\n\n${table}\n`)
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
