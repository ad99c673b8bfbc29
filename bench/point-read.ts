/**
 * Point read by primary key: 40,000 reads from 32 concurrent callers over a pool of 10, the
 * repository's `findById` (rows decoded with the Schema) against a raw pool running the same
 * single-row SQL, on PostgreSQL and on MariaDB.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Dao from "./dao.js"
import { callers, compare, uniqueName } from "./harness.js"
import * as Servers from "./servers.js"

const reads = Number(process.env["BENCH_POINT_READS"] ?? 40_000)
const concurrency = 32
const rowCount = 10_000

/** The same pseudo-random id sequence for both sides. */
const ids = Array.from({ length: reads }, (_, i) => ((i * 7_919) % rowCount) + 1)

const select = `SELECT ${Dao.columns.join(", ")} FROM`

const daoRound = (repository: Awaited<ReturnType<typeof Dao.repositoryOf>>) => () =>
  repository.runtime.runPromise(
    Dao.fibers(reads, concurrency, (i) =>
      Effect.flatMap(repository.repository.findById(ids[i]!), (found) =>
        Option.isSome(found) ? Effect.void : Effect.dieMessage(`row ${ids[i]} missing`)))
  )

const postgres = async () => {
  const table = uniqueName("bench_point")
  const pool = Servers.rawPg()
  await pool.query(Dao.createTable("pg", table))
  const dao = await Dao.repositoryOf("pg", table)
  try {
    await pool.query(Dao.fillTable("pg", table, rowCount))
    await pool.query(`ANALYZE ${table}`)
    const text = `${select} "${table}" WHERE id = $1`
    await compare({
      title: "point read, PostgreSQL (findById vs pg Pool.query)",
      dao: { label: "findById", round: daoRound(dao) },
      raw: { label: "pg", round: () => callers(reads, concurrency, (i) => pool.query(text, [ids[i]])) },
      units: reads,
      unitName: "reads",
      target: 1.5
    })
  } finally {
    await dao.runtime.dispose()
    await pool.query(`DROP TABLE IF EXISTS ${table}`)
    await pool.end()
  }
}

const mariadb = async () => {
  const table = uniqueName("bench_point")
  const pool = Servers.rawMysql()
  await pool.query(Dao.createTable("mysql", table))
  const dao = await Dao.repositoryOf("mysql", table)
  try {
    await pool.query(Dao.fillTable("mysql", table, rowCount))
    const text = `${select} \`${table}\` WHERE id = ?`
    await compare({
      title: "point read, MariaDB (findById vs mysql2 pool.execute)",
      dao: { label: "findById", round: daoRound(dao) },
      raw: { label: "mysql2", round: () => callers(reads, concurrency, (i) => pool.execute(text, [ids[i]!])) },
      units: reads,
      unitName: "reads",
      target: 1.5
    })
  } finally {
    await dao.runtime.dispose()
    await pool.query(`DROP TABLE IF EXISTS ${table}`)
    await pool.end()
  }
}

/**
 * @since 0.1.0
 */
export const run = async (): Promise<void> => {
  await postgres()
  await mariadb()
}
