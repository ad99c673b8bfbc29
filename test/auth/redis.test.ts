/**
 * Redis ACL users (`REDIS_USERNAME` / `username`, Redis 6 and later), against a `redis-server` of
 * the test's own whose default user is off.
 */
import { assert, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Redis from "../../src/layers/Redis.js"
import { RedisClient } from "../../src/services/RedisClient.js"
import { redisServer } from "../support/redisServer.js"
import { describeLive } from "../support/services.js"

const SECRET = "acl-secret-Pa55"

const roundTrip = Effect.flatMap(RedisClient, (client) =>
  Effect.zipRight(
    client.use("acl.set", (redis) => redis.set("acl", "as alice")),
    client.use("acl.get", (redis) => redis.get("acl"))
  ))

await describeLive("redis", "Redis ACL users", () => {
  it.live(
    "a user and password, in code and from REDIS_USERNAME / REDIS_PASSWORD, are let in; others are AuthFailed",
    () =>
      Effect.gen(function*() {
        // Each rule an argument of its own: `--user alice on >secret ~* &* +@all`.
        const server = yield* redisServer([
          "--user",
          "default",
          "off",
          "--user",
          "alice",
          "on",
          `>${SECRET}`,
          "~*",
          "&*",
          "+@all"
        ])
        const at = { host: "127.0.0.1", port: server.port }
        assert.strictEqual(
          yield* roundTrip.pipe(
            Effect.provide(Redis.layer({ ...at, username: "alice", password: Redacted.make(SECRET) }))
          ),
          "as alice"
        )
        const fromEnv = Redis.layerConfig.pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(
          new Map([
            ["REDIS_HOST", "127.0.0.1"],
            ["REDIS_PORT", String(server.port)],
            ["REDIS_USERNAME", "alice"],
            ["REDIS_PASSWORD", SECRET]
          ])
        ))))
        assert.strictEqual(yield* roundTrip.pipe(Effect.provide(fromEnv)), "as alice")
        for (
          const options of [{ username: "mallory", password: Redacted.make(SECRET) }, {
            password: Redacted.make(SECRET)
          }]
        ) {
          const error = yield* Effect.flip(Effect.scoped(Layer.build(Redis.layer({ ...at, ...options }))))
          assert.strictEqual(error.reason, "AuthFailed", JSON.stringify(options))
          assert.isFalse(error.retryable)
          assert.notInclude(`${error.message} ${JSON.stringify(error)}`, SECRET)
        }
      }).pipe(Effect.scoped),
    30_000
  )
})
