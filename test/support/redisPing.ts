/**
 * Run in a process of its own (`node --import tsx test/support/redisPing.ts`), where the
 * environment it is started with (`NODE_EXTRA_CA_CERTS`) applies: writes and reads a key through
 * the Redis layer of `REDIS_URL`, and prints what it read.
 */
import * as Effect from "effect/Effect"
import * as Redis from "../../src/layers/Redis.js"
import { RedisClient } from "../../src/services/RedisClient.js"

const program = Effect.gen(function*() {
  const client = yield* RedisClient
  yield* client.use("ping.set", (redis) => redis.set("ping", "over tls"))
  return yield* client.use("ping.get", (redis) => redis.get("ping"))
})

Effect.runPromise(program.pipe(Effect.provide(Redis.layerConfig))).then(
  (value) => {
    console.log(JSON.stringify({ value }))
    process.exit(0)
  },
  (error: unknown) => {
    console.log(JSON.stringify({ error: String(error) }))
    process.exit(1)
  }
)
