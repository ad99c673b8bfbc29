import * as SqlClient from "@effect/sql/SqlClient"
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import { ConnectionError, DataAccessError } from "../../src/errors.js"
import { RetryPolicy, transaction } from "../../src/layers/Resilience.js"
import * as Sql from "../../src/layers/Sql.js"
import { describeLive, pgOptions, uniqueName } from "../support/services.js"

const fast = {
  ...RetryPolicy.defaultValue(),
  sql: { ...RetryPolicy.defaultValue().sql, baseDelay: "1 millis" as const }
}

await describeLive("postgres", "transactions on PostgreSQL", () => {
  const withTable = <A, E, R>(body: (sql: SqlClient.SqlClient, table: string) => Effect.Effect<A, E, R>) =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const table = uniqueName("tx")
      yield* sql.unsafe(`CREATE TABLE ${table} (id int PRIMARY KEY, note text)`)
      return yield* Effect.ensuring(body(sql, table), Effect.orDie(sql.unsafe(`DROP TABLE IF EXISTS ${table}`)))
    }).pipe(Effect.provide(Sql.layerPg(pgOptions)), Effect.provideService(RetryPolicy, fast))

  it.live("a transaction that hits a serialization failure is rolled back and retried whole", () =>
    withTable((sql, table) =>
      Effect.gen(function*() {
        const attempts = yield* Ref.make(0)
        const work = Effect.gen(function*() {
          const attempt = yield* Ref.updateAndGet(attempts, (n) => n + 1)
          yield* sql`INSERT INTO ${sql(table)} ${sql.insert({ id: attempt, note: "attempt" })}`
          if (attempt === 1) {
            yield* sql`DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$`
          }
          return attempt
        })
        const result = yield* transaction({ backend: "postgres", operation: "test.tx" })(work)
        assert.strictEqual(result, 2)
        const rows = yield* sql<{ id: number }>`SELECT id FROM ${sql(table)} ORDER BY id`
        assert.deepStrictEqual(rows.map((r) => r.id), [2], "the first attempt's insert was rolled back")
      })
    ))

  it.live("a non-transient failure is not retried and leaves nothing behind", () =>
    withTable((sql, table) =>
      Effect.gen(function*() {
        const attempts = yield* Ref.make(0)
        const work = Effect.gen(function*() {
          yield* Ref.update(attempts, (n) => n + 1)
          yield* sql`INSERT INTO ${sql(table)} ${sql.insert({ id: 1, note: "a" })}`
          yield* sql`INSERT INTO ${sql(table)} ${sql.insert({ id: 1, note: "b" })}`
        })
        const error = yield* Effect.flip(transaction({ backend: "postgres", operation: "test.tx", table })(work))
        assert.instanceOf(error, DataAccessError)
        assert.strictEqual(error.reason, "UniqueViolation")
        assert.strictEqual(yield* Ref.get(attempts), 1)
        const rows = yield* sql`SELECT id FROM ${sql(table)}`
        assert.strictEqual(rows.length, 0)
      })
    ))

  it.live("a COMMIT that fails is a typed error, not a defect", () =>
    withTable((sql, table) =>
      Effect.gen(function*() {
        const deferred = uniqueName("deferred")
        yield* sql.unsafe(
          `CREATE TABLE ${deferred} (k int, CONSTRAINT ${deferred}_k UNIQUE (k) DEFERRABLE INITIALLY DEFERRED)`
        )
        const work = Effect.gen(function*() {
          yield* sql`INSERT INTO ${sql(deferred)} (k) VALUES (1), (1)`
          yield* sql`INSERT INTO ${sql(table)} ${sql.insert({ id: 1, note: "with it" })}`
        })
        const error = yield* Effect.flip(transaction({ backend: "postgres", operation: "test.commit" })(work)).pipe(
          Effect.ensuring(Effect.orDie(sql.unsafe(`DROP TABLE ${deferred}`)))
        )
        assert.instanceOf(error, DataAccessError)
        assert.strictEqual(error.reason, "UniqueViolation")
        assert.strictEqual((yield* sql`SELECT id FROM ${sql(table)}`).length, 0)
      })
    ))

  it.live("a nested transaction is a savepoint: its failure rolls back only its own work", () =>
    withTable((sql, table) =>
      Effect.gen(function*() {
        const tx = transaction({ backend: "postgres", operation: "test.nested" })
        yield* tx(Effect.gen(function*() {
          yield* sql`INSERT INTO ${sql(table)} ${sql.insert({ id: 1, note: "outer" })}`
          const inner = yield* Effect.either(tx(Effect.gen(function*() {
            yield* sql`INSERT INTO ${sql(table)} ${sql.insert({ id: 2, note: "inner" })}`
            yield* sql`INSERT INTO ${sql(table)} ${sql.insert({ id: 2, note: "again" })}`
          })))
          assert.strictEqual(inner._tag, "Left")
        }))
        const rows = yield* sql<{ id: number }>`SELECT id FROM ${sql(table)} ORDER BY id`
        assert.deepStrictEqual(rows.map((r) => r.id), [1])
      })
    ))

  it.live("a failed statement the work catches fails its transaction or savepoint, which PostgreSQL rolled back", () =>
    withTable((sql, table) =>
      Effect.gen(function*() {
        const tx = transaction({ backend: "postgres", operation: "test.caught" })
        const insert = (id: number) =>
          sql`INSERT INTO ${sql(table)} ${sql.insert({ id, note: "x" })}`.pipe(Sql.run({ operation: "test.insert" }))
        // Caught in the transaction itself: its COMMIT would answer ROLLBACK; it fails instead.
        const caught = yield* Effect.flip(tx(Effect.gen(function*() {
          yield* insert(1)
          return yield* Effect.either(insert(1))
        })))
        assert.instanceOf(caught, DataAccessError)
        assert.strictEqual(caught.reason, "UniqueViolation")
        // Caught in a savepoint: the savepoint fails and is rolled back; the enclosing transaction commits.
        const nested = yield* tx(Effect.gen(function*() {
          yield* insert(2)
          const inner = yield* Effect.either(tx(Effect.zipRight(insert(3), Effect.either(insert(2)))))
          yield* insert(4)
          return inner._tag
        }))
        assert.strictEqual(nested, "Left")
        // A caught serialization failure: the whole transaction is retried.
        const attempts = yield* Ref.make(0)
        const retried = yield* tx(Effect.gen(function*() {
          const attempt = yield* Ref.updateAndGet(attempts, (n) => n + 1)
          yield* insert(4 + attempt)
          if (attempt === 1) {
            yield* Effect.either(
              sql`DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$`.pipe(
                Sql.run({ operation: "test.conflict" })
              )
            )
          }
          return attempt
        }))
        assert.strictEqual(retried, 2)
        const rows = yield* sql<{ id: number }>`SELECT id FROM ${sql(table)} ORDER BY id`
        assert.deepStrictEqual(rows.map((r) => r.id), [2, 4, 6])
      })
    ))

  it.live("a statement the server refuses as malformed (a parameter count) fails its transaction, not the connection", () =>
    withTable((sql, table) =>
      Effect.gen(function*() {
        const tx = transaction({ backend: "postgres", operation: "test.bind" })
        const run = Sql.run({ operation: "test.bind" })
        // 08P01, "bind message supplies 1 parameters": typed as a lost connection, caught and
        // committed as nothing, retried, and counted against the breaker until it opened.
        const caught = yield* Effect.flip(tx(Effect.gen(function*() {
          yield* run(sql`INSERT INTO ${sql(table)} ${sql.insert({ id: 1, note: "x" })}`)
          yield* Effect.either(run(sql.unsafe(`SELECT $1::int AS a, $2::int AS b`, [1])))
          return "done"
        })))
        assert.instanceOf(caught, DataAccessError)
        assert.strictEqual(caught.reason, "SyntaxError")
        for (let i = 0; i < 3; i++) {
          const alone = yield* Effect.flip(
            Sql.run({ operation: "test.bind", idempotent: true })(sql.unsafe(`SELECT $1::int AS a, $2::int AS b`, [1]))
          )
          assert.strictEqual(alone._tag === "DataAccessError" && alone.reason, "SyntaxError")
        }
        assert.deepStrictEqual(yield* run(sql<{ one: number }>`SELECT 1 AS one`), [{ one: 1 }])
        assert.strictEqual((yield* sql`SELECT id FROM ${sql(table)}`).length, 0)
      })
    ))

  it.live("a connection lost mid-transaction is retried whole on a fresh connection", () =>
    withTable((sql, table) =>
      Effect.gen(function*() {
        const attempts = yield* Ref.make(0)
        const work = Effect.gen(function*() {
          const attempt = yield* Ref.updateAndGet(attempts, (n) => n + 1)
          yield* sql`INSERT INTO ${sql(table)} ${sql.insert({ id: attempt, note: "x" })}`
          // The first attempt's server process is terminated under it; its ROLLBACK cannot be sent.
          if (attempt === 1) yield* sql`SELECT pg_terminate_backend(pg_backend_pid())`
          return attempt
        })
        const result = yield* transaction({ backend: "postgres", operation: "test.kill" })(work)
        assert.strictEqual(result, 2)
        const rows = yield* sql<{ id: number }>`SELECT id FROM ${sql(table)} ORDER BY id`
        assert.deepStrictEqual(rows.map((r) => r.id), [2])
      })
    ))

  it.live("when every attempt loses its connection the failure is a typed ConnectionError", () =>
    withTable((sql, table) =>
      Effect.gen(function*() {
        const attempts = yield* Ref.make(0)
        const work = Effect.gen(function*() {
          yield* Ref.update(attempts, (n) => n + 1)
          yield* sql`INSERT INTO ${sql(table)} ${sql.insert({ id: 1, note: "x" })}`
          yield* sql`SELECT pg_terminate_backend(pg_backend_pid())`
        })
        const error = yield* Effect.flip(transaction({ backend: "postgres", operation: "test.kill" })(work))
        assert.instanceOf(error, ConnectionError)
        assert.isTrue(error.retryable)
        assert.strictEqual(yield* Ref.get(attempts), 3)
        assert.strictEqual((yield* sql`SELECT id FROM ${sql(table)}`).length, 0)
      })
    ))
})
