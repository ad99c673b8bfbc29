import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { classify, ConnectionError, DataAccessError } from "../../src/errors.js"
import { RetryPolicy, transaction } from "../../src/layers/Resilience.js"
import * as Sql from "../../src/layers/Sql.js"
import { describeLive, pgOptions, pgUrl, uniqueName } from "../support/services.js"
import { startSilentServer } from "../support/silentServer.js"
import { startProxy } from "../support/tcpProxy.js"

const run = Sql.run({ operation: "test.statement" })

await describeLive("postgres", "error classification on PostgreSQL", () => {
  const parent = uniqueName("err_parent")
  const child = uniqueName("err_child")

  const withTables = <A, E, R>(body: (sql: SqlClient.SqlClient) => Effect.Effect<A, E, R>) =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`CREATE TABLE ${parent} (id int PRIMARY KEY, name text NOT NULL, qty int CHECK (qty >= 0))`)
      yield* sql.unsafe(`CREATE TABLE ${child} (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES ${parent}(id))`)
      return yield* Effect.ensuring(
        body(sql),
        Effect.orDie(sql.unsafe(`DROP TABLE IF EXISTS ${child}, ${parent}`))
      )
    }).pipe(Effect.provide(Sql.layerPg(pgOptions)), Effect.scoped)

  const failure = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.flip(effect)

  it.effect("constraint violations become DataAccessError with their reason", () =>
    withTables((sql) =>
      Effect.gen(function*() {
        yield* run(sql`INSERT INTO ${sql(parent)} ${sql.insert({ id: 1, name: "a", qty: 1 })}`)
        const duplicate = yield* failure(
          run(sql`INSERT INTO ${sql(parent)} ${sql.insert({ id: 1, name: "b", qty: 1 })}`)
        )
        const orphan = yield* failure(run(sql`INSERT INTO ${sql(child)} ${sql.insert({ id: 1, parent_id: 42 })}`))
        const missing = yield* failure(run(sql`INSERT INTO ${sql(parent)} (id, name) VALUES (2, NULL)`))
        const negative = yield* failure(
          run(sql`INSERT INTO ${sql(parent)} ${sql.insert({ id: 3, name: "c", qty: -1 })}`)
        )
        const nul = yield* failure(
          run(sql`INSERT INTO ${sql(parent)} ${sql.insert({ id: 4, name: "a\u0000b", qty: 1 })}`)
        )
        const undefinedTable = yield* failure(run(sql`SELECT * FROM ${sql(uniqueName("nope"))}`))
        assert.instanceOf(duplicate, DataAccessError)
        assert.strictEqual(duplicate.reason, "UniqueViolation")
        assert.strictEqual(duplicate.code, "23505")
        assert.strictEqual(duplicate.backend, "postgres")
        assert.strictEqual(orphan.reason, "ForeignKeyViolation")
        assert.strictEqual(missing.reason, "NotNullViolation")
        assert.strictEqual(negative.reason, "CheckViolation")
        assert.strictEqual(nul.reason, "InvalidValue")
        assert.strictEqual(nul.code, "22021")
        assert.strictEqual(undefinedTable.reason, "UndefinedObject")
        // 42704, a type no schema holds: it was SyntaxError, by its class.
        const undefinedType = yield* Effect.flip(run(sql.unsafe("SELECT CAST('1' AS no_such_type_xyz)")))
        assert.strictEqual(undefinedType._tag === "DataAccessError" && undefinedType.reason, "UndefinedObject")
        assert.isFalse((duplicate as DataAccessError).retryable)
      })
    ))

  it.live(
    "a serialization failure is SerializationFailure and retryable",
    () =>
      withTables((sql) =>
        Effect.gen(function*() {
          yield* sql`INSERT INTO ${sql(parent)} ${
            sql.insert([{ id: 1, name: "a", qty: 1 }, { id: 2, name: "b", qty: 1 }])
          }`
          // Classic write skew: each transaction reads both rows and writes one; one must fail,
          // at its UPDATE or at its COMMIT; `transaction` types both (retries off to see it).
          const noRetry = { ...RetryPolicy.defaultValue(), sql: { ...RetryPolicy.defaultValue().sql, retries: 0 } }
          const skew = (id: number) =>
            transaction({ backend: "postgres", operation: "test.skew" })(Effect.gen(function*() {
              yield* sql`SET TRANSACTION ISOLATION LEVEL SERIALIZABLE`
              yield* sql`SELECT SUM(qty) FROM ${sql(parent)}`
              yield* Effect.sleep("100 millis")
              yield* sql`UPDATE ${sql(parent)} SET qty = qty + 1 WHERE id = ${id}`
            })).pipe(Effect.provideService(RetryPolicy, noRetry))
          const results = yield* Effect.all([skew(1), skew(2)].map(Effect.either), { concurrency: 2 })
          const failures = results.filter((r) => r._tag === "Left").map((r) => r.left)
          assert.strictEqual(failures.length, 1)
          const [error] = failures
          assert.instanceOf(error, DataAccessError)
          assert.strictEqual((error as DataAccessError).reason, "SerializationFailure")
          assert.isTrue((error as DataAccessError).retryable)
        })
      ),
    { timeout: 20_000 }
  )

  it.live("a lock timeout is LockTimeout", () =>
    withTables((sql) =>
      Effect.gen(function*() {
        yield* sql`INSERT INTO ${sql(parent)} ${sql.insert({ id: 1, name: "a", qty: 1 })}`
        const holder = yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`SELECT * FROM ${sql(parent)} WHERE id = 1 FOR UPDATE`
          yield* Effect.sleep("1 second")
        })).pipe(Effect.fork)
        yield* Effect.sleep("200 millis")
        const error = yield* failure(run(sql.withTransaction(Effect.gen(function*() {
          yield* sql`SET LOCAL lock_timeout = '100ms'`
          yield* sql`UPDATE ${sql(parent)} SET qty = 2 WHERE id = 1`
        }))))
        yield* Fiber.join(holder)
        assert.strictEqual(error.reason, "LockTimeout")
        assert.strictEqual(error.code, "55P03")
      })
    ), { timeout: 20_000 })

  it.effect("a value the server quotes back in its message is left out of the error", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const notNumber = yield* failure(run(sql`SELECT ${"s3cr3t-value"}::int AS n`))
      const outOfRange = yield* failure(run(sql`SELECT ${"98765432109"}::int AS n`))
      assert.strictEqual(notNumber.reason, "InvalidValue")
      assert.strictEqual(outOfRange.reason, "InvalidValue")
      assert.include(notNumber.message, `integer: "***"`)
      assert.include(outOfRange.message, `value "***" is out of range`)
      assert.notInclude(notNumber.message, "s3cr3t")
      assert.notInclude(outOfRange.message, "98765432109")
    }).pipe(Effect.provide(Sql.layerPg(pgOptions))))

  it.effect("a statement timeout is QueryTimeout", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const error = yield* failure(run(sql.withTransaction(Effect.gen(function*() {
        yield* sql`SET LOCAL statement_timeout = '50ms'`
        yield* sql`SELECT pg_sleep(2)`
      }))))
      assert.strictEqual(error.reason, "QueryTimeout")
      assert.strictEqual(error.code, "57014")
    }).pipe(Effect.provide(Sql.layerPg(pgOptions))))

  // With one connection the cancel cannot wait for a pooled one: that one runs the statement.
  for (const maxConnections of [2, 1]) {
    it.live(
      `a statement past the query timeout is QueryTimeout and is cancelled on the server at once (pool of ${maxConnections})`,
      () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const started = Date.now()
          const error = yield* failure(run(sql`SELECT pg_sleep(4)`))
          assert.strictEqual(error.reason, "QueryTimeout")
          assert.isBelow(Date.now() - started, 1_500)
          // The cancel went on a connection of its own; the sleep is no longer running.
          const [row] = yield* run(
            sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE state = 'active' AND query = 'SELECT pg_sleep(4)'`
          )
          assert.strictEqual(row?.n, 0)
          assert.isBelow(Date.now() - started, 2_500)
        }).pipe(Effect.provide(Sql.layerPg({ ...pgOptions, maxConnections, queryTimeout: "200 millis" }))),
      { timeout: 20_000 }
    )
  }

  it.live("the query timeout bounds what run runs, and nothing else on the pool", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const [row] = yield* sql<{ readonly slept: string }>`SELECT pg_sleep(0.5)::text AS slept`
      assert.strictEqual(row?.slept, "")
    }).pipe(Effect.provide(Sql.layerPg({ ...pgOptions, queryTimeout: "200 millis" }))))

  it.live("a server that stops answering fails the statement with QueryTimeout", () =>
    Effect.gen(function*() {
      const proxy = yield* Effect.acquireRelease(
        Effect.promise(() => startProxy({ host: "127.0.0.1", port: 5432 })),
        (proxy) => Effect.promise(() => proxy.stop())
      )
      const error = yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* run(sql`SELECT 1`)
        proxy.freeze()
        const started = Date.now()
        const error = yield* failure(run(sql`SELECT 1`))
        assert.isBelow(Date.now() - started, 7_000)
        return error
      }).pipe(
        Effect.provide(Sql.layerPg({ ...pgOptions, port: proxy.port, queryTimeout: "200 millis" }))
      )
      assert.instanceOf(error, DataAccessError)
      assert.strictEqual(error.reason, "QueryTimeout")
    }).pipe(Effect.scoped), { timeout: 20_000 })

  it.live("a closed port is a ConnectionError (Refused)", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.scoped(Layer.build(Sql.layerPg({ host: "127.0.0.1", port: 1 }))))
      assert.instanceOf(error, ConnectionError)
      assert.strictEqual(error.reason, "Refused")
      assert.isTrue(error.retryable)
      assert.strictEqual(error.target, "127.0.0.1:1/postgres")
    }))

  it.effect("an unknown role is a ConnectionError (AuthFailed), not retried", () =>
    Effect.gen(function*() {
      const url = new URL(pgUrl)
      url.username = uniqueName("nobody")
      url.password = "not-the-password"
      const error = yield* Effect.flip(Effect.scoped(Layer.build(Sql.layerPg({ url: Redacted.make(url.toString()) }))))
      assert.instanceOf(error, ConnectionError)
      assert.strictEqual(error.reason, "AuthFailed")
      assert.isFalse(error.retryable)
      assert.notInclude(error.message, "not-the-password")
    }))

  it.effect("an unknown database is a ConnectionError (UnknownDatabase)", () =>
    Effect.gen(function*() {
      const url = new URL(pgUrl)
      url.pathname = `/${uniqueName("nodb")}`
      const error = yield* Effect.flip(Effect.scoped(Layer.build(Sql.layerPg({ url: Redacted.make(url.toString()) }))))
      assert.strictEqual(error.reason, "UnknownDatabase")
    }))
})

/**
 * A statement on a pool built without a first connection, so that only the pool's connect timeout
 * bounds its connecting (the layer's own check races it with a timer of its own).
 */
const firstStatement = (options: Sql.SqlOptions) =>
  Effect.flip(run(Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT 1`))).pipe(
    Effect.provide(Sql.layerPg({ ...options, requireConnection: false }))
  )

describe("PostgreSQL codes without a server", () => {
  const classifyPg = classify({ backend: "postgres", operation: "test" })

  it("a terminated backend (57P01) is a retryable ConnectionError", () => {
    const typed = classifyPg({
      cause: { code: "57P01", message: "terminating connection due to administrator command" }
    })
    assert.instanceOf(typed, ConnectionError)
    assert.strictEqual(typed.reason, "Terminated")
    assert.isTrue(typed.retryable)
  })

  it("idle timeouts (57P05, 25P03) are ConnectionErrors, deadlock (40P01) a retryable Deadlock", () => {
    assert.strictEqual(classifyPg({ code: "57P05", message: "idle session timeout" }).reason, "Terminated")
    assert.strictEqual(classifyPg({ code: "25P03", message: "idle in transaction timeout" }).reason, "Terminated")
    const deadlock = classifyPg({ code: "40P01", message: "deadlock detected" })
    assert.instanceOf(deadlock, DataAccessError)
    assert.strictEqual(deadlock.reason, "Deadlock")
    assert.isTrue(deadlock.retryable)
  })

  it("pool exhaustion and lost connections are told apart by the pg messages", () => {
    assert.strictEqual(classifyPg(new Error("timeout exceeded when trying to connect")).reason, "PoolExhausted")
    assert.strictEqual(classifyPg(new Error("Connection terminated unexpectedly")).reason, "Terminated")
  })

  it("a connect timeout is Timeout, though pg-pool gives it a lost connection as its cause", () => {
    const timedOut = new Error("Connection terminated due to connection timeout", {
      cause: new Error("Connection terminated unexpectedly")
    })
    for (const error of [timedOut, new SqlError({ cause: timedOut, message: "Failed to acquire connection" })]) {
      const typed = classifyPg(error)
      assert.instanceOf(typed, ConnectionError)
      assert.strictEqual(typed.reason, "Timeout")
      assert.strictEqual(typed.detail, "Connection terminated due to connection timeout")
    }
  })

  it.live(
    "a connection that does not open within the connect timeout is Timeout (a silent port)",
    () =>
      Effect.gen(function*() {
        const silent = yield* Effect.promise(() => startSilentServer())
        yield* Effect.addFinalizer(() => Effect.promise(() => silent.close()))
        const error = yield* firstStatement({ host: "127.0.0.1", port: silent.port, connectTimeout: "200 millis" })
        assert.instanceOf(error, ConnectionError)
        assert.strictEqual(error.reason, "Timeout")
      }).pipe(Effect.scoped),
    { timeout: 30_000 }
  )
})

await describeLive("postgres", "pool exhaustion on PostgreSQL", () => {
  it.live(
    "waiting longer than the connect timeout for a pooled connection is ConnectionError PoolExhausted",
    () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        // The only connection is held by a transaction while another statement waits for it.
        const holder = yield* Effect.fork(sql.withTransaction(sql`SELECT pg_sleep(1.5)`))
        yield* Effect.sleep("200 millis")
        const error = yield* Effect.flip(run(sql`SELECT 1`))
        yield* Fiber.join(holder)
        assert.instanceOf(error, ConnectionError)
        assert.strictEqual(error.reason, "PoolExhausted")
        assert.isTrue(error.retryable)
      }).pipe(Effect.provide(Sql.layerPg({ ...pgOptions, maxConnections: 1, connectTimeout: "300 millis" }))),
    {
      timeout: 20_000
    }
  )
})

await describeLive("postgres", "TLS asked for in a PostgreSQL URL", () => {
  /** Connects with the URL's query, and tells whether the session is encrypted. */
  const encrypted = (query: string) =>
    Effect.flatMap(
      SqlClient.SqlClient,
      (sql) => sql<{ readonly ssl: boolean }>`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`
    ).pipe(
      Effect.map((rows) => rows[0]?.ssl === true),
      Effect.provide(Sql.layerPg({ url: Redacted.make(`${pgUrl.split("?")[0]}?${query}`) })),
      Effect.either
    )

  it.live("is TLS or a failure that says the server has none, never plaintext; disable is plaintext", () =>
    Effect.gen(function*() {
      for (
        const query of ["sslmode=prefer", "sslmode=require", "sslmode=verify-full", "sslmode=no-verify", "ssl=true"]
      ) {
        const outcome = yield* encrypted(query)
        if (outcome._tag === "Right") assert.isTrue(outcome.right, query)
        else {
          assert.instanceOf(outcome.left, ConnectionError, query)
          // Each is a mode the layer reads (no-verify: TLS whose certificate is taken unchecked).
          assert.notStrictEqual((outcome.left as ConnectionError).reason, "InvalidUrl", query)
          // The test server has no TLS: a request for it cannot succeed on another attempt.
          if (outcome.left instanceof ConnectionError && outcome.left.reason === "TlsUnsupported") {
            assert.isFalse(outcome.left.retryable)
          }
          assert.notStrictEqual((outcome.left as ConnectionError).reason, "Unknown", query)
        }
      }
      const plain = yield* encrypted("sslmode=disable")
      assert.deepStrictEqual(plain._tag === "Right" && plain.right, false)
    }))
})
