import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { ConnectionError } from "../../src/errors.js"
import * as Redis from "../../src/layers/Redis.js"
import { retrying, RetryPolicy } from "../../src/layers/Resilience.js"
import { RedisClient } from "../../src/services/RedisClient.js"
import { makeRecording } from "../support/recording.js"
import { callCount, retryCount, timed } from "./labels.js"

const quickRetries = Layer.succeed(RetryPolicy, {
  ...RetryPolicy.defaultValue(),
  sql: { retries: 2, baseDelay: "1 millis", factor: 1, maxDelay: "1 millis", jitter: false }
})

describe("metrics of commands and retries", () => {
  it.effect("each command is counted by backend, operation and outcome, and timed", () =>
    Effect.gen(function*() {
      const client = yield* RedisClient
      const labels = { backend: "memory", operation: "Redis.ping" }
      const before = yield* callCount({ ...labels, outcome: "success" })
      const timedBefore = yield* timed(labels)
      yield* client.ping
      yield* client.ping
      assert.strictEqual((yield* callCount({ ...labels, outcome: "success" })) - before, 2)
      assert.strictEqual((yield* timed(labels)).count - timedBefore.count, 2)
      // A failed command counts under its reason, not as a success.
      const failing = { backend: "memory", operation: "Metrics.failing" }
      const failures = yield* callCount({ ...failing, outcome: "Unknown" })
      const error = yield* Effect.flip(
        client.use("Metrics.failing", () => Promise.reject(new Error("no such command")))
      )
      assert.strictEqual(error._tag, "DataAccessError")
      assert.strictEqual(error.reason, "Unknown")
      assert.strictEqual((yield* callCount({ ...failing, outcome: "Unknown" })) - failures, 1)
      assert.strictEqual(yield* callCount({ ...failing, outcome: "success" }), 0)
    }).pipe(Effect.provide(Redis.layerMemory)))

  it.live("each retry is counted by kind and reason, and logged as a warning with the failure's message", () =>
    Effect.gen(function*() {
      const recording = makeRecording()
      const before = yield* retryCount({ kind: "sql", reason: "Refused" })
      let attempts = 0
      const flaky = Effect.suspend(() => {
        attempts += 1
        return attempts < 3
          ? Effect.fail(
            new ConnectionError({
              backend: "postgres",
              operation: "Metrics.flaky",
              reason: "Refused",
              detail: "closed"
            })
          )
          : Effect.succeed("answered")
      })
      const result = yield* retrying("sql")(flaky).pipe(Effect.provide(recording.layer))
      assert.strictEqual(result, "answered")
      assert.strictEqual((yield* retryCount({ kind: "sql", reason: "Refused" })) - before, 2)
      const warnings = recording.logs.filter((line) => line.includes("sql retry"))
      assert.strictEqual(warnings.length, 2)
      assert.include(warnings[0], "sql retry 1 of 2 after: postgres Metrics.flaky: Refused: closed")
      assert.include(warnings[1], "sql retry 2 of 2")
      // A failure that is not transient is neither retried nor counted.
      const unique = yield* retryCount({ kind: "sql", reason: "AuthFailed" })
      yield* Effect.flip(
        retrying("sql")(Effect.fail(
          new ConnectionError({
            backend: "postgres",
            operation: "Metrics.auth",
            reason: "AuthFailed",
            detail: "refused"
          })
        ))
      )
      assert.strictEqual(yield* retryCount({ kind: "sql", reason: "AuthFailed" }), unique)
    }).pipe(Effect.provide(quickRetries)))
})
