import * as SqlClient from "@effect/sql/SqlClient"
import * as Statement from "@effect/sql/Statement"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { classify, ConnectionError, DataAccessError } from "../../src/errors.js"
import * as Sql from "../../src/layers/Sql.js"
import { describeLive, mysqlOptions, mysqlUrl, uniqueName } from "../support/services.js"

const run = Sql.run({ operation: "test.statement" })

await describeLive("mariadb", "error classification on MariaDB", () => {
  const withTables = <A, E, R>(
    body: (sql: SqlClient.SqlClient, parent: string, child: string) => Effect.Effect<A, E, R>
  ) =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const parent = uniqueName("err_parent")
      const child = uniqueName("err_child")
      yield* sql.unsafe(
        `CREATE TABLE ${parent} (id int PRIMARY KEY, name varchar(10) NOT NULL, qty int CHECK (qty >= 0)) ENGINE=InnoDB`
      )
      yield* sql.unsafe(
        `CREATE TABLE ${child} (id int PRIMARY KEY, parent_id int NOT NULL, FOREIGN KEY (parent_id) REFERENCES ${parent}(id)) ENGINE=InnoDB`
      )
      return yield* Effect.ensuring(
        body(sql, parent, child),
        Effect.orDie(sql.unsafe(`DROP TABLE IF EXISTS ${child}, ${parent}`))
      )
    }).pipe(Effect.provide(Sql.layerMysql(mysqlOptions)), Effect.scoped)

  it.live("the engine is recognised as MariaDB", () =>
    Effect.gen(function*() {
      const backend = yield* Sql.SqlBackend
      assert.strictEqual(backend.backend, "mariadb")
      assert.strictEqual(backend.dialect.name, "mysql")
    }).pipe(Effect.provide(Sql.layerMysql(mysqlOptions))))

  it.live("constraint violations become DataAccessError with their reason", () =>
    withTables((sql, parent, child) =>
      Effect.gen(function*() {
        yield* run(sql`INSERT INTO ${sql(parent)} ${sql.insert({ id: 1, name: "a", qty: 1 })}`)
        const duplicate = yield* Effect.flip(
          run(sql`INSERT INTO ${sql(parent)} ${sql.insert({ id: 1, name: "b", qty: 1 })}`)
        )
        const orphan = yield* Effect.flip(run(sql`INSERT INTO ${sql(child)} ${sql.insert({ id: 1, parent_id: 42 })}`))
        const missing = yield* Effect.flip(run(sql`INSERT INTO ${sql(parent)} (id, name) VALUES (2, NULL)`))
        const negative = yield* Effect.flip(
          run(sql`INSERT INTO ${sql(parent)} ${sql.insert({ id: 3, name: "c", qty: -1 })}`)
        )
        const tooLong = yield* Effect.flip(
          run(sql`INSERT INTO ${sql(parent)} ${sql.insert({ id: 4, name: "x".repeat(50), qty: 1 })}`)
        )
        assert.instanceOf(duplicate, DataAccessError)
        assert.strictEqual(duplicate.reason, "UniqueViolation")
        assert.strictEqual(duplicate.code, "ER_DUP_ENTRY")
        assert.strictEqual(duplicate.backend, "mariadb")
        assert.strictEqual(orphan.reason, "ForeignKeyViolation")
        assert.strictEqual(missing.reason, "NotNullViolation")
        assert.strictEqual(negative.reason, "CheckViolation")
        assert.strictEqual(tooLong.reason, "InvalidValue")
        // The constraint each names, as node-postgres gives it on PostgreSQL.
        assert.strictEqual(duplicate.constraint, "PRIMARY")
        assert.instanceOf(orphan, DataAccessError)
        assert.instanceOf(negative, DataAccessError)
        assert.match(orphan.constraint ?? "", /^err_child_.*_ibfk_1$/)
        assert.strictEqual(negative.constraint, "qty")
        assert.strictEqual(negative.code, "ER_CONSTRAINT_FAILED")
      })
    ))

  it.live("the statement errors PostgreSQL gives a reason for have the same reason here", () =>
    withTables((sql, parent) =>
      Effect.gen(function*() {
        const reasonOf = (statement: string) =>
          Effect.map(
            Effect.flip(run(sql.unsafe(statement))),
            (error) => error._tag === "DataAccessError" && error.reason
          )
        // Each was Unknown; PostgreSQL's SQLSTATE classes name them so.
        const cases: ReadonlyArray<readonly [string, DataAccessError["reason"]]> = [
          ["SELECT no_such_function_xyz(1)", "UndefinedObject"],
          [`DROP TABLE ${parent}_missing`, "UndefinedObject"],
          ["SELECT 9223372036854775807 + 1", "InvalidValue"],
          [`INSERT INTO ${parent} (id, name) VALUES (1)`, "SyntaxError"],
          [`SELECT id FROM ${parent} a JOIN ${parent} b ON a.id = b.id`, "SyntaxError"],
          [`CREATE TABLE ${parent} (id int)`, "SyntaxError"]
        ]
        for (const [statement, reason] of cases) {
          assert.strictEqual(yield* reasonOf(statement), reason, statement)
        }
      })
    ))

  it.live("a value the server quotes back in its message is left out of the error", () =>
    withTables((sql, parent) =>
      Effect.gen(function*() {
        yield* run(sql`INSERT INTO ${sql(parent)} ${sql.insert({ id: 424242, name: "a", qty: 1 })}`)
        const duplicate = yield* Effect.flip(
          run(sql`INSERT INTO ${sql(parent)} ${sql.insert({ id: 424242, name: "b", qty: 1 })}`)
        )
        const notNumber = yield* Effect.flip(
          run(sql.unsafe(`INSERT INTO ${parent} (id, name, qty) VALUES (?, ?, ?)`, [5, "c", "s3cr3t-value"]))
        )
        assert.strictEqual(duplicate.reason, "UniqueViolation")
        assert.strictEqual(notNumber.reason, "InvalidValue")
        for (const error of [duplicate, notNumber]) {
          assert.include(error.message, "'***'")
          assert.notInclude(error.message, "424242")
          assert.notInclude(error.message, "s3cr3t")
        }
        assert.include(duplicate.message, "PRIMARY")
        assert.include(notNumber.message, "qty")
      })
    ))

  it.live("a deadlock is Deadlock and retryable", () =>
    withTables((sql, parent) =>
      Effect.gen(function*() {
        yield* sql`INSERT INTO ${sql(parent)} ${
          sql.insert([{ id: 1, name: "a", qty: 1 }, { id: 2, name: "b", qty: 1 }])
        }`
        const crossing = (first: number, second: number) =>
          sql.withTransaction(Effect.gen(function*() {
            yield* sql`UPDATE ${sql(parent)} SET qty = qty + 1 WHERE id = ${first}`
            yield* Effect.sleep("200 millis")
            yield* sql`UPDATE ${sql(parent)} SET qty = qty + 1 WHERE id = ${second}`
          }))
        const results = yield* Effect.all([crossing(1, 2), crossing(2, 1)].map((e) => Effect.either(run(e))), {
          concurrency: 2
        })
        const failures = results.filter((r) => r._tag === "Left").map((r) => r.left)
        assert.strictEqual(failures.length, 1)
        const [error] = failures
        assert.instanceOf(error, DataAccessError)
        assert.strictEqual((error as DataAccessError).reason, "Deadlock")
        assert.isTrue((error as DataAccessError).retryable)
      })
    ), { timeout: 20_000 })

  it.live("a lock wait timeout (1205) is LockTimeout", () =>
    withTables((sql, parent) =>
      Effect.gen(function*() {
        yield* sql`INSERT INTO ${sql(parent)} ${sql.insert({ id: 1, name: "a", qty: 1 })}`
        const holder = yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`SELECT * FROM ${sql(parent)} WHERE id = 1 FOR UPDATE`
          yield* Effect.sleep("2500 millis")
        })).pipe(Effect.fork)
        yield* Effect.sleep("200 millis")
        const error = yield* Effect.flip(run(sql.withTransaction(Effect.gen(function*() {
          yield* sql`SET SESSION innodb_lock_wait_timeout = 1`
          yield* sql`UPDATE ${sql(parent)} SET qty = 2 WHERE id = 1`
        }))))
        yield* Fiber.join(holder)
        assert.strictEqual(error.reason, "LockTimeout")
        assert.strictEqual(error.code, "ER_LOCK_WAIT_TIMEOUT")
      })
    ), { timeout: 20_000 })

  it.live("a query timeout under a millisecond still reaches the server, as a millisecond", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const tag = uniqueName("sub_ms")
      const started = Date.now()
      const error = yield* Effect.flip(run(sql.unsafe(`SELECT SLEEP(3) AS slept, '${tag}' AS tag`)))
      assert.strictEqual(error.reason, "QueryTimeout")
      assert.isBelow(Date.now() - started, 1_500)
      // The server stopped it too: `max_statement_time = 0.000` let it sleep its 3 seconds there.
      yield* Effect.sleep("300 millis")
      const [row] = yield* sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
        WHERE INFO LIKE ${`%${tag}%`} AND ID <> CONNECTION_ID()`
      assert.strictEqual(Number(row?.n), 0)
    }).pipe(Effect.provide(Sql.layerMysql({ ...mysqlOptions, queryTimeout: "400 micros" }))))

  it.live("a MariaDB statement timeout (1969) is QueryTimeout", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const error = yield* Effect.flip(run(sql`SET STATEMENT max_statement_time = 0.05 FOR SELECT SLEEP(2)`))
      assert.strictEqual(error.reason, "QueryTimeout")
    }).pipe(Effect.provide(Sql.layerMysql(mysqlOptions))))

  it.live(
    "a statement past the query timeout is stopped by the server at once; nothing else on the pool is bounded",
    () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const started = Date.now()
        const error = yield* Effect.flip(run(sql`SELECT SLEEP(4) AS slept`))
        assert.strictEqual(error.reason, "QueryTimeout")
        assert.isBelow(Date.now() - started, 1_500)
        // The server stopped it (it ran on for its 4 seconds, holding its connection, before): its
        // own limit is the same 200 ms, so on a loaded machine it may end a moment after the
        // client gave up, never seconds after.
        const running = run(
          sql<{ readonly n: number }>`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
          WHERE INFO LIKE '%SLEEP(4)%' AND INFO NOT LIKE '%PROCESSLIST%'`
        ).pipe(Effect.map(([row]) => Number(row?.n)))
        let left = yield* running
        while (left > 0 && Date.now() - started < 1_500) {
          yield* Effect.sleep("20 millis")
          left = yield* running
        }
        assert.strictEqual(left, 0)
        // A program's own statement on the client is not bounded by the query timeout.
        const [own] = yield* sql<{ readonly slept: number }>`SELECT SLEEP(0.5) AS slept`
        assert.strictEqual(Number(own?.slept), 0)
        // A statement transformer of the program's own stays in force inside `run`.
        const [changed] = yield* Statement.withTransformer(
          run(sql<{ readonly n: number }>`SELECT 1 AS n`),
          (_self, sql) => Effect.succeed(sql`SELECT 2 AS n`)
        )
        assert.strictEqual(Number(changed?.n), 2)
      }).pipe(Effect.provide(Sql.layerMysql({ ...mysqlOptions, maxConnections: 2, queryTimeout: "200 millis" }))),
    {
      timeout: 20_000
    }
  )

  it.live("a closed port is a ConnectionError (Refused)", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.scoped(Layer.build(Sql.layerMysql({ host: "127.0.0.1", port: 1 }))))
      assert.instanceOf(error, ConnectionError)
      assert.strictEqual(error.reason, "Refused")
    }))

  it.live("a wrong password is a ConnectionError (AuthFailed) that does not repeat the password", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const user = uniqueName("pw").slice(0, 30)
      yield* sql.unsafe(`CREATE USER '${user}'@'%' IDENTIFIED BY 'Known-Secret-Pw-9481'`)
      yield* sql.unsafe(`CREATE USER '${user}'@'localhost' IDENTIFIED BY 'Known-Secret-Pw-9481'`)
      const error = yield* Effect.flip(Effect.scoped(Layer.build(Sql.layerMysql({
        url: Redacted.make(`mysql://${user}:Wrong-Secret-Pw-1234@127.0.0.1:3306/test`)
      })))).pipe(
        Effect.ensuring(Effect.orDie(sql.unsafe(`DROP USER IF EXISTS '${user}'@'%', '${user}'@'localhost'`)))
      )
      assert.instanceOf(error, ConnectionError)
      assert.strictEqual(error.reason, "AuthFailed")
      assert.isFalse(error.retryable)
      assert.notInclude(error.message, "Wrong-Secret-Pw-1234")
      assert.notInclude(JSON.stringify(error), "Wrong-Secret-Pw-1234")
    }).pipe(Effect.provide(Sql.layerMysql(mysqlOptions))))
})

describe("MySQL and MariaDB numbers that differ by engine", () => {
  it("4025 is a check violation on MariaDB, 3819 on MySQL", () => {
    assert.strictEqual(
      classify({ backend: "mariadb", operation: "t" })({ errno: 4025, message: "CONSTRAINT" }).reason,
      "CheckViolation"
    )
    assert.strictEqual(
      classify({ backend: "mysql", operation: "t" })({ errno: 3819, message: "Check" }).reason,
      "CheckViolation"
    )
    assert.strictEqual(classify({ backend: "mysql", operation: "t" })({ errno: 4025, message: "?" }).reason, "Unknown")
  })

  it("client-side mysql2 codes are connection failures", () => {
    const lost = classify({ backend: "mysql", operation: "t" })({
      code: "PROTOCOL_CONNECTION_LOST",
      fatal: true,
      message: "Connection lost"
    })
    assert.instanceOf(lost, ConnectionError)
    assert.strictEqual(lost.reason, "Terminated")
  })
})

await describeLive("mariadb", "TLS asked for in a MySQL URL", () => {
  /** Connects with the URL's query, and tells whether the session is encrypted. */
  const encrypted = (query: string) =>
    Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ readonly Value: string }>`SHOW STATUS LIKE 'Ssl_cipher'`).pipe(
      Effect.map((rows) => (rows[0]?.Value ?? "") !== ""),
      Effect.provide(Sql.layerMysql({ url: Redacted.make(`${mysqlUrl.split("?")[0]}?${query}`) })),
      Effect.either
    )

  it.live("is TLS or a failure that says the server has none, never plaintext; DISABLED is plaintext", () =>
    Effect.gen(function*() {
      for (const query of ["ssl-mode=REQUIRED", "ssl-mode=verify_identity", "ssl=true"]) {
        const outcome = yield* encrypted(query)
        if (outcome._tag === "Right") assert.isTrue(outcome.right, query)
        else {
          assert.instanceOf(outcome.left, ConnectionError, query)
          if (outcome.left instanceof ConnectionError && outcome.left.reason === "TlsUnsupported") {
            assert.isFalse(outcome.left.retryable)
          }
        }
      }
      const plain = yield* encrypted("ssl-mode=DISABLED")
      assert.deepStrictEqual(plain._tag === "Right" && plain.right, false)
    }))
})
