/**
 * A layer's start and release against a server that misbehaves: one still starting, one that
 * stops answering with a statement in flight.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { assert } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as MetricLabel from "effect/MetricLabel"
import * as Scope from "effect/Scope"
import * as Metrics from "../../src/layers/Metrics.js"
import { startProxy } from "./tcpProxy.js"

/**
 * Starts `inFlight` (a statement the server never answers), closes `scope` while it waits, and
 * asserts that the close gave up on the pool after its 5 seconds, not before and not much after.
 */
export const givesUpAfterFiveSeconds = (scope: Scope.CloseableScope, inFlight: Effect.Effect<unknown, unknown>) =>
  Effect.gen(function*() {
    yield* Effect.forkDaemon(inFlight)
    yield* Effect.sleep("200 millis")
    const started = Date.now()
    yield* Scope.close(scope, Exit.void)
    const elapsed = Date.now() - started
    assert.isAtLeast(elapsed, 4_500)
    assert.isBelow(elapsed, 7_000)
  })

const refusedRetries = (kind: "sql" | "redis") =>
  Effect.map(
    Metric.value(Metric.taggedWithLabels(Metrics.retries, [
      MetricLabel.make("kind", kind),
      MetricLabel.make("reason", "Refused")
    ])),
    (state) => state.count
  )

/**
 * Runs `attempt` against a port in front of the server at `url` that refuses connections until
 * the attempt has been refused once and is about to try again (a `kind` retry counted), as a
 * server still starting does; answers what the attempt answers, having asserted that it was
 * retried.
 */
export const answersOnceStarted = <A>(
  url: string,
  defaultPort: number,
  kind: "sql" | "redis",
  attempt: (port: number) => Effect.Effect<A, unknown>
) =>
  Effect.gen(function*() {
    const server = new URL(url)
    const proxy = yield* Effect.promise(() =>
      startProxy({ host: server.hostname, port: Number(server.port || defaultPort) })
    )
    yield* Effect.addFinalizer(() => Effect.promise(() => proxy.stop()))
    yield* Effect.promise(() => proxy.stop())
    const before = yield* refusedRetries(kind)
    const answer = yield* Effect.fork(attempt(proxy.port))
    while ((yield* refusedRetries(kind)) === before) yield* Effect.sleep("5 millis")
    yield* Effect.promise(() => proxy.start())
    const answered = yield* answer
    assert.isAtLeast((yield* refusedRetries(kind)) - before, 1)
    return answered
  }).pipe(Effect.scoped)

/** `answersOnceStarted` for a SQL layer, which must answer a statement once built. */
export const connectsOnceStarted = (
  url: string,
  defaultPort: number,
  layerAt: (port: number) => Layer.Layer<SqlClient.SqlClient, unknown>
) =>
  Effect.map(
    answersOnceStarted(url, defaultPort, "sql", (port) =>
      Effect.scoped(Effect.provide(
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<{ one: unknown }>("SELECT 1 AS one")),
        layerAt(port)
      ))),
    (rows) => assert.strictEqual(Number(rows[0]?.one), 1)
  )
