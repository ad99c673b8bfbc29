/**
 * Bulk insert of 100,000 rows of 8 columns on PostgreSQL: the repository's `createMany`
 * (records encoded with the Schema, chunked under the parameter limit, each chunk one JSON
 * parameter, in one transaction) against raw `pg` multi-row INSERTs of the same chunk size in one
 * transaction; and the
 * repository's `loadMany` (the same encoding, streamed through one `COPY ... FROM STDIN`) against
 * `psql \copy` of the same rows from a CSV file written beforehand.
 *
 * @since 0.1.0
 */
import { execFile } from "node:child_process"
import { rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { dialects } from "../src/layers/Sql.js"
import { chunk } from "../src/layers/Statements.js"
import * as Dao from "./dao.js"
import { compare, uniqueName } from "./harness.js"
import * as Servers from "./servers.js"

const execFileAsync = promisify(execFile)

const rowCount = Number(process.env["BENCH_BULK_ROWS"] ?? 100_000)

/** The same chunk size as `createMany`: as many rows as fit under the parameter limit. */
const chunkRows = Math.floor(dialects.pg.maxParams / Dao.columns.length)

const insertText = (table: string, rows: number): string => {
  const groups: Array<string> = []
  for (let r = 0; r < rows; r++) {
    const base = r * Dao.columns.length
    groups.push(`(${Dao.columns.map((_, c) => `$${base + c + 1}`).join(",")})`)
  }
  return `INSERT INTO "${table}" (${Dao.columns.map((c) => `"${c}"`).join(",")}) VALUES ${groups.join(",")}`
}

/** One CSV field: NULL as an empty unquoted field, anything else quoted. */
const csvField = (value: unknown): string =>
  value === null || value === undefined
    ? ""
    : `"${(value instanceof Date ? value.toISOString() : String(value)).replaceAll("\"", "\"\"")}"`

/** The items as a CSV file for `psql \copy`, written once, not timed. */
const writeCsv = (items: ReadonlyArray<Dao.Item>, path: string): void => {
  const lines = items.map((item) => Dao.columns.map((column) => csvField(item[column])).join(","))
  writeFileSync(path, lines.join("\n") + "\n")
}

/** `psql \copy` of the CSV file into the table: a process, a connection and one COPY, as a user would run it. */
const psqlCopy = (table: string, path: string) => () =>
  execFileAsync("psql", [
    "-h",
    Servers.pg.host,
    "-p",
    String(Servers.pg.port),
    "-U",
    Servers.pg.user,
    "-d",
    Servers.pg.database,
    "-X",
    "-q",
    "-v",
    "ON_ERROR_STOP=1",
    "-c",
    `\\copy ${table} (${Dao.columns.join(", ")}) from '${path}' with (format csv)`
  ], {
    env: { ...process.env, ...(Servers.pg.password === undefined ? {} : { PGPASSWORD: Servers.pg.password }) }
  }).then(() => {})

/**
 * @since 0.1.0
 */
export const run = async (): Promise<void> => {
  const table = uniqueName("bench_bulk")
  const pool = Servers.rawPg()
  await pool.query(Dao.createTable("pg", table))
  const dao = await Dao.repositoryOf("pg", table)
  const items = Dao.makeItems(rowCount)
  const csv = join(tmpdir(), `${table}.csv`)
  try {
    const raw = async () => {
      const client = await pool.connect()
      try {
        await client.query("BEGIN")
        for (const rows of chunk(items, Dao.columns.length, dialects.pg.maxParams)) {
          const params: Array<unknown> = []
          for (const item of rows) for (const column of Dao.columns) params.push(item[column])
          await client.query(insertText(table, rows.length), params)
        }
        await client.query("COMMIT")
      } catch (error) {
        await client.query("ROLLBACK")
        throw error
      } finally {
        client.release()
      }
    }
    await compare({
      title: `bulk insert ${rowCount.toLocaleString("en-US")} rows x 8 columns, PostgreSQL (chunks of ${chunkRows})`,
      dao: {
        label: "createMany",
        round: () => dao.runtime.runPromise(dao.repository.createMany(items)).then(() => {})
      },
      raw: { label: "pg multi-row INSERT", round: raw },
      beforeRound: () => pool.query(`TRUNCATE ${table}`).then(() => {}),
      units: rowCount,
      unitName: "rows",
      warmup: 1,
      rounds: 5,
      target: 1.0
    })
    writeCsv(items, csv)
    await compare({
      title: `bulk load ${rowCount.toLocaleString("en-US")} rows x 8 columns, PostgreSQL (COPY)`,
      dao: {
        label: "loadMany",
        round: () => dao.runtime.runPromise(dao.repository.loadMany(items)).then(() => {})
      },
      raw: { label: "psql \\copy", round: psqlCopy(table, csv) },
      beforeRound: () => pool.query(`TRUNCATE ${table}`).then(() => {}),
      units: rowCount,
      unitName: "rows",
      warmup: 1,
      rounds: 5,
      target: 1 / 1.3
    })
  } finally {
    rmSync(csv, { force: true })
    await dao.runtime.dispose()
    await pool.query(`DROP TABLE IF EXISTS ${table}`)
    await pool.end()
  }
}
