/**
 * Connection URLs (`postgres://`, `mysql://`, `mssql://`, `redis://`, `rediss://`) taken apart
 * once, for every backend layer. The password is registered as a secret the moment it is read,
 * so no error text can carry it afterwards.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { registerSecret } from "../errors.js"

/**
 * The parts of a URL; each absent when the URL does not say.
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectionUrl {
  readonly protocol?: string | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly username?: string | undefined
  readonly password?: Redacted.Redacted | undefined
  /** The path without its leading `/`: a database name, or a Redis db index. */
  readonly path?: string | undefined
  readonly params: URLSearchParams
}

/** Why a URL was refused; never the URL itself, which may hold a password. */
const unencoded =
  "not a valid connection URL (a user name or password holding '/', '?', '#', '@' or '%' must be percent-encoded)"

const decoded = (part: string): string | undefined => (part.length > 0 ? decodeURIComponent(part) : undefined)

/**
 * Parses a URL. One that cannot be read, or that only reads as something else (an unencoded
 * `/` in a password makes the user name the host and the rest a path), is refused with the reason
 * and without the URL: connecting to defaults instead would reach another server, and the URL's
 * parts would reach error texts as a "host" or "path".
 *
 * @since 0.1.0
 * @category constructors
 */
export const parse = (url: Redacted.Redacted | undefined): Either.Either<ConnectionUrl, string> => {
  if (url === undefined) return Either.right({ params: new URLSearchParams() })
  // A variable set but left empty (`DATABASE_URL=`) is no URL with a bad password in it.
  if (Redacted.value(url).trim() === "") return Either.left("the connection URL is empty")
  try {
    const parsed = new URL(Redacted.value(url))
    // An "@" after the host belonged to a password cut short by an unencoded "/", "?" or "#";
    // a query may hold one (`application_name=svc@prod`) when the user and password were read.
    const cut = parsed.username === "" && parsed.password === ""
    if (/@/.test(parsed.pathname + parsed.hash) || (cut && parsed.search.includes("@"))) {
      return Either.left(unencoded)
    }
    // Port 0 is no port a server listens on; the drivers would take it for none, their default.
    if (parsed.port === "0") return Either.left("not a valid connection URL (its port is 0: a port is 1 to 65535)")
    const password = decoded(parsed.password)
    if (password !== undefined) registerSecret(password)
    return Either.right({
      protocol: parsed.protocol.replace(/:$/, ""),
      // An IPv6 address keeps its brackets in `hostname` ("[::1]"), which no resolver takes.
      host: decoded(parsed.hostname.replace(/^\[(.*)\]$/, "$1")),
      port: parsed.port ? Number(parsed.port) : undefined,
      username: decoded(parsed.username),
      password: password !== undefined ? Redacted.make(password) : undefined,
      path: decoded(parsed.pathname.replace(/^\//, "")),
      params: parsed.searchParams
    })
  } catch {
    // `new URL` refused it, or a part's percent-encoding is malformed (`decodeURIComponent`).
    return Either.left(
      portOutOfRange(Redacted.value(url)) ? "not a valid connection URL (its port is over 65535)" : unencoded
    )
  }
}

/** Whether the host part of a URL (after its last `@`) ends with a port over 65535. */
const portOutOfRange = (text: string): boolean => {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(text)?.[1] ?? ""
  const port = /:(\d+)$/.exec(authority.slice(authority.lastIndexOf("@") + 1))?.[1]
  return port !== undefined && Number(port) > 65_535
}

/**
 * Registers a configured password as a secret and returns it unchanged.
 *
 * @since 0.1.0
 * @category constructors
 */
export const secret = (password: Redacted.Redacted | undefined): Redacted.Redacted | undefined => {
  if (password !== undefined) registerSecret(Redacted.value(password))
  return password
}

/**
 * Where a backend is looked for, as errors and health reports print it: `host:port/path`, an IPv6
 * address in brackets (`[::1]:5432/test`), as a URL writes it, so that the port stands apart.
 *
 * @since 0.1.0
 * @category constructors
 */
export const target = (host: string, port: number, path: string | number): string =>
  `${host.includes(":") ? `[${host}]` : host}:${port}/${path}`
