/**
 * The bundled migrations on a database of their own, on PostgreSQL and MariaDB (and SQL Server
 * when MSSQL_URL is set): concurrent starts
 * wait for each other, and a migration that fails is a typed error and stays unrecorded.
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import { DataAccessError } from "../../src/errors.js"
import * as Sql from "../../src/layers/Sql.js"
import { migrate, migrations } from "../../src/migrations/index.js"
import { describeLive, mssqlOptions, mysqlOptions, pgOptions, uniqueName } from "../support/services.js"
import { startProxy } from "../support/tcpProxy.js"

const ids = Object.keys(migrations).map((key) => Number.parseInt(key, 10))

const servers = [
  {
    backend: "postgres",
    port: 5432,
    layer: (database?: string, maxConnections = 10, port?: number) =>
      Sql.layerPg({ ...pgOptions, database, maxConnections, ...(port === undefined ? {} : { port }) })
  },
  {
    backend: "mariadb",
    port: 3306,
    layer: (database?: string, maxConnections = 10, port?: number) =>
      Sql.layerMysql({ ...mysqlOptions, database, maxConnections, ...(port === undefined ? {} : { port }) })
  },
  {
    backend: "mssql",
    port: undefined,
    layer: (database?: string, maxConnections = 10, port?: number) =>
      Sql.layerMssql({ ...(mssqlOptions ?? {}), database, maxConnections, ...(port === undefined ? {} : { port }) })
  }
] as const

for (const server of servers) {
  await describeLive(server.backend, `migrations (${server.backend})`, () => {
    /** A database made for `body` and dropped after it; `body` gets a layer on it (through a port). */
    const onFreshDatabase = <A, E>(
      body: (
        layer: (maxConnections?: number, port?: number) => Layer.Layer<SqlClient.SqlClient | Sql.SqlBackend, unknown>
      ) => Effect.Effect<A, E>
    ) =>
      Effect.gen(function*() {
        const database = uniqueName("mig")
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE DATABASE ${sql(database)}`
        return yield* body((maxConnections, port) => server.layer(database, maxConnections, port)).pipe(
          Effect.ensuring(Effect.ignore(sql`DROP DATABASE ${sql(database)}`))
        )
      }).pipe(Effect.provide(server.layer()))

    const recorded = Effect.flatMap(SqlClient.SqlClient, (sql) =>
      Effect.map(
        sql<{ readonly migration_id: unknown }>`SELECT migration_id FROM effect_dao_migrations ORDER BY migration_id`,
        (rows) => rows.map((row) => Number(row.migration_id))
      ).pipe(
        // None: a run that failed in one transaction left not even the table.
        Effect.catchTag("SqlError", () => Effect.succeed<Array<number>>([]))
      ))

    it.live(
      "concurrent starts wait for each other: each has its tables when it returns",
      () =>
        onFreshDatabase((layer) =>
          Effect.gen(function*() {
            // Two programs, each with a pool of its own, start together and use a table at once.
            const start = Effect.gen(function*() {
              const applied = yield* migrate
              const sql = yield* SqlClient.SqlClient
              const [row] = yield* sql<{ readonly n: unknown }>`SELECT COUNT(*) AS n FROM pipeline_sites`
              return { applied: applied.length, rows: Number(row?.n) }
            }).pipe(Effect.provide(layer()))
            const starts = yield* Effect.all([start, start, start], { concurrency: "unbounded" })
            assert.deepStrictEqual(starts.map((s) => s.rows), [0, 0, 0])
            assert.deepStrictEqual(starts.map((s) => s.applied).sort(), [0, 0, ids.length])
            assert.deepStrictEqual(yield* recorded.pipe(Effect.provide(layer())), ids)
          })
        ),
      { timeout: 60_000 }
    )

    it.live(
      "a migration that fails is a typed MigrationError, and it and those after it run again next start",
      () =>
        onFreshDatabase((layer) =>
          Effect.gen(function*() {
            // A table of the second migration's name already there: its CREATE TABLE fails.
            const sql = yield* SqlClient.SqlClient
            yield* sql`CREATE TABLE users (id INTEGER)`
            const failed = yield* Effect.flip(migrate)
            assert.instanceOf(failed, Migrator.MigrationError)
            assert.strictEqual((failed as Migrator.MigrationError).reason, "failed")
            // PostgreSQL rolled the whole run back; MariaDB had committed the first migration's DDL.
            const kept = yield* recorded
            assert.deepStrictEqual(kept, server.backend === "postgres" ? [] : [1])
            // Still failing while the table is in the way, then applying the rest once it is gone.
            assert.instanceOf(yield* Effect.flip(migrate), Migrator.MigrationError)
            yield* sql`DROP TABLE users`
            const applied = yield* migrate
            assert.deepStrictEqual(applied.map(([id]) => id), ids.filter((id) => !kept.includes(id)))
            assert.deepStrictEqual(yield* recorded, ids)
          }).pipe(Effect.provide(layer()))
        ),
      { timeout: 60_000 }
    )

    if (server.port !== undefined) {
      const port = server.port
      it.live(
        "a connection lost mid-run is a typed error, and what did not complete runs again next start",
        () =>
          onFreshDatabase((layer) =>
            Effect.gen(function*() {
              // Cut as the second migration starts: on MariaDB the first one's DDL is committed.
              const proxy = yield* Effect.acquireRelease(
                Effect.promise(() => startProxy({ host: "127.0.0.1", port }, { cutOn: "CREATE TABLE users" })),
                (proxy) => Effect.promise(() => proxy.stop())
              )
              const cut = yield* Effect.exit(migrate.pipe(Effect.provide(layer(10, proxy.port))))
              // A defect (the driver's SqlError) on both; on MariaDB every migration stayed recorded.
              assert.isTrue(Exit.isFailure(cut) && !Cause.isDie(cut.cause), String(cut))
              const kept = yield* recorded.pipe(Effect.provide(layer()))
              assert.deepStrictEqual(kept, server.backend === "postgres" ? [] : [1])
              const applied = yield* migrate.pipe(Effect.provide(layer()))
              assert.deepStrictEqual(applied.map(([id]) => id), ids.filter((id) => !kept.includes(id)))
              assert.deepStrictEqual(yield* recorded.pipe(Effect.provide(layer())), ids)
            }).pipe(Effect.scoped)
          ),
        { timeout: 60_000 }
      )
    }
  })
}

describe("migrations", () => {
  it("ids are unique and ascending", () => {
    assert.deepStrictEqual(ids, [...new Set(ids)].sort((a, b) => a - b))
  })
})

const failure = (layer: Layer.Layer<SqlClient.SqlClient | Sql.SqlBackend, unknown>) =>
  Effect.flip(Effect.provide(migrate, layer))

const assertDenied = (error: unknown) => {
  // Making the migrations table failed outside any migration: a raw SqlError reached the program.
  assert.instanceOf(error, DataAccessError)
  assert.strictEqual((error as DataAccessError).reason, "PermissionDenied")
  assert.strictEqual((error as DataAccessError).operation, "migrate")
}

await describeLive("postgres", "migrations by a role that may not create tables", () => {
  it.live("on PostgreSQL is a DataAccessError PermissionDenied", () =>
    Effect.gen(function*() {
      const database = uniqueName("mig_ro")
      const role = uniqueName("mig_ro_role")
      const admin = yield* SqlClient.SqlClient
      yield* admin.unsafe(`CREATE DATABASE ${database}`)
      yield* admin.unsafe(`CREATE ROLE ${role} LOGIN`)
      const cleanup = Effect.ignore(
        Effect.zipRight(
          admin.unsafe(`DROP DATABASE IF EXISTS ${database}`),
          admin.unsafe(`DROP ROLE IF EXISTS ${role}`)
        )
      )
      yield* Effect.gen(function*() {
        // The fresh database's owner takes CREATE on its public schema from everyone else.
        yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
          .pipe(Effect.provide(Sql.layerPg({ ...pgOptions, database, maxConnections: 1 })))
        assertDenied(yield* failure(Sql.layerPg({ ...pgOptions, database, username: role, maxConnections: 1 })))
      }).pipe(Effect.ensuring(cleanup))
    }).pipe(Effect.provide(Sql.layerPg(pgOptions))), { timeout: 30_000 })
})

await describeLive("mariadb", "migrations by a user that may not create tables", () => {
  it.live("on MariaDB is a DataAccessError PermissionDenied", () =>
    Effect.gen(function*() {
      const database = uniqueName("mig_ro")
      const user = uniqueName("mig_ro_user")
      const admin = yield* SqlClient.SqlClient
      yield* admin.unsafe(`CREATE DATABASE ${database}`)
      const hosts = ["%", "localhost", "127.0.0.1"]
      for (const host of hosts) {
        yield* admin.unsafe(`CREATE USER '${user}'@'${host}'`)
        yield* admin.unsafe(`GRANT SELECT ON ${database}.* TO '${user}'@'${host}'`)
      }
      const cleanup = Effect.ignore(Effect.all([
        admin.unsafe(`DROP DATABASE IF EXISTS ${database}`),
        ...hosts.map((host) => admin.unsafe(`DROP USER IF EXISTS '${user}'@'${host}'`))
      ]))
      yield* failure(Sql.layerMysql({ ...mysqlOptions, database, username: user, maxConnections: 1 })).pipe(
        Effect.map(assertDenied),
        Effect.ensuring(cleanup)
      )
    }).pipe(Effect.provide(Sql.layerMysql(mysqlOptions))), { timeout: 30_000 })
})
