import * as SqlClient from "@effect/sql/SqlClient"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as Sql from "../../src/layers/Sql.js"
import { connectsOnceStarted, givesUpAfterFiveSeconds } from "../support/release.js"
import { describeLive, pgOptions, pgUrl, uniqueName } from "../support/services.js"
import { startSilentServer } from "../support/silentServer.js"

await describeLive("postgres", "scoped PostgreSQL layer", () => {
  it.live("opens its pooled connections and closes every one when the scope closes", () =>
    Effect.gen(function*() {
      const applicationName = uniqueName("lifecycle")
      const count = Effect.flatMap(SqlClient.SqlClient, (sql) =>
        sql<{ n: number }>`SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE application_name = ${applicationName}`)
        .pipe(
          Effect.map((rows) =>
            rows[0]?.n ?? -1
          ),
          Effect.provide(Sql.layerPg(pgOptions))
        )

      assert.strictEqual(yield* count, 0)
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        Sql.layerPg({ ...pgOptions, applicationName, maxConnections: 4 }),
        scope
      )
      const sql = SqlClient.SqlClient.pipe(Effect.provide(context))
      // Four concurrent sleepers hold four connections at once.
      yield* Effect.all(
        Array.from({ length: 4 }, () => Effect.flatMap(sql, (client) => client`SELECT pg_sleep(0.2)`)),
        { concurrency: 4 }
      )
      const pool = yield* Effect.flatMap(Sql.SqlBackend, (backend) => backend.pool).pipe(Effect.provide(context))
      assert.strictEqual(pool._tag === "Some" && pool.value.total, 4)
      assert.strictEqual(yield* count, 4)
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(yield* count, 0)
    }))
})

describe("a PostgreSQL pool whose end does not come", () => {
  it.live("is given up on after 5 seconds when the scope closes", () =>
    Effect.gen(function*() {
      const silent = yield* Effect.promise(() => startSilentServer())
      yield* Effect.addFinalizer(() => Effect.promise(() => silent.close()))
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        Sql.layerPg({ host: "127.0.0.1", port: silent.port, requireConnection: false, connectTimeout: "40 seconds" }),
        scope
      )
      // A connection being opened to a server that never answers: the pool's end waits for it.
      yield* givesUpAfterFiveSeconds(
        scope,
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT 1`).pipe(Effect.provide(context))
      )
    }).pipe(Effect.scoped), 30_000)
})

await describeLive("postgres", "a server still starting", () => {
  it.live(
    "refuses the first connect; it is tried again and the layer is built",
    () => connectsOnceStarted(pgUrl, 5432, (port) => Sql.layerPg({ ...pgOptions, host: "127.0.0.1", port })),
    30_000
  )
})
