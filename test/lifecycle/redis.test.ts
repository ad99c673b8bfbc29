import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as Redis from "../../src/layers/Redis.js"
import { RedisClient } from "../../src/services/RedisClient.js"
import { describeLive, redisOptions, uniqueName } from "../support/services.js"

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
      const pong = yield* Effect.flatMap(RedisClient, (redis) => redis.use("test.ping", (r) => r.ping())).pipe(
        Effect.provide(Redis.layer({ url: Redacted.make(`redis://[::1]:${redisOptions.port ?? 6379}/0`) }))
      )
      assert.strictEqual(pong, "PONG")
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
})
