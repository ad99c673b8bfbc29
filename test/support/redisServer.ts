/**
 * A Redis server of a test's own (`redis-server` from the PATH, on a free port, keeping nothing
 * on disk), for what the shared server must not suffer: restarts with other settings, a stall,
 * `DEBUG SLEEP`. Stopped when the scope closes.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface RedisServer {
  readonly port: number
  /** Stops the server at once (SIGKILL) and starts it again on the same port with these arguments. */
  readonly restart: (args: ReadonlyArray<string>) => Effect.Effect<void>
  /** SIGSTOP: the server keeps its connections and answers nothing. */
  readonly pause: Effect.Effect<void>
  readonly resume: Effect.Effect<void>
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

/** Resolves once the port answers PING (at most 10 seconds). */
const answering = (port: number): Promise<void> => {
  const started = Date.now()
  const attempt = (): Promise<void> =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port })
      socket.setTimeout(500, () => socket.destroy())
      socket.once("connect", () => socket.write("PING\r\n"))
      socket.once("data", (data) => {
        socket.destroy()
        // A server that asks for a password answers too.
        resolve(/^(\+PONG|-NOAUTH)/.test(data.toString()))
      })
      socket.once("close", () => resolve(false))
      socket.once("error", () => resolve(false))
    }).then((ok) => {
      if (ok) return
      if (Date.now() - started > 10_000) throw new Error(`redis-server on ${port} did not start`)
      return new Promise((resolve) => setTimeout(resolve, 50)).then(attempt)
    })
  return attempt()
}

const stopped = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGCONT")
    child.kill("SIGKILL")
  })

/**
 * @example
 * const server = yield* redisServer(["--databases", "16"])
 * Redis.layer({ host: "127.0.0.1", port: server.port })
 */
export const redisServer = (args: ReadonlyArray<string> = []): Effect.Effect<RedisServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const dir = mkdtempSync(join(tmpdir(), "effect-dao-redis-"))
    const port = yield* Effect.promise(freePort)
    let child: ChildProcess | undefined
    const start = (extra: ReadonlyArray<string>) =>
      Effect.promise(() => {
        child = spawn(
          "redis-server",
          ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...extra],
          { stdio: "ignore" }
        )
        return answering(port)
      })
    const stop = Effect.promise(() => child === undefined ? Promise.resolve() : stopped(child))
    yield* Effect.acquireRelease(
      start(args),
      () => Effect.zipRight(stop, Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
    )
    return {
      port,
      restart: (extra) => Effect.zipRight(stop, start(extra)),
      pause: Effect.sync(() => void child?.kill("SIGSTOP")),
      resume: Effect.sync(() => void child?.kill("SIGCONT"))
    }
  })
