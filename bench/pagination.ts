/**
 * Keyset against offset pagination over 1,000,000 rows on PostgreSQL: page 1 and the page at
 * depth 500,000 through `listCursor` and `listPage`, each beside the raw `pg` query of the same
 * page (`WHERE id > $1 ... LIMIT`, `LIMIT ... OFFSET`).
 *
 * `listPage` also counts the rows (its `total`), so the raw offset side runs the same COUNT.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Cursor from "../src/schemas/Cursor.js"
import * as Dao from "./dao.js"
import { compare, median, record, time, uniqueName } from "./harness.js"
import * as Servers from "./servers.js"

const rowCount = Number(process.env["BENCH_PAGE_ROWS"] ?? 1_000_000)
const depth = Math.floor(rowCount / 2)
const perPage = 100
const calls = 20

/**
 * @since 0.1.0
 */
export const run = async (): Promise<void> => {
  const table = uniqueName("bench_page")
  const pool = Servers.rawPg()
  await pool.query(Dao.createTable("pg", table))
  const dao = await Dao.repositoryOf("pg", table)
  try {
    await pool.query(Dao.fillTable("pg", table, rowCount))
    await pool.query(`VACUUM ANALYZE ${table}`)
    const select = `SELECT ${Dao.columns.join(", ")} FROM "${table}"`
    const sort = [{ field: "id", direction: "asc" as const, nulls: "last" as const }]
    // The cursor `listCursor` hands out after the row at this depth (ids run 1..rowCount).
    const deepCursor = await Effect.runPromise(Cursor.encode(table, sort, [depth]))
    const repeat = (f: () => Promise<unknown>) => async () => {
      for (let i = 0; i < calls; i++) await f()
    }
    const keysetDao = (after: string | undefined) =>
      repeat(() =>
        dao.runtime.runPromise(dao.repository.listCursor(
          after === undefined ? { limit: perPage } : {
            limit: perPage,
            after
          }
        ))
      )
    const keysetRaw = (after: number) =>
      repeat(() => pool.query(`${select} WHERE id > $1 ORDER BY id LIMIT $2`, [after, perPage + 1]))
    const offsetDao = (page: number) => repeat(() => dao.runtime.runPromise(dao.repository.listPage({ page, perPage })))
    const offsetRaw = (offset: number) =>
      repeat(async () => {
        await pool.query(`SELECT COUNT(*) AS n FROM "${table}"`)
        await pool.query(`${select} ORDER BY id LIMIT $1 OFFSET $2`, [perPage, offset])
      })
    const units = { units: calls, unitName: "pages", warmup: 1, rounds: 5 }
    await compare({
      title: `keyset page 1 (listCursor, ${perPage} rows)`,
      dao: { label: "listCursor", round: keysetDao(undefined) },
      raw: { label: "pg WHERE id >", round: keysetRaw(0) },
      ...units
    })
    await compare({
      title: `keyset page at depth ${depth.toLocaleString("en-US")}`,
      dao: { label: "listCursor", round: keysetDao(deepCursor) },
      raw: { label: "pg WHERE id >", round: keysetRaw(depth) },
      ...units
    })
    await compare({
      title: `offset page 1 (listPage, with COUNT)`,
      dao: { label: "listPage", round: offsetDao(1) },
      raw: { label: "pg COUNT + OFFSET", round: offsetRaw(0) },
      ...units
    })
    await compare({
      title: `offset page at depth ${depth.toLocaleString("en-US")}`,
      dao: { label: "listPage", round: offsetDao(depth / perPage + 1) },
      raw: { label: "pg COUNT + OFFSET", round: offsetRaw(depth) },
      ...units,
      rounds: 3
    })
    const perCall = async (f: () => Promise<void>) => {
      await f()
      const rounds: Array<number> = []
      for (let i = 0; i < 5; i++) rounds.push(await time(f))
      return median(rounds) / calls
    }
    const keysetFirst = await perCall(keysetDao(undefined))
    const keysetDeep = await perCall(keysetDao(deepCursor))
    const offsetFirst = await perCall(offsetDao(1))
    const offsetDeep = await perCall(offsetDao(depth / perPage + 1))
    const spread = keysetDeep / keysetFirst
    record({
      title: "keyset deep page / page 1 (DAO)",
      dao: `listCursor ${keysetDeep.toFixed(2)} ms vs ${keysetFirst.toFixed(2)} ms`,
      raw: `listPage ${offsetDeep.toFixed(2)} ms vs ${offsetFirst.toFixed(2)} ms (${
        (offsetDeep / offsetFirst).toFixed(1)
      }x)`,
      ratio: `${spread.toFixed(2)}x`,
      target: `(target <= 2x: ${spread <= 2 ? "met" : "missed"})`
    })
  } finally {
    await dao.runtime.dispose()
    await pool.query(`DROP TABLE IF EXISTS ${table}`)
    await pool.end()
  }
}
