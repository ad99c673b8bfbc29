/**
 * Where the live suites find their servers, and whether they run.
 *
 * Defaults: PostgreSQL, MariaDB and Redis on 127.0.0.1 at their standard ports, databases `test`.
 * Override with TEST_DATABASE_URL, TEST_MYSQL_URL, TEST_REDIS_URL; SQL Server runs only when
 * MSSQL_URL is set. A live suite whose server is absent is skipped with a printed reason, unless
 * DAO_REQUIRE_SERVICES=1, when it fails instead. DAO_BACKENDS=memory,postgres narrows a run.
 */
import { describe, it } from "@effect/vitest"
import * as Redacted from "effect/Redacted"
import * as net from "node:net"
import type { RedisOptions } from "../../src/layers/Redis.js"
import type { SqlOptions } from "../../src/layers/Sql.js"

export type TestBackend = "memory" | "pglite" | "postgres" | "mariadb" | "mssql" | "redis"

const env = process.env

export const pgUrl = env["TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"
export const mysqlUrl = env["TEST_MYSQL_URL"] ?? "mysql://root@127.0.0.1:3306/test"
export const redisUrl = env["TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379/0"
export const mssqlUrl = env["MSSQL_URL"]

export const pgOptions: SqlOptions = { url: Redacted.make(pgUrl), maxConnections: 10 }
export const mysqlOptions: SqlOptions = { url: Redacted.make(mysqlUrl), maxConnections: 10 }
export const redisOptions: RedisOptions = { url: Redacted.make(redisUrl) }
export const mssqlOptions: SqlOptions | undefined = mssqlUrl ? { url: Redacted.make(mssqlUrl) } : undefined

export const requireServices = env["DAO_REQUIRE_SERVICES"] === "1"

const selected = (backend: TestBackend): boolean => {
  const list = env["DAO_BACKENDS"]
  return list === undefined || list.split(",").map((s) => s.trim()).includes(backend)
}

const reachable = (url: string, defaultPort: number): Promise<boolean> =>
  new Promise((resolve) => {
    const parsed = new URL(url)
    const socket = net.connect({ host: parsed.hostname, port: Number(parsed.port || defaultPort) })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1_000, () => done(false))
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
  })

const availability: Record<TestBackend, Promise<boolean>> = {
  memory: Promise.resolve(true),
  pglite: Promise.resolve(true),
  postgres: reachable(pgUrl, 5432),
  mariadb: reachable(mysqlUrl, 3306),
  redis: reachable(redisUrl, 6379),
  mssql: mssqlUrl ? reachable(mssqlUrl, 1433) : Promise.resolve(false)
}

/** Whether a backend's suite runs here; throws (so the file fails) when it must and cannot. */
export const isAvailable = async (backend: TestBackend): Promise<boolean> => {
  if (!selected(backend)) return false
  const up = await availability[backend]
  // SQL Server is optional: its suite runs only when MSSQL_URL is set.
  if (!up && requireServices && backend !== "mssql") {
    throw new Error(`${backend} is required (DAO_REQUIRE_SERVICES=1) but not reachable`)
  }
  if (!up) console.warn(`[skip] ${backend}: server not reachable${backend === "mssql" ? " (set MSSQL_URL)" : ""}`)
  return up
}

/**
 * A `describe` that runs only when the backend is available: skipped with a printed reason
 * otherwise, and failing when DAO_REQUIRE_SERVICES=1.
 */
export const describeLive = async (backend: TestBackend, name: string, body: () => void): Promise<void> => {
  let up: boolean
  try {
    up = await isAvailable(backend)
  } catch (error) {
    describe(name, () => {
      it(`requires ${backend}`, () => {
        throw error
      })
    })
    return
  }
  if (up) describe(name, body)
  else describe.skip(`${name} (${backend} not available)`, body)
}

/** A name no other test (or run) uses: for tables and keys. */
export const uniqueName = (prefix: string): string =>
  `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
