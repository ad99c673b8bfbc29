/**
 * SQL Server classification from the error objects tedious itself constructs (no server needed).
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { ConnectionError as TediousConnectionError, RequestError } from "tedious"
import { classify, ConnectionError, DataAccessError } from "../../src/errors.js"
import { SqlBackend } from "../../src/layers/Sql.js"
import * as Sql from "../../src/layers/Sql.js"
import { describeLive, mssqlOptions } from "../support/services.js"

const toTyped = classify({ backend: "mssql", operation: "test", table: "orders" })

/** tedious builds a RequestError from an ERROR token and copies its number onto it. */
const requestError = (number: number, message: string) =>
  new SqlError({
    cause: Object.assign(new RequestError(message, "EREQUEST"), { number, state: 1, class: 14 }),
    message: "Failed to execute statement"
  })

/** What `run` classifies: tedious' error inside @effect/sql's `SqlError`. */
const typedFrom = (cause: Error, message = "Failed to execute statement") => toTyped(new SqlError({ cause, message }))

describe("SQL Server error numbers", () => {
  it("a violation names its constraint, as node-postgres gives it on PostgreSQL", () => {
    const constraintOf = (number: number, message: string) => {
      const typed = toTyped(requestError(number, message))
      return typed instanceof DataAccessError ? typed.constraint : undefined
    }
    assert.strictEqual(
      constraintOf(2627, "Violation of PRIMARY KEY constraint 'PK_orders'. Cannot insert duplicate key."),
      "PK_orders"
    )
    assert.strictEqual(
      constraintOf(2601, "Cannot insert duplicate key row in object 'dbo.orders' with unique index 'ix'."),
      "ix"
    )
    assert.strictEqual(
      constraintOf(547, "The INSERT statement conflicted with the FOREIGN KEY constraint \"FK_orders_users\"."),
      "FK_orders_users"
    )
  })

  it.each(
    [
      [2627, "Violation of PRIMARY KEY constraint 'PK_orders'. Cannot insert duplicate key.", "UniqueViolation"],
      [2601, "Cannot insert duplicate key row in object 'dbo.orders' with unique index 'ix'.", "UniqueViolation"],
      [
        547,
        "The INSERT statement conflicted with the FOREIGN KEY constraint \"FK_orders_users\".",
        "ForeignKeyViolation"
      ],
      [547, "The INSERT statement conflicted with the CHECK constraint \"CK_qty\".", "CheckViolation"],
      [515, "Cannot insert the value NULL into column 'name'", "NotNullViolation"],
      [1205, "Transaction (Process ID 52) was deadlocked on lock resources", "Deadlock"],
      [1222, "Lock request time out period exceeded.", "LockTimeout"],
      [3960, "Snapshot isolation transaction aborted due to update conflict.", "SerializationFailure"],
      [8152, "String or binary data would be truncated.", "InvalidValue"],
      [208, "Invalid object name 'nope'.", "UndefinedObject"]
    ] as const
  )("%i (%s) is %s", (number, message, reason) => {
    const typed = toTyped(requestError(number, message))
    assert.instanceOf(typed, DataAccessError)
    assert.strictEqual(typed.reason, reason)
    assert.strictEqual(typed.code, "EREQUEST")
    assert.strictEqual(typed.backend, "mssql")
    assert.strictEqual(typed.table, "orders")
  })

  it("1205 is a deadlock on SQL Server but a lock wait timeout on MySQL", () => {
    assert.strictEqual(toTyped(requestError(1205, "deadlocked")).reason, "Deadlock")
    assert.strictEqual(
      classify({ backend: "mysql", operation: "t" })({ errno: 1205, message: "Lock wait" }).reason,
      "LockTimeout"
    )
  })

  it("login failures and socket errors are ConnectionErrors", () => {
    const login = typedFrom(new TediousConnectionError("Login failed for user 'sa'.", "ELOGIN"), "Failed to connect")
    assert.instanceOf(login, ConnectionError)
    assert.strictEqual(login.reason, "AuthFailed")
    assert.isFalse(login.retryable)
    const socket = toTyped(new TediousConnectionError("Connection lost - read ECONNRESET", "ESOCKET"))
    assert.instanceOf(socket, ConnectionError)
    assert.strictEqual(socket.reason, "Reset")
    assert.isTrue(socket.retryable)
  })

  it("a socket error tedious wraps in its ESOCKET is classified by the socket's own error", () => {
    // As tedious' socketError builds them: a refused port tried address by address, an unknown host.
    const refusedAt = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1499"), { code: "ECONNREFUSED" })
    const sequence = new AggregateError([refusedAt], "Could not connect (sequence)")
    const refused = typedFrom(
      new TediousConnectionError("Failed to connect to 127.0.0.1:1499 - Could not connect (sequence)", "ESOCKET", {
        cause: sequence
      }),
      "Failed to connect"
    )
    assert.instanceOf(refused, ConnectionError)
    assert.strictEqual(refused.reason, "Refused")
    const lookup = Object.assign(new Error("getaddrinfo ENOTFOUND db.invalid"), { code: "ENOTFOUND" })
    const unknownHost = typedFrom(
      new TediousConnectionError("Failed to connect to db.invalid:1433 - getaddrinfo ENOTFOUND db.invalid", "ESOCKET", {
        cause: lookup
      }),
      "Failed to connect"
    )
    assert.instanceOf(unknownHost, ConnectionError)
    assert.strictEqual(unknownHost.reason, "Unavailable")
    assert.strictEqual(unknownHost.code, "ENOTFOUND")
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })
    const lost = toTyped(new TediousConnectionError("Connection lost - read ECONNRESET", "ESOCKET", { cause: reset }))
    assert.strictEqual(lost.reason, "Reset")
  })

  it("tedious' request timeout is QueryTimeout; its connect and cancel timeouts are ConnectionErrors", () => {
    // tedious ends a request past its requestTimeout with this error, after cancelling it on the server.
    const request = typedFrom(new RequestError("Timeout: Request failed to complete in 15000ms", "ETIMEOUT"))
    assert.instanceOf(request, DataAccessError)
    assert.strictEqual(request.reason, "QueryTimeout")
    assert.strictEqual(request.code, "ETIMEOUT")
    for (const message of ["Failed to connect to db:1433 in 15000ms", "Failed to cancel request in 5000ms"]) {
      const typed = typedFrom(new TediousConnectionError(message, "ETIMEOUT"), "Failed to connect")
      assert.instanceOf(typed, ConnectionError, message)
      assert.strictEqual(typed.reason, "Timeout", message)
    }
  })

  it("a request refused while its connection is still cancelling the last one is a retryable ConnectionError", () => {
    const busy = typedFrom(
      new RequestError("Requests can only be made in the LoggedIn state, not the SentAttention state", "EINVALIDSTATE")
    )
    assert.instanceOf(busy, ConnectionError)
    assert.strictEqual(busy.reason, "Unavailable")
    assert.strictEqual(busy.code, "EINVALIDSTATE")
    assert.isTrue(busy.retryable)
  })

  it("an AggregateError of connection attempts is classified by its first error", () => {
    const aggregate = new AggregateError(
      [new TediousConnectionError("Failed to connect to db:1433 - connect ECONNREFUSED", "ESOCKET")],
      "Failed to connect"
    )
    const typed = toTyped(aggregate)
    assert.instanceOf(typed, ConnectionError)
  })
})

describe("the SQL Server layer without a server", () => {
  it.live("a closed port is a typed ConnectionError that names the target and hides the password", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.scoped(Layer.build(Sql.layerMssql({
        url: Redacted.make("mssql://sa:Mssql-Known-Secret-3321@127.0.0.1:1/orders?encrypt=false"),
        connectTimeout: "3 seconds"
      }))))
      assert.instanceOf(error, ConnectionError)
      assert.strictEqual(error.backend, "mssql")
      assert.strictEqual(error.target, "127.0.0.1:1/orders")
      assert.strictEqual(error.reason, "Refused")
      assert.isTrue(error.retryable)
      assert.notInclude(`${error.message} ${JSON.stringify(error)}`, "Mssql-Known-Secret-3321")
    }))

  it.effect("MSSQL_URL and MSSQL_* are read into options", () =>
    Effect.gen(function*() {
      const options = yield* Sql.mssqlConfig.pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(
          new Map([
            ["MSSQL_URL", "mssql://sa:pw@db.internal:1433/orders?encrypt=true"],
            ["MSSQL_POOL_SIZE", "7"],
            ["MSSQL_QUERY_TIMEOUT", "2 seconds"]
          ])
        ))
      )
      assert.isTrue(Option.isSome(options))
      const value = Option.getOrThrow(options)
      assert.strictEqual(value.maxConnections, 7)
      assert.strictEqual(Duration.toMillis(value.queryTimeout ?? 0), 2000)
      assert.strictEqual(String(value.url), "<redacted>")
    }))

  it.effect("a timeout option in code that no timer can wait is ConnectionError InvalidOption, before connecting", () =>
    Effect.gen(function*() {
      const build = (options: Sql.SqlOptions) => Effect.flip(Effect.scoped(Layer.build(Sql.layerMssql(options))))
      const bad = yield* build({ url: Redacted.make("mssql://sa:pw@127.0.0.1:1/orders"), queryTimeout: "1e3 seconds" })
      assert.strictEqual(bad.reason, "InvalidOption")
      assert.include(bad.detail ?? "", "queryTimeout")
    }))

  it.live(
    "a query timeout beyond the driver's 15 seconds is refused, in code and in MSSQL_QUERY_TIMEOUT",
    () =>
      Effect.gen(function*() {
        assert.strictEqual(Duration.toMillis(Sql.mssqlStatementLimit), 15_000)
        const build = (queryTimeout: Duration.DurationInput) =>
          Effect.flip(Effect.scoped(Layer.build(Sql.layerMssql({
            url: Redacted.make("mssql://sa:pw@127.0.0.1:1/orders?encrypt=false"),
            connectTimeout: "2 seconds",
            queryTimeout
          }))))
        const refused = yield* build("16 seconds")
        assert.strictEqual(refused.reason, "InvalidOption")
        assert.include(refused.detail ?? "", "queryTimeout is at most 15s on SQL Server")
        // At the limit the options are taken: the layer goes on to connect (nothing listens on port 1).
        const taken = yield* build("15 seconds")
        assert.notStrictEqual(taken.reason, "InvalidOption")
        const read = (backend: "MSSQL" | "MYSQL", value: string) =>
          Effect.either((backend === "MSSQL" ? Sql.mssqlConfig : Sql.mysqlConfig).pipe(
            Effect.withConfigProvider(ConfigProvider.fromMap(
              new Map([[`${backend}_URL`, "mssql://sa:pw@db.internal:1433/orders"], [
                `${backend}_QUERY_TIMEOUT`,
                value
              ]])
            ))
          ))
        const tooLong = yield* read("MSSQL", "30 seconds")
        assert.isTrue(Either.isLeft(tooLong))
        assert.include(String(Either.isLeft(tooLong) ? tooLong.left : ""), "MSSQL_QUERY_TIMEOUT")
        assert.include(String(Either.isLeft(tooLong) ? tooLong.left : ""), "tedious")
        // The variable is the failure's path too, as for a timeout no timer can wait.
        assert.include(String(Either.isLeft(tooLong) ? tooLong.left : ""), "Invalid data at MSSQL_QUERY_TIMEOUT:")
        assert.isTrue(Either.isRight(yield* read("MSSQL", "15 seconds")))
        // Other backends have no such limit.
        const mysql = yield* read("MYSQL", "30 seconds")
        const mysqlTimeout = Either.isRight(mysql) ? Option.getOrUndefined(mysql.right)?.queryTimeout : undefined
        assert.strictEqual(mysqlTimeout === undefined ? undefined : Duration.toMillis(mysqlTimeout), 30_000)
      }),
    { timeout: 20_000 }
  )

  it.effect("a timeout Node's timers cannot wait (over 24 days, or none) is a ConfigError naming its variable", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [string, string]> = [["MSSQL_QUERY_TIMEOUT", "30 days"], [
        "MSSQL_CONNECT_TIMEOUT",
        "0 millis"
      ]]
      for (const [name, value] of cases) {
        const read = yield* Effect.either(Sql.mssqlConfig.pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(
            new Map([["MSSQL_URL", "mssql://sa:pw@db.internal:1433/orders"], [name, value]])
          ))
        ))
        assert.isTrue(Either.isLeft(read))
        assert.include(String(Either.isLeft(read) ? read.left : ""), name)
      }
    }))
})

await describeLive("mssql", "SQL Server statement timeouts", () => {
  it.live(
    "the query timeout defaults to the driver's 15 seconds, past which tedious cancels a statement",
    () =>
      Effect.gen(function*() {
        const backend = yield* SqlBackend
        assert.strictEqual(Duration.toMillis(backend.queryTimeout), 15_000)
        const sql = yield* SqlClient.SqlClient
        // A program's own statement, which `run` does not bound, ends at the driver's limit all the same.
        const started = Date.now()
        const error = toTyped(yield* Effect.flip(sql`WAITFOR DELAY '00:00:17'`))
        assert.instanceOf(error, DataAccessError)
        assert.strictEqual(error.reason, "QueryTimeout")
        assert.isAbove(Date.now() - started, 14_000)
        assert.isBelow(Date.now() - started, 16_500)
        // Every pooled connection still answers.
        const rows = yield* Effect.all(
          Array.from({ length: 2 }, () => sql<{ readonly n: number }>`SELECT 1 AS n`),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(rows.map((r) => r[0]?.n), [1, 1])
      }).pipe(Effect.provide(Sql.layerMssql({ ...(mssqlOptions ?? {}), maxConnections: 2 }))),
    { timeout: 40_000 }
  )
})
