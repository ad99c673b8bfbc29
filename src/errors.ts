/**
 * The typed failures of every DAO, and the one place where driver errors are classified.
 *
 * Drivers raise many shapes (PostgreSQL SQLSTATE codes, MySQL/MariaDB errno, SQL Server error
 * numbers, ioredis replies, socket errors). `classify` turns each into a `ConnectionError`
 * (the backend could not be reached or was lost) or a `DataAccessError` with a `reason` a caller
 * can branch on. Nothing else in the project inspects driver error codes.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Predicate from "effect/Predicate"

/**
 * The backends errors are attributed to.
 *
 * @since 0.1.0
 * @category models
 */
export type Backend = "postgres" | "mysql" | "mariadb" | "mssql" | "redis" | "memory"

/**
 * Why a backend could not be used.
 *
 * @since 0.1.0
 * @category models
 */
export type ConnectionFailure =
  | "Refused"
  | "Reset"
  | "Timeout"
  | "AuthFailed"
  | "UnknownDatabase"
  | "PoolExhausted"
  | "TooManyConnections"
  | "Terminated"
  | "Unavailable"
  | "CircuitOpen"
  | "CommitOutcomeUnknown"
  | "InvalidUrl"
  | "InvalidOption"
  | "TlsUnsupported"
  | "CertificateRejected"
  | "Unknown"

/**
 * Connection failures that are worth another attempt. Bad credentials, an unknown database and
 * an open breaker will not heal by retrying; a commit whose outcome is unknown must not be
 * replayed blindly.
 */
const transientConnection: ReadonlySet<ConnectionFailure> = new Set<ConnectionFailure>([
  "Refused",
  "Reset",
  "Timeout",
  "PoolExhausted",
  "TooManyConnections",
  "Terminated",
  "Unavailable",
  "Unknown"
])

/**
 * The backend could not be reached, or the connection was lost.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnectionError extends Data.TaggedError("ConnectionError")<{
  readonly backend: Backend
  readonly operation: string
  readonly reason: ConnectionFailure
  /** Where the backend was looked for (host:port/database), never with credentials. */
  readonly target?: string | undefined
  readonly table?: string | undefined
  /** The driver's own code (SQLSTATE, errno, socket code), when it gave one. */
  readonly code?: string | undefined
  /** The driver's message with anything credential-like removed. */
  readonly detail: string
}> {
  /** Whether another attempt could succeed. */
  get retryable(): boolean {
    return transientConnection.has(this.reason)
  }
  override get message(): string {
    const where = this.target ? ` (${this.target})` : ""
    return `${this.backend} ${this.operation}${where}: ${this.reason}: ${this.detail}`
  }
}

/**
 * What went wrong with a statement or command that reached the backend.
 *
 * @since 0.1.0
 * @category models
 */
export type DataAccessFailure =
  | "UniqueViolation"
  | "ForeignKeyViolation"
  | "NotNullViolation"
  | "CheckViolation"
  | "SerializationFailure"
  | "Deadlock"
  | "LockTimeout"
  | "QueryTimeout"
  | "InvalidValue"
  | "UndefinedObject"
  | "SyntaxError"
  | "PermissionDenied"
  | "WrongType"
  | "OutOfMemory"
  | "ReadOnly"
  | "Decode"
  | "Unknown"

const transientData: ReadonlySet<DataAccessFailure> = new Set<DataAccessFailure>([
  "SerializationFailure",
  "Deadlock",
  "LockTimeout"
])

/**
 * A statement or command reached the backend and failed.
 *
 * @since 0.1.0
 * @category errors
 */
export class DataAccessError extends Data.TaggedError("DataAccessError")<{
  readonly backend: Backend
  readonly operation: string
  readonly reason: DataAccessFailure
  readonly table?: string | undefined
  /** The violated constraint, when the driver names it. */
  readonly constraint?: string | undefined
  readonly code?: string | undefined
  readonly detail: string
}> {
  /** Whether the whole unit of work may be retried (after its rollback). */
  get retryable(): boolean {
    return transientData.has(this.reason)
  }
  override get message(): string {
    const on = this.table ? ` on ${this.table}` : ""
    const code = this.code ? ` [${this.code}]` : ""
    return `${this.backend} ${this.operation}${on}: ${this.reason}${code}: ${this.detail}`
  }
}

/**
 * Why the access policy refused an operation.
 *
 * @since 0.1.0
 * @category models
 */
export type AccessDeniedReason =
  | "TableNotAllowed"
  | "ColumnNotAllowed"
  | "FilterNotAllowed"
  | "SortNotAllowed"
  | "MissingTenant"
  | "TenantMismatch"
  | "RowLevelSecurity"

/**
 * The access policy refused the operation before any SQL was sent.
 *
 * @since 0.1.0
 * @category errors
 */
export class AccessDenied extends Data.TaggedError("AccessDenied")<{
  readonly reason: AccessDeniedReason
  readonly table?: string | undefined
  readonly field?: string | undefined
  readonly detail?: string | undefined
}> {
  override get message(): string {
    const what = [this.table, this.field].filter(Predicate.isNotUndefined).join(".")
    const detail = this.detail ? `: ${this.detail}` : ""
    return `access denied (${this.reason})${what ? ` to ${what}` : ""}${detail}`
  }
}

/**
 * The requested record does not exist (or is not visible to the current tenant).
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFound extends Data.TaggedError("NotFound")<{
  readonly table: string
  readonly id: string
}> {
  override get message(): string {
    return `${this.table} ${this.id} not found`
  }
}

/**
 * Input from outside (a filter, a cursor, a key parameter, a record) is not acceptable.
 *
 * @since 0.1.0
 * @category errors
 */
export class ValidationError extends Data.TaggedError("ValidationError")<{
  readonly field?: string | undefined
  readonly detail: string
}> {
  override get message(): string {
    return this.field ? `invalid ${this.field}: ${this.detail}` : `invalid input: ${this.detail}`
  }
}

/**
 * Any failure of a backend call.
 *
 * @since 0.1.0
 * @category errors
 */
export type BackendError = ConnectionError | DataAccessError

/**
 * Whether a failure is transient: worth retrying after a backoff.
 *
 * @since 0.1.0
 * @category errors
 */
export const isTransient = (error: unknown): boolean =>
  (error instanceof ConnectionError || error instanceof DataAccessError) && error.retryable

/**
 * Whether a failure is a unique-key clash: two first writes of one key raced, and the loser may
 * run again to find the winner's row.
 *
 * @since 0.1.0
 * @category errors
 */
export const isUniqueViolation = (error: unknown): boolean =>
  error instanceof DataAccessError && error.reason === "UniqueViolation"

// ---------------------------------------------------------------------------------------------
// Secret scrubbing
// ---------------------------------------------------------------------------------------------

// The password runs to the last "@" before the path: an unencoded "@" in it is no end.
const urlCredentials = /([a-z][a-z0-9+.-]*:\/\/)([^\s:/@]*):([^\s/]*)@/gi
// A key ends with the word (`PGPASSWORD`, `DB_PASSWORD`, `MYSQL_PWD`, `client_secret`) and may be
// quoted (`"password": "..."`, JSON). Not MySQL's "(using password: YES)", which says whether one
// was given, not what it was.
const keyValueSecret =
  /\b([a-z0-9_]*?(?:password|passwd|pwd|secret|token|auth))(["']?\s*[=:]\s*)(?!(?:YES|NO)\))("[^"]*"|'[^']*'|[^\s,;&"'}]+)/gi
// Redis' AUTH [username] password, as a command echoed in a message.
const authCommand = /\bAUTH((?:\s+(?!\*\*\*)[^\s,;"'}]+){1,2})/g

/**
 * Removes credentials from text: `scheme://user:pass@host` keeps the user and hides the
 * password, and `password=...` style pairs lose their value. Extra known secrets (the
 * configured passwords) are cut out wherever they appear.
 *
 * @since 0.1.0
 * @category errors
 */
export const scrub = (text: string, secrets: ReadonlyArray<string> = knownSecrets()): string => {
  // Known secrets first: the patterns would cut a password holding "@" or ";" short, leaving the
  // rest of it in the text and the whole of it no longer there to be found.
  let out = text
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join("***")
    // A short one is cut out where it stands alone: everywhere, "pw" would mangle every message.
    else out = out.replace(standingAlone(secret), "***")
  }
  return out.replace(urlCredentials, "$1$2:***@").replace(keyValueSecret, "$1$2***").replace(authCommand, "AUTH ***")
}

/**
 * Where the servers quote the value a statement sent back in their messages: a key that is
 * already taken, text that is no number or date. A stored value may be sensitive (a token, an
 * e-mail address), and an error's detail ends up in logs and spans, so it is cut out; the names
 * of columns, keys and types stay.
 */
const echoedValues: ReadonlyArray<readonly [RegExp, string]> = [
  // MySQL / MariaDB: ER_DUP_ENTRY and its kin, ER_TRUNCATED_WRONG_VALUE(_FOR_FIELD), ER_WRONG_VALUE.
  [/(Duplicate entry )'[\s\S]*'( for key )/, "$1'***'$2"],
  [/(\b[Ii]ncorrect [\w ]+ value: )'[\s\S]*'( for (?:column|function)\b)/, "$1'***'$2"],
  [/(\b[Ii]ncorrect [\w ]+ value: )'[\s\S]*'$/, "$1'***'"],
  [/(can't be set to the value of )'[\s\S]*'$/, "$1'***'"],
  // PostgreSQL: a value is quoted at the end (`invalid input syntax for type integer: "abc"`,
  // `malformed array literal: "..."`), or before `is out of range`; identifiers sit inside.
  [/(: )"[\s\S]*"$/, "$1\"***\""],
  [/(\bvalue )"[\s\S]*"( is out of range)/, "$1\"***\"$2"],
  // SQL Server: 2627/2601's duplicate key value, 245's conversion, 2628's truncated value.
  [/(The duplicate key value is )\([\s\S]*\)(\.?)$/, "$1(***)$2"],
  [/(when converting the [\w ]+ value )'[\s\S]*'( to data type)/, "$1'***'$2"],
  [/(Truncated value: )'[\s\S]*'(\.?)$/, "$1'***'$2"]
]

/**
 * A driver's message without the values the server quoted from the statement (see
 * `echoedValues`), for the `detail` of an error.
 *
 * @since 0.1.0
 * @category errors
 */
export const withoutValues = (message: string): string =>
  echoedValues.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), message)

const standingAlone = (secret: string) =>
  new RegExp(`(?<![\\p{L}\\p{N}])${secret.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}(?![\\p{L}\\p{N}])`, "gu")

const registeredSecrets = new Set<string>()

/**
 * Registers a secret (a configured password) so that `scrub` removes it from any text, even
 * where a driver echoes it in an unexpected place. Layers call this when they read a password.
 *
 * @since 0.1.0
 * @category errors
 */
export const registerSecret = (secret: string): void => {
  if (secret.length > 0) registeredSecrets.add(secret)
}

const knownSecrets = (): ReadonlyArray<string> => Array.from(registeredSecrets)

// ---------------------------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------------------------

/**
 * Where a failure happened: which backend, which operation, which table.
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorContext {
  readonly backend: Backend
  readonly operation: string
  readonly table?: string | undefined
  readonly target?: string | undefined
}

type Verdict =
  | { readonly kind: "connection"; readonly reason: ConnectionFailure }
  | { readonly kind: "data"; readonly reason: DataAccessFailure }

const connection = (reason: ConnectionFailure): Verdict => ({ kind: "connection", reason })
const data = (reason: DataAccessFailure): Verdict => ({ kind: "data", reason })

const socketCodes: Record<string, ConnectionFailure> = {
  ECONNREFUSED: "Refused",
  ECONNRESET: "Reset",
  EPIPE: "Reset",
  ECONNABORTED: "Reset",
  ETIMEDOUT: "Timeout",
  ESOCKETTIMEDOUT: "Timeout",
  EHOSTUNREACH: "Unavailable",
  ENETUNREACH: "Unavailable",
  EHOSTDOWN: "Unavailable",
  ENOTFOUND: "Unavailable",
  EAI_AGAIN: "Unavailable",
  // mysql2 client-side codes
  PROTOCOL_CONNECTION_LOST: "Terminated",
  PROTOCOL_SEQUENCE_TIMEOUT: "Timeout",
  // TLS was asked for and the server has none: it will not have it on the next attempt either.
  HANDSHAKE_NO_SSL_SUPPORT: "TlsUnsupported",
  // The server's certificate is not trusted (Node's TLS codes): it will not be on the next attempt.
  DEPTH_ZERO_SELF_SIGNED_CERT: "CertificateRejected",
  SELF_SIGNED_CERT_IN_CHAIN: "CertificateRejected",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "CertificateRejected",
  UNABLE_TO_GET_ISSUER_CERT: "CertificateRejected",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "CertificateRejected",
  CERT_HAS_EXPIRED: "CertificateRejected",
  CERT_NOT_YET_VALID: "CertificateRejected",
  CERT_UNTRUSTED: "CertificateRejected",
  CERT_REJECTED: "CertificateRejected",
  ERR_TLS_CERT_ALTNAME_INVALID: "CertificateRejected",
  POOL_CLOSED: "Terminated",
  // tedious client-side codes
  ESOCKET: "Reset",
  ECLOSE: "Terminated",
  ELOGIN: "AuthFailed",
  ECONNCLOSED: "Terminated"
}

/** PostgreSQL SQLSTATE codes, exact first, then by class. */
const postgresCodes: Record<string, Verdict> = {
  "23505": data("UniqueViolation"),
  "23503": data("ForeignKeyViolation"),
  "23502": data("NotNullViolation"),
  "23514": data("CheckViolation"),
  "23P01": data("CheckViolation"),
  "40001": data("SerializationFailure"),
  "40P01": data("Deadlock"),
  "55P03": data("LockTimeout"),
  "57014": data("QueryTimeout"),
  "42501": data("PermissionDenied"),
  "42P01": data("UndefinedObject"),
  "42703": data("UndefinedObject"),
  "42883": data("UndefinedObject"),
  "42601": data("SyntaxError"),
  "42704": data("UndefinedObject"),
  // A protocol violation is the server refusing a statement as sent (a bind of the wrong number
  // of parameters): the connection stays usable.
  "08P01": data("SyntaxError"),
  "25006": data("ReadOnly"),
  "53200": data("OutOfMemory"),
  "28P01": connection("AuthFailed"),
  "28000": connection("AuthFailed"),
  "3D000": connection("UnknownDatabase"),
  "53300": connection("TooManyConnections"),
  "57P01": connection("Terminated"),
  "57P02": connection("Terminated"),
  "57P03": connection("Unavailable"),
  "57P05": connection("Terminated"),
  "25P03": connection("Terminated")
}

const postgresVerdict = (code: string): Verdict | undefined =>
  postgresCodes[code] ??
    (code.startsWith("08") ? connection("Reset") : undefined) ??
    (code.startsWith("22") ? data("InvalidValue") : undefined) ??
    (code.startsWith("23") ? data("CheckViolation") : undefined) ??
    (code.startsWith("40") ? data("SerializationFailure") : undefined) ??
    (code.startsWith("42") ? data("SyntaxError") : undefined)

/** Error numbers shared by MySQL and MariaDB. */
const mysqlCommon: Record<number, Verdict> = {
  1062: data("UniqueViolation"),
  1586: data("UniqueViolation"),
  1451: data("ForeignKeyViolation"),
  1452: data("ForeignKeyViolation"),
  1216: data("ForeignKeyViolation"),
  1217: data("ForeignKeyViolation"),
  1048: data("NotNullViolation"),
  1364: data("NotNullViolation"),
  1213: data("Deadlock"),
  1205: data("LockTimeout"),
  1317: data("QueryTimeout"),
  1406: data("InvalidValue"),
  1264: data("InvalidValue"),
  1366: data("InvalidValue"),
  1292: data("InvalidValue"),
  1365: data("InvalidValue"),
  1146: data("UndefinedObject"),
  1054: data("UndefinedObject"),
  // As PostgreSQL's classes name them: an unknown function or table to drop, a value out of
  // range or cut short, a column count or name the statement gets wrong, a table made twice.
  1305: data("UndefinedObject"),
  1051: data("UndefinedObject"),
  1690: data("InvalidValue"),
  1265: data("InvalidValue"),
  1136: data("SyntaxError"),
  1052: data("SyntaxError"),
  1050: data("SyntaxError"),
  1064: data("SyntaxError"),
  1142: data("PermissionDenied"),
  1143: data("PermissionDenied"),
  1290: data("ReadOnly"),
  1792: data("ReadOnly"),
  1037: data("OutOfMemory"),
  1038: data("OutOfMemory"),
  1045: connection("AuthFailed"),
  1044: connection("AuthFailed"),
  1698: connection("AuthFailed"),
  1049: connection("UnknownDatabase"),
  1040: connection("TooManyConnections"),
  1203: connection("TooManyConnections"),
  1053: connection("Terminated"),
  1077: connection("Terminated"),
  1152: connection("Reset"),
  1153: data("InvalidValue"),
  1158: connection("Reset"),
  1159: connection("Timeout"),
  1160: connection("Reset"),
  1161: connection("Timeout"),
  2002: connection("Refused"),
  2003: connection("Refused"),
  2006: connection("Terminated"),
  2013: connection("Terminated")
}

/** Numbers that mean different things on the two engines. */
const mysqlOnly: Record<number, Verdict> = {
  3819: data("CheckViolation"),
  3024: data("QueryTimeout"),
  4031: connection("Terminated")
}
const mariadbOnly: Record<number, Verdict> = {
  4025: data("CheckViolation"),
  1969: data("QueryTimeout"),
  1927: connection("Terminated")
}

const mysqlVerdict = (backend: Backend, errno: number): Verdict | undefined =>
  mysqlCommon[errno] ?? (backend === "mariadb" ? mariadbOnly[errno] : mysqlOnly[errno])

/** SQL Server error numbers (1205 here is "chosen as deadlock victim", not a lock timeout). */
const mssqlNumbers: Record<number, Verdict> = {
  2627: data("UniqueViolation"),
  2601: data("UniqueViolation"),
  515: data("NotNullViolation"),
  1205: data("Deadlock"),
  1222: data("LockTimeout"),
  3960: data("SerializationFailure"),
  3961: data("SerializationFailure"),
  8152: data("InvalidValue"),
  2628: data("InvalidValue"),
  8115: data("InvalidValue"),
  220: data("InvalidValue"),
  245: data("InvalidValue"),
  208: data("UndefinedObject"),
  207: data("UndefinedObject"),
  102: data("SyntaxError"),
  156: data("SyntaxError"),
  229: data("PermissionDenied"),
  3906: data("ReadOnly"),
  701: data("OutOfMemory"),
  18456: connection("AuthFailed"),
  4060: connection("UnknownDatabase"),
  40613: connection("Unavailable"),
  40501: connection("Unavailable"),
  40197: connection("Unavailable"),
  10928: connection("TooManyConnections"),
  10929: connection("TooManyConnections"),
  233: connection("Terminated"),
  10053: connection("Reset"),
  10054: connection("Reset"),
  10060: connection("Timeout")
}

/** 547 is both foreign-key and check violations on SQL Server; the message tells them apart. */
const mssqlVerdict = (num: number, message: string): Verdict | undefined =>
  num === 547
    ? data(/FOREIGN KEY|REFERENCE/i.test(message) ? "ForeignKeyViolation" : "CheckViolation")
    : mssqlNumbers[num]

/**
 * tedious' own codes. `ETIMEOUT`: a request past its `requestTimeout`, which tedious has cancelled
 * on the server (the connection stays usable), or a connection that did not open or answer a
 * cancel. `EINVALIDSTATE`: a request refused before it was sent, its connection still busy, e.g.
 * cancelling a statement whose caller stopped waiting (@effect/sql-mssql cancels whatever runs
 * before each request): another attempt finds it free.
 */
const tediousCode = (facts: DriverFacts): Verdict | undefined => {
  switch (facts.code) {
    case "ETIMEOUT":
      return /^Timeout: Request failed to complete/.test(facts.message) ? data("QueryTimeout") : connection("Timeout")
    case "EINVALIDSTATE":
      return connection("Unavailable")
    default:
      return undefined
  }
}

const redisReplies: ReadonlyArray<readonly [RegExp, Verdict]> = [
  [/^(NOAUTH|WRONGPASS)\b/, connection("AuthFailed")],
  [/^NOPERM\b/, data("PermissionDenied")],
  [/^WRONGTYPE\b/, data("WrongType")],
  [/^OOM\b/, data("OutOfMemory")],
  [/^READONLY\b/, data("ReadOnly")],
  [/^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/, connection("Unavailable")],
  [/^ERR (syntax|unknown command|wrong number)/i, data("SyntaxError")],
  [/^ERR value is not an integer|^ERR .*not a valid float/i, data("InvalidValue")]
]

const messagePatterns: ReadonlyArray<readonly [RegExp, Verdict]> = [
  [/does not support SSL connections/i, connection("TlsUnsupported")],
  [/timeout exceeded when trying to connect|acquire.*timed? ?out|pool.*exhausted/i, connection("PoolExhausted")],
  [/Connection terminated due to connection timeout|connect(ion)? timed? ?out/i, connection("Timeout")],
  [
    /Connection terminated|Connection is closed|connection.*(lost|closed|ended)|socket hang up/i,
    connection("Terminated")
  ],
  [/Pool is closed|Cannot use a pool after calling end/i, connection("Terminated")],
  [/Command timed out/i, connection("Timeout")],
  [/max(imum)? ?retries ?per ?request|Reached the max retries/i, connection("Unavailable")],
  // ioredis without an offline queue, while it is (re)connecting
  [/Stream isn't writeable/i, connection("Unavailable")],
  [/ECONNREFUSED/, connection("Refused")],
  [/ECONNRESET|EPIPE/, connection("Reset")],
  [/ETIMEDOUT/, connection("Timeout")]
]

const messageVerdict = (messages: ReadonlyArray<string>): readonly [string, Verdict] | undefined => {
  for (const message of messages) {
    const verdict = messagePatterns.find(([pattern]) => pattern.test(message))?.[1]
    if (verdict !== undefined) return [message, verdict]
  }
  return undefined
}

interface DriverFacts {
  readonly code: string | undefined
  readonly errno: number | undefined
  readonly number: number | undefined
  /** The innermost message up to the object with the code. */
  readonly message: string
  /** Every message met on the way there, outermost first. */
  readonly messages: ReadonlyArray<string>
  readonly constraint: string | undefined
  readonly table: string | undefined
}

const field = (u: object, key: string): unknown => (key in u ? (u as Record<string, unknown>)[key] : undefined)

const asString = (u: unknown): string | undefined => (typeof u === "string" && u.length > 0 ? u : undefined)
const asNumber = (u: unknown): number | undefined => (typeof u === "number" && Number.isFinite(u) ? u : undefined)

/**
 * Codes that say only that a driver wrapped another error: tedious' `ESOCKET` holds the socket's
 * own error (`ECONNREFUSED` in an `AggregateError`, `ENOTFOUND`) as its cause, which says more.
 */
const wrapperCodes: ReadonlySet<string> = new Set(["ESOCKET"])

/**
 * Walks the cause chain (`SqlError.cause`, `AggregateError.errors`, tedious' `originalError`)
 * to the first object that carries a driver code, or to the innermost error. A wrapper's code
 * (`wrapperCodes`) is kept only when nothing under it has one.
 */
const driverFacts = (cause: unknown): DriverFacts => {
  let current: unknown = cause
  let message = ""
  const messages: Array<string> = []
  let wrapper: DriverFacts | undefined
  for (let depth = 0; depth < 6 && Predicate.isObject(current); depth++) {
    const msg = asString(field(current, "message"))
    if (msg !== undefined) {
      message = msg
      messages.push(msg)
    }
    const code = asString(field(current, "code"))
    const errno = asNumber(field(current, "errno"))
    const number = asNumber(field(current, "number"))
    const meaningfulCode = code !== undefined && code !== "EREQUEST" && code !== "ERR_UNHANDLED_ERROR"
    const errors = field(current, "errors")
    const next = Array.isArray(errors) && errors.length > 0
      ? errors[0]
      : field(current, "originalError") ?? field(current, "cause")
    if (meaningfulCode || errno !== undefined || number !== undefined) {
      const facts: DriverFacts = {
        code,
        errno,
        number,
        message,
        messages: [...messages],
        constraint: asString(field(current, "constraint")),
        table: asString(field(current, "table"))
      }
      if (!(code !== undefined && wrapperCodes.has(code) && Predicate.isObject(next))) return facts
      wrapper ??= facts
    }
    current = next
  }
  const innermost = {
    code: undefined,
    errno: undefined,
    number: undefined,
    message,
    messages,
    constraint: undefined,
    table: undefined
  }
  return wrapper === undefined ? innermost : { ...wrapper, messages }
}

const verdictFor = (backend: Backend, facts: DriverFacts): Verdict | undefined => {
  const socket = facts.code !== undefined ? socketCodes[facts.code] : undefined
  if (socket !== undefined) return connection(socket)
  switch (backend) {
    case "postgres":
      return facts.code !== undefined ? postgresVerdict(facts.code) : undefined
    case "mysql":
    case "mariadb":
      return facts.errno !== undefined ? mysqlVerdict(backend, facts.errno) : undefined
    case "mssql":
      return facts.number !== undefined ? mssqlVerdict(facts.number, facts.message) : tediousCode(facts)
    // The in-memory Redis stand-in (ioredis-mock) answers with Redis's own replies.
    case "redis":
    case "memory":
      return redisReplies.find(([pattern]) => pattern.test(facts.message))?.[1]
  }
}

/**
 * The constraint a MySQL/MariaDB or SQL Server message names, where the driver gives it no field
 * of its own (node-postgres does): `Duplicate entry '...' for key 'users_email'` (MySQL 8 writes
 * `'users.users_email'`), `CONSTRAINT \`qty_positive\` failed`, `Violation of UNIQUE KEY
 * constraint 'UQ_users'`, `conflicted with the FOREIGN KEY constraint "FK_orders_users"`.
 */
const namedConstraint = (message: string): string | undefined => {
  const named = /\bfor key '([^']+)'$/.exec(message) ?? /\bCONSTRAINT `([^`]+)` failed\b/.exec(message) ??
    /\bCONSTRAINT `([^`]+)` FOREIGN KEY\b/.exec(message) ?? /\bconstraint '([^']+)'/.exec(message) ??
    /\bconstraint "([^"]+)"/.exec(message) ?? /\bwith unique index '([^']+)'/.exec(message)
  return named?.[1]?.split(".").pop()
}

const errorCode = (facts: DriverFacts): string | undefined =>
  facts.code ?? (facts.number !== undefined ? String(facts.number) : undefined) ??
    (facts.errno !== undefined ? String(facts.errno) : undefined)

/**
 * Turns whatever a driver raised into a typed failure. Unknown shapes become a
 * `DataAccessError` with reason `Unknown`, keeping a scrubbed message.
 *
 * @since 0.1.0
 * @category errors
 */
export const classify = (context: ErrorContext) => (cause: unknown): ConnectionError | DataAccessError => {
  if (cause instanceof ConnectionError || cause instanceof DataAccessError) return cause
  const facts = driverFacts(cause)
  const byCode = verdictFor(context.backend, facts)
  // The outermost message that says what happened: pg-pool wraps a connect timeout as
  // "Connection terminated due to connection timeout" around "Connection terminated unexpectedly".
  const byMessage = byCode === undefined ? messageVerdict(facts.messages) : undefined
  const verdict = byCode ?? byMessage?.[1] ?? data("Unknown")
  const detail = scrub(withoutValues(byMessage?.[0] ?? (facts.message || String(cause))))
  // mysql2 names error numbers as MySQL does: MariaDB's 4025 is a failed CHECK, not MySQL's 4025.
  const code = context.backend === "mariadb" && facts.errno === 4025 ? "ER_CONSTRAINT_FAILED" : errorCode(facts)
  const table = context.table ?? facts.table
  return verdict.kind === "connection"
    ? new ConnectionError({
      backend: context.backend,
      operation: context.operation,
      reason: verdict.reason,
      target: context.target,
      table,
      code,
      detail
    })
    : new DataAccessError({
      backend: context.backend,
      operation: context.operation,
      reason: verdict.reason,
      table,
      constraint: facts.constraint ?? namedConstraint(facts.message),
      code,
      detail
    })
}
