import * as SqlClient from "@effect/sql/SqlClient"
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Sql from "../../src/layers/Sql.js"
import { connectsOnceStarted, givesUpAfterFiveSeconds } from "../support/release.js"
import { describeLive, mysqlOptions, mysqlUrl, uniqueName } from "../support/services.js"
import { startProxy } from "../support/tcpProxy.js"

await describeLive("mariadb", "scoped MariaDB layer", () => {
  it.live("closes every pooled connection when the scope closes", () =>
    Effect.gen(function*() {
      const admin = yield* SqlClient.SqlClient
      const user = uniqueName("life").slice(0, 32)
      yield* admin.unsafe(`CREATE USER '${user}'@'%'`)
      yield* admin.unsafe(`CREATE USER '${user}'@'localhost'`)
      const count = admin<{ n: number }>`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE USER = ${user}`
        .pipe(
          Effect.map((rows) => Number(rows[0]?.n ?? -1))
        )
      const body = Effect.gen(function*() {
        assert.strictEqual(yield* count, 0)
        const scope = yield* Scope.make()
        const context = yield* Layer.buildWithScope(
          Sql.layerMysql({
            host: "127.0.0.1",
            port: 3306,
            username: user,
            database: "information_schema",
            maxConnections: 3
          }),
          scope
        )
        yield* Effect.all(
          Array.from({ length: 3 }, () =>
            Effect.flatMap(SqlClient.SqlClient, (client) => client`SELECT SLEEP(0.2)`).pipe(Effect.provide(context))),
          { concurrency: 3 }
        )
        assert.strictEqual(yield* count, 3)
        yield* Scope.close(scope, Exit.void)
        // The server notices closed sockets asynchronously; give it a moment.
        let after = yield* count
        for (let i = 0; i < 20 && after > 0; i++) {
          yield* Effect.sleep("50 millis")
          after = yield* count
        }
        assert.strictEqual(after, 0)
      })
      yield* body.pipe(
        Effect.ensuring(Effect.orDie(admin.unsafe(`DROP USER IF EXISTS '${user}'@'%', '${user}'@'localhost'`)))
      )
    }).pipe(Effect.provide(Sql.layerMysql(mysqlOptions))))
})

await describeLive("mariadb", "a MariaDB pool whose end does not come", () => {
  it.live("is given up on after 5 seconds when the scope closes", () =>
    Effect.gen(function*() {
      const server = new URL(mysqlUrl)
      const proxy = yield* Effect.promise(() =>
        startProxy({ host: server.hostname, port: Number(server.port || 3306) })
      )
      yield* Effect.addFinalizer(() => Effect.promise(() => proxy.stop()))
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        Sql.layerMysql({ ...mysqlOptions, host: "127.0.0.1", port: proxy.port }),
        scope
      )
      const run = (statement: string) =>
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(statement)).pipe(Effect.provide(context))
      yield* run("SELECT 1")
      // The server stops answering with a statement in flight: the pool's QUIT waits behind it.
      proxy.freeze()
      yield* givesUpAfterFiveSeconds(scope, run("SELECT 2"))
    }).pipe(Effect.scoped), 30_000)
})

await describeLive("mariadb", "a server still starting", () => {
  it.live(
    "refuses the first connect; it is tried again and the layer is built",
    () => connectsOnceStarted(mysqlUrl, 3306, (port) => Sql.layerMysql({ ...mysqlOptions, host: "127.0.0.1", port })),
    30_000
  )
})
