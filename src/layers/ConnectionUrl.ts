/**
 * Connection URLs (`postgres://`, `mysql://`, `mssql://`, `redis://`, `rediss://`) taken apart
 * once, for every backend layer. The password is registered as a secret the moment it is read,
 * so no error text can carry it afterwards.
 *
 * @since 0.1.0
 */
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

const decoded = (part: string): string | undefined => (part.length > 0 ? decodeURIComponent(part) : undefined)

/**
 * Parses a URL; an unparsable one yields no parts (the layer's defaults then apply, and the
 * connection attempt says what is wrong without echoing the URL).
 *
 * @since 0.1.0
 * @category constructors
 */
export const parse = (url: Redacted.Redacted | undefined): ConnectionUrl => {
  let parsed: URL | undefined
  try {
    parsed = url ? new URL(Redacted.value(url)) : undefined
  } catch {
    parsed = undefined
  }
  if (parsed === undefined) return { params: new URLSearchParams() }
  const password = decoded(parsed.password)
  if (password !== undefined) registerSecret(password)
  return {
    protocol: parsed.protocol.replace(/:$/, ""),
    host: decoded(parsed.hostname),
    port: parsed.port ? Number(parsed.port) : undefined,
    username: decoded(parsed.username),
    password: password !== undefined ? Redacted.make(password) : undefined,
    path: decoded(parsed.pathname.replace(/^\//, "")),
    params: parsed.searchParams
  }
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
