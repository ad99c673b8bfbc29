/**
 * Where the benchmark servers are, and the raw driver clients built from the same settings.
 * Defaults are the local servers; `BENCH_PG_*`, `BENCH_MYSQL_*`, `BENCH_REDIS_*` override them.
 *
 * The MySQL and Redis drivers are loaded on first use, so that a process which only talks to
 * PostgreSQL (the export workers, whose memory is measured) loads neither.
 *
 * @since 0.1.0
 */
import * as Redacted from "effect/Redacted"
import type * as IORedis from "ioredis"
import type * as Mysql from "mysql2/promise"
import { createRequire } from "node:module"
import Pg from "pg"
import type { RedisOptions } from "../src/layers/Redis.js"
import type { SqlOptions } from "../src/layers/Sql.js"

const load = createRequire(import.meta.url)

const env = (name: string, fallback: string): string => process.env[name] ?? fallback

/** The pool size the issue fixes for the point-read comparison, used on both sides. */
export const poolSize = 10

/**
 * @since 0.1.0
 */
export const pg = {
  host: env("BENCH_PG_HOST", "127.0.0.1"),
  port: Number(env("BENCH_PG_PORT", "5432")),
  database: env("BENCH_PG_DATABASE", "test"),
  user: env("BENCH_PG_USER", "postgres"),
  password: process.env["BENCH_PG_PASSWORD"]
}

/**
 * @since 0.1.0
 */
export const mysql = {
  host: env("BENCH_MYSQL_HOST", "127.0.0.1"),
  port: Number(env("BENCH_MYSQL_PORT", "3306")),
  database: env("BENCH_MYSQL_DATABASE", "test"),
  user: env("BENCH_MYSQL_USER", "root"),
  password: process.env["BENCH_MYSQL_PASSWORD"]
}

/**
 * @since 0.1.0
 */
export const redis = {
  host: env("BENCH_REDIS_HOST", "127.0.0.1"),
  port: Number(env("BENCH_REDIS_PORT", "6379"))
}

/**
 * The DAO's PostgreSQL options, the same server and pool size as the raw pool.
 *
 * @since 0.1.0
 */
export const pgOptions: SqlOptions = {
  host: pg.host,
  port: pg.port,
  database: pg.database,
  username: pg.user,
  password: pg.password === undefined ? undefined : Redacted.make(pg.password),
  maxConnections: poolSize
}

/**
 * @since 0.1.0
 */
export const mysqlOptions: SqlOptions = {
  host: mysql.host,
  port: mysql.port,
  database: mysql.database,
  username: mysql.user,
  password: mysql.password === undefined ? undefined : Redacted.make(mysql.password),
  maxConnections: poolSize
}

/**
 * @since 0.1.0
 */
export const redisOptions: RedisOptions = { host: redis.host, port: redis.port }

/**
 * A raw `pg` pool of the same size.
 *
 * @since 0.1.0
 */
export const rawPg = (max = poolSize): Pg.Pool =>
  new Pg.Pool({
    host: pg.host,
    port: pg.port,
    database: pg.database,
    user: pg.user,
    ...(pg.password === undefined ? {} : { password: pg.password }),
    max
  })

/**
 * A raw `mysql2` pool of the same size.
 *
 * @since 0.1.0
 */
export const rawMysql = (max = poolSize): Mysql.Pool =>
  (load("mysql2/promise") as typeof Mysql).createPool({
    host: mysql.host,
    port: mysql.port,
    database: mysql.database,
    user: mysql.user,
    ...(mysql.password === undefined ? {} : { password: mysql.password }),
    connectionLimit: max
  })

/**
 * A raw ioredis connection.
 *
 * @since 0.1.0
 */
export const rawRedis = (autoPipelining = false): IORedis.Redis =>
  new (load("ioredis") as typeof IORedis).Redis({
    host: redis.host,
    port: redis.port,
    enableAutoPipelining: autoPipelining,
    lazyConnect: false
  })
