import { assert, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Redis from "../../src/layers/Redis.js"
import { RedisClient } from "../../src/services/RedisClient.js"
import { redisServer } from "../support/redisServer.js"
import { answersOnceStarted } from "../support/release.js"
import { describeLive, redisOptions, redisUrl, uniqueName } from "../support/services.js"

await describeLive("redis", "scoped Redis layer", () => {
  it.live("a db the server does not have fails the connection, instead of going on in db 0", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.scoped(Layer.build(Redis.layer({ ...redisOptions, db: 9_999 }))))
      assert.strictEqual(error.reason, "UnknownDatabase")
      assert.include(error.detail, "out of range")
      // Built without a first connection, its commands fail rather than reach db 0.
      const late = yield* Effect.either(
        Effect.flatMap(RedisClient, (redis) => redis.use("test.set", (r) => r.set(uniqueName("db0"), "x"))).pipe(
          Effect.delay("200 millis"),
          Effect.provide(Redis.layer({ ...redisOptions, db: 9_999, requireConnection: false }))
        )
      )
      assert.strictEqual(late._tag, "Left")
      // A db the server has is used.
      const info = yield* Effect.flatMap(RedisClient, (redis) => redis.use("test.info", (r) => r.client("INFO"))).pipe(
        Effect.provide(Redis.layer({ ...redisOptions, db: 3 }))
      )
      assert.include(String(info), "db=3")
    }))

  it.live("a URL that names no Redis server is InvalidUrl, a timeout no timer can wait InvalidOption; an IPv6 address in brackets connects", () =>
    Effect.gen(function*() {
      const refused = [
        "http://127.0.0.1:6379/0",
        "redis://127.0.0.1:6379/%20",
        "redis://127.0.0.1:6379/1x",
        "redis://127.0.0.1:6379?db=3"
      ]
      for (const url of refused) {
        const error = yield* Effect.flip(
          Effect.scoped(Layer.build(Redis.layer({ url: Redacted.make(url), requireConnection: false })))
        )
        assert.strictEqual(error.reason, "InvalidUrl", url)
      }
      const empty = yield* Effect.flip(Effect.scoped(Layer.build(Redis.layer({ host: "" }))))
      assert.strictEqual(empty.reason, "InvalidUrl")
      // "1e3 seconds" type-checks as a duration; `Duration.decode` threw on it, a defect.
      for (const commandTimeout of ["1e3 seconds", "30 days", 0] as const) {
        const option = yield* Effect.flip(Effect.scoped(Layer.build(Redis.layer({ ...redisOptions, commandTimeout }))))
        assert.strictEqual(option.reason, "InvalidOption", String(commandTimeout))
        assert.include(option.detail, "commandTimeout")
      }
      // `new URL` keeps the brackets in the host name, which no resolver takes.
      const [pong, target] = yield* Effect.flatMap(
        RedisClient,
        (redis) => Effect.map(redis.use("test.ping", (r) => r.ping()), (pong) => [pong, redis.target] as const)
      ).pipe(
        Effect.provide(Redis.layer({ url: Redacted.make(`redis://[::1]:${redisOptions.port ?? 6379}/0`) }))
      )
      assert.strictEqual(pong, "PONG")
      // Its target is written as a URL writes it, so that the port stands apart.
      assert.strictEqual(target, `[::1]:${redisOptions.port ?? 6379}/0`)
    }))

  it.live("quits its connection when the scope closes", () =>
    Effect.gen(function*() {
      const connectionName = uniqueName("life")
      const observer = yield* RedisClient
      const count = observer.use("test.clientList", (redis) => redis.client("LIST") as Promise<string>).pipe(
        Effect.map((list) => list.split("\n").filter((line) => line.includes(` name=${connectionName} `)).length)
      )
      assert.strictEqual(yield* count, 0)
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(Redis.layer({ ...redisOptions, connectionName }), scope)
      const pong = yield* Effect.flatMap(RedisClient, (redis) => redis.use("test.ping", (r) => r.ping())).pipe(
        Effect.provide(context)
      )
      assert.strictEqual(pong, "PONG")
      assert.strictEqual(yield* count, 1)
      yield* Scope.close(scope, Exit.void)
      let after = yield* count
      for (let i = 0; i < 20 && after > 0; i++) {
        yield* Effect.sleep("25 millis")
        after = yield* count
      }
      assert.strictEqual(after, 0)
    }).pipe(Effect.provide(Redis.layer({ ...redisOptions, connectionName: uniqueName("observer") }))))

  it.live("a db index that is no whole number from 0 is InvalidOption, before any connection", () =>
    Effect.gen(function*() {
      for (const db of [Number.NaN, -1, 1.5, 2 ** 31]) {
        const error = yield* Effect.flip(Effect.scoped(Layer.build(Redis.layer({ ...redisOptions, db }))))
        assert.deepStrictEqual([error.reason, error.detail], [
          "InvalidOption",
          "db must be a whole number from 0 to 2147483647"
        ])
      }
    }))

  it.live("a reconnect to a server that lost the db fails its commands instead of going on in db 0, and recovers", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* redisServer(["--databases", "16"])
      const key = uniqueName("lost")
      const context = yield* Layer.build(
        Redis.layer({ host: "127.0.0.1", port: server.port, db: 5, breakerThreshold: 1_000 })
      )
      const client = Context.get(context, RedisClient)
      const set = client.use("test.set", (r) => r.set(key, "x"))
      const db0 = Effect.scoped(Effect.gen(function*() {
        const other = Context.get(
          yield* Layer.build(Redis.layer({ host: "127.0.0.1", port: server.port })),
          RedisClient
        )
        return yield* other.use("test.dbsize", (r) => r.dbsize())
      }))
      assert.strictEqual(yield* set, "OK")
      yield* server.restart(["--databases", "2"])
      // However long it goes on reconnecting, no write lands in db 0.
      const outcomes: Array<string> = []
      for (let i = 0; i < 15; i++) {
        const outcome = yield* Effect.either(set)
        outcomes.push(outcome._tag === "Left" ? outcome.left._tag : "written")
        yield* Effect.sleep("200 millis")
      }
      assert.deepStrictEqual([...new Set(outcomes)], ["ConnectionError"])
      assert.strictEqual(yield* db0, 0)
      // Once the server has the db again, the connection comes back to it.
      yield* server.restart(["--databases", "16"])
      const back = yield* set.pipe(Effect.retry({ times: 50, schedule: Schedule.spaced("100 millis") }))
      assert.strictEqual(back, "OK")
      const info = yield* client.use("test.info", (r) => r.client("INFO"))
      assert.include(String(info), "db=5")
      assert.strictEqual(yield* db0, 0)
    })))

  it.live("closing the scope is bounded even when the server answers nothing, whatever the command timeout", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* redisServer()
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(
        Redis.layer({ host: "127.0.0.1", port: server.port, commandTimeout: "30 seconds" }),
        scope
      )
      yield* server.pause
      const [took] = yield* Effect.timed(Scope.close(scope, Exit.void))
      yield* server.resume
      // QUIT waits at most 2 seconds, then the connection is dropped.
      assert.isBelow(Duration.toMillis(took), 4_000)
      assert.isAtLeast(Duration.toMillis(took), 1_900)
    })))

  it.live("a reconnect refused for its password fails commands as AuthFailed, not retried, until it is let in", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* redisServer(["--requirepass", "first-secret"])
      const connect = (password: string) =>
        Effect.map(
          Layer.build(
            Redis.layer({
              host: "127.0.0.1",
              port: server.port,
              password: Redacted.make(password),
              breakerThreshold: 1_000
            })
          ),
          (context) => Context.get(context, RedisClient)
        )
      const client = yield* connect("first-secret")
      const admin = yield* connect("first-secret")
      const ping = client.use("test.ping", (r) => r.ping())
      assert.strictEqual(yield* ping, "PONG")
      yield* admin.use("test.config", (r) => r.config("SET", "requirepass", "second-secret"))
      yield* admin.use("test.kill", (r) => r.client("KILL", "SKIPME", "yes"))
      const reasons: Array<string> = []
      for (let i = 0; i < 10; i++) {
        const outcome = yield* Effect.either(ping)
        reasons.push(outcome._tag === "Left" ? outcome.left.reason : "PONG")
        yield* Effect.sleep("100 millis")
      }
      // The first may still meet the connection going down; then every refusal is the password's.
      assert.deepStrictEqual([...new Set(reasons.slice(3))], ["AuthFailed"])
      assert.notInclude(JSON.stringify(yield* Effect.flip(ping)), "secret")
      yield* admin.use("test.config", (r) => r.config("SET", "requirepass", "first-secret"))
      assert.strictEqual(yield* ping.pipe(Effect.retry({ times: 60, schedule: Schedule.spaced("100 millis") })), "PONG")
    })))
})

await describeLive("redis", "a Redis server still starting", () => {
  it.live(
    "refuses the first connect; the client's reconnect is waited for and the layer is built",
    () =>
      Effect.map(
        answersOnceStarted(redisUrl, 6379, "redis", (port) =>
          Effect.flatMap(RedisClient, (client) =>
            client.use("start.ping", (redis) =>
              redis.ping())).pipe(
              Effect.provide(Redis.layer({ host: "127.0.0.1", port }))
            )),
        (answer) =>
          assert.strictEqual(answer, "PONG")
      ),
    30_000
  )
})
