/**
 * A Redis server of a test's own (`redis-server` from the PATH, on a free port, keeping nothing
 * on disk), for what the shared server must not suffer: restarts with other settings, a stall,
 * `DEBUG SLEEP`. Stopped when the scope closes.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import * as net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as tls from "node:tls"

export interface RedisServer {
  readonly port: number
  /** The server's self-signed certificate, when it speaks TLS. */
  readonly certificate: { readonly cert: string; readonly key: string } | undefined
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

/** Resolves once the port answers PING (at most 10 seconds), over TLS when `secure`. */
const answering = (port: number, secure: boolean): Promise<void> => {
  const started = Date.now()
  const attempt = (): Promise<void> =>
    new Promise<boolean>((resolve) => {
      const socket = secure
        ? tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false })
        : net.connect({ host: "127.0.0.1", port })
      socket.setTimeout(500, () => socket.destroy())
      socket.once(secure ? "secureConnect" : "connect", () => socket.write("PING\r\n"))
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
 * A self-signed certificate for 127.0.0.1 (made by `openssl` in `dir`): a server's certificate
 * that no client trusts unless told to (`NODE_EXTRA_CA_CERTS`).
 */
export const selfSignedCertificate = (dir: string): { readonly cert: string; readonly key: string } => {
  const cert = join(dir, "cert.pem")
  const key = join(dir, "key.pem")
  execFileSync("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "2",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1"
  ], { stdio: "ignore" })
  return { cert, key }
}

/**
 * @example
 * const server = yield* redisServer(["--databases", "16"])
 * Redis.layer({ host: "127.0.0.1", port: server.port })
 *
 * With `{ tls: true }` the server speaks TLS only, on its port, with a self-signed certificate
 * (`server.certificate`).
 */
export const redisServer = (
  args: ReadonlyArray<string> = [],
  options: { readonly tls?: boolean } = {}
): Effect.Effect<RedisServer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const dir = mkdtempSync(join(tmpdir(), "effect-dao-redis-"))
    const port = yield* Effect.promise(freePort)
    const certificate = options.tls === true ? selfSignedCertificate(dir) : undefined
    const listen = certificate === undefined ? ["--port", String(port)] : [
      "--port",
      "0",
      "--tls-port",
      String(port),
      "--tls-cert-file",
      certificate.cert,
      "--tls-key-file",
      certificate.key,
      "--tls-ca-cert-file",
      certificate.cert,
      "--tls-auth-clients",
      "no"
    ]
    let child: ChildProcess | undefined
    const start = (extra: ReadonlyArray<string>) =>
      Effect.promise(() => {
        child = spawn(
          "redis-server",
          [...listen, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...extra],
          { stdio: "ignore" }
        )
        return answering(port, certificate !== undefined)
      })
    const stop = Effect.promise(() => child === undefined ? Promise.resolve() : stopped(child))
    yield* Effect.acquireRelease(
      start(args),
      () => Effect.zipRight(stop, Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
    )
    return {
      port,
      certificate,
      restart: (extra) => Effect.zipRight(stop, start(extra)),
      pause: Effect.sync(() => void child?.kill("SIGSTOP")),
      resume: Effect.sync(() => void child?.kill("SIGCONT"))
    }
  })
