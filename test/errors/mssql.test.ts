/**
 * SQL Server classification from the error objects tedious itself constructs (no server needed).
 */
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
import * as Sql from "../../src/layers/Sql.js"

const toTyped = classify({ backend: "mssql", operation: "test", table: "orders" })

/** tedious builds a RequestError from an ERROR token and copies its number onto it. */
const requestError = (number: number, message: string) =>
  new SqlError({
    cause: Object.assign(new RequestError(message, "EREQUEST"), { number, state: 1, class: 14 }),
    message: "Failed to execute statement"
  })

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
    const login = toTyped(
      new SqlError({
        cause: new TediousConnectionError("Login failed for user 'sa'.", "ELOGIN"),
        message: "Failed to connect"
      })
    )
    assert.instanceOf(login, ConnectionError)
    assert.strictEqual(login.reason, "AuthFailed")
    assert.isFalse(login.retryable)
    const socket = toTyped(new TediousConnectionError("Connection lost - read ECONNRESET", "ESOCKET"))
    assert.instanceOf(socket, ConnectionError)
    assert.strictEqual(socket.reason, "Reset")
    assert.isTrue(socket.retryable)
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
