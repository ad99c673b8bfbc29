import * as SqlClient from "@effect/sql/SqlClient"
import { assert, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Ref from "effect/Ref"
import { RetryPolicy, transaction } from "../../src/layers/Resilience.js"
import * as Sql from "../../src/layers/Sql.js"
import { describeLive, mysqlOptions, uniqueName } from "../support/services.js"

const fast = {
  ...RetryPolicy.defaultValue(),
  sql: { ...RetryPolicy.defaultValue().sql, baseDelay: "1 millis" as const }
}

await describeLive("mariadb", "transactions on MariaDB", () => {
  it.live(
    "a deadlock in a savepoint rolls back the whole transaction, which is tried again whole",
    () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const rows = uniqueName("dl_rows")
        const log = uniqueName("dl_log")
        const heavy = uniqueName("dl_heavy")
        yield* sql.unsafe(`CREATE TABLE ${rows} (id INT PRIMARY KEY, n INT NOT NULL)`)
        yield* sql.unsafe(`CREATE TABLE ${log} (note VARCHAR(20) NOT NULL)`)
        yield* sql.unsafe(`CREATE TABLE ${heavy} (id INT PRIMARY KEY)`)
        yield* sql.unsafe(`INSERT INTO ${rows} VALUES (1, 0), (2, 0)`)
        const run = (statement: string) => Sql.run({ operation: "test.deadlock" })(sql.unsafe(statement))
        const tx = transaction({ backend: "mariadb", operation: "test.deadlock" })
        const firstLocked = yield* Deferred.make<void>()
        const otherLocked = yield* Deferred.make<void>()
        const attempts = yield* Ref.make(0)
        // The victim: little written, so InnoDB rolls it back at the deadlock, savepoint and all.
        const victim = tx(Effect.gen(function*() {
          yield* Ref.update(attempts, (n) => n + 1)
          yield* run(`INSERT INTO ${log} VALUES ('before')`)
          const inner = yield* Effect.either(tx(Effect.gen(function*() {
            yield* run(`UPDATE ${rows} SET n = n + 1 WHERE id = 1`)
            yield* Deferred.succeed(firstLocked, undefined)
            yield* Deferred.await(otherLocked)
            yield* run(`UPDATE ${rows} SET n = n + 1 WHERE id = 2`)
          })))
          // Went on in autocommit after the rollback: kept while `before` was gone, and kept again
          // by the transaction's next attempt.
          yield* run(`INSERT INTO ${log} VALUES ('after')`)
          return inner._tag
        }))
        const other = sql.withTransaction(Effect.gen(function*() {
          yield* Deferred.await(firstLocked)
          yield* sql.unsafe(`INSERT INTO ${heavy} VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)`)
          yield* sql.unsafe(`UPDATE ${rows} SET n = n + 10 WHERE id = 2`)
          yield* Deferred.succeed(otherLocked, undefined)
          yield* sql.unsafe(`UPDATE ${rows} SET n = n + 10 WHERE id = 1`)
        }))
        yield* Effect.gen(function*() {
          const victimFiber = yield* Effect.fork(victim)
          const otherFiber = yield* Effect.fork(Effect.either(other))
          const result = yield* Fiber.join(victimFiber)
          yield* Fiber.join(otherFiber)
          assert.strictEqual(result, "Right", "the attempt after the deadlock goes through")
          assert.strictEqual(yield* Ref.get(attempts), 2)
          const notes = yield* sql<{ readonly note: string }>`SELECT note FROM ${sql(log)}`
          assert.deepStrictEqual(notes.map((row) => row.note), ["before", "after"])
        }).pipe(
          Effect.ensuring(Effect.ignore(sql.unsafe(`DROP TABLE IF EXISTS ${rows}, ${log}, ${heavy}`)))
        )
      }).pipe(Effect.provide(Sql.layerMysql(mysqlOptions)), Effect.provideService(RetryPolicy, fast)),
    60_000
  )
})
