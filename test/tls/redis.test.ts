/**
 * Redis over TLS (`rediss://`, `REDIS_TLS`), against `redis-server`s of the test's own: one that
 * speaks TLS only, with a self-signed certificate, and one that speaks none.
 */
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { ConnectionError } from "../../src/errors.js"
import * as Redis from "../../src/layers/Redis.js"
import { RedisClient } from "../../src/services/RedisClient.js"
import { redisServer } from "../support/redisServer.js"
import { describeLive } from "../support/services.js"

const SECRET = "tls-secret-Pa55"

const ping = Effect.flatMap(RedisClient, (client) => client.ping)

/** `test/support/redisPing.ts` in a process of its own, with these variables set. */
const pingProcess = (env: Record<string, string>) =>
  Effect.async<{ readonly code: number | null; readonly out: string }>((resume) => {
    execFile(
      process.execPath,
      ["--import", "tsx", fileURLToPath(new URL("../support/redisPing.ts", import.meta.url))],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      // Its answer is its last line: log lines may come before it.
      (error, stdout) =>
        resume(Effect.succeed({
          code: error === null ? 0 : Number(error.code ?? -1),
          out: stdout.trim().split("\n").at(-1) ?? ""
        }))
    )
  })

await describeLive("redis", "Redis over TLS", () => {
  it.live(
    "rediss:// to a server whose certificate the process trusts is TLS, with its password",
    () =>
      Effect.gen(function*() {
        const server = yield* redisServer(["--requirepass", SECRET], { tls: true })
        const url = `rediss://:${SECRET}@127.0.0.1:${server.port}/0`
        const trusted = yield* pingProcess({ REDIS_URL: url, NODE_EXTRA_CA_CERTS: server.certificate!.cert })
        assert.deepStrictEqual([trusted.code, JSON.parse(trusted.out)], [0, { value: "over tls" }])
        // REDIS_TLS=true over a redis:// URL is TLS too.
        const flagged = yield* pingProcess({
          REDIS_URL: url.replace("rediss://", "redis://"),
          REDIS_TLS: "true",
          NODE_EXTRA_CA_CERTS: server.certificate!.cert
        })
        assert.deepStrictEqual([flagged.code, JSON.parse(flagged.out)], [0, { value: "over tls" }])
      }).pipe(Effect.scoped),
    120_000
  )

  it.live(
    "a certificate the process does not trust is CertificateRejected, not retried, naming no password",
    () =>
      Effect.gen(function*() {
        const server = yield* redisServer(["--requirepass", SECRET], { tls: true })
        const error = yield* Effect.flip(Effect.scoped(Layer.build(Redis.layer({
          url: Redacted.make(`rediss://:${SECRET}@127.0.0.1:${server.port}/0`)
        }))))
        assert.instanceOf(error, ConnectionError)
        assert.strictEqual(error.reason, "CertificateRejected")
        assert.isFalse(error.retryable)
        assert.notInclude(`${error.message} ${JSON.stringify(error)}`, SECRET)
      }).pipe(Effect.scoped),
    30_000
  )

  it.live(
    "TLS asked of a server that has none fails, never plaintext; plaintext to a TLS server fails too",
    () =>
      Effect.gen(function*() {
        const plain = yield* redisServer()
        const asked = yield* Effect.either(ping.pipe(Effect.provide(Redis.layer({
          url: Redacted.make(`rediss://127.0.0.1:${plain.port}/0`),
          connectTimeout: "1 second"
        }))))
        assert.isTrue(asked._tag === "Left" && asked.left._tag === "ConnectionError", JSON.stringify(asked))
        // The same server answers in plaintext: the failure was the TLS asked for.
        assert.strictEqual(
          (yield* Effect.either(ping.pipe(Effect.provide(Redis.layer({ host: "127.0.0.1", port: plain.port })))))._tag,
          "Right"
        )
        const secure = yield* redisServer([], { tls: true })
        const unasked = yield* Effect.either(ping.pipe(Effect.provide(Redis.layer({
          url: Redacted.make(`redis://127.0.0.1:${secure.port}/0`),
          connectTimeout: "1 second"
        }))))
        assert.isTrue(unasked._tag === "Left" && unasked.left._tag === "ConnectionError", JSON.stringify(unasked))
      }).pipe(Effect.scoped),
    30_000
  )
})
