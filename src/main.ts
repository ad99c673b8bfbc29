/**
 * The program: reads configuration, builds the backends, runs the work, releases everything.
 *
 * @since 0.1.0
 */
import { NodeRuntime } from "@effect/platform-node"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { RedisLive, SqlLive } from "./layers/App.js"
import { RedisClient } from "./services/RedisClient.js"

const program = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const redis = yield* RedisClient
  const [row] = yield* sql<{ readonly ok: number }>`SELECT 1 AS ok`
  const latency = yield* redis.ping
  yield* Effect.logInfo(`SQL answered ${row?.ok}; Redis answered in ${latency.toString()}`)
})

program.pipe(
  Effect.provide(Layer.mergeAll(SqlLive, RedisLive)),
  NodeRuntime.runMain
)
