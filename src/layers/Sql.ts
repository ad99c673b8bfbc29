/**
 * Pooled SQL backends as layers: PostgreSQL (`@effect/sql-pg`), MySQL/MariaDB
 * (`@effect/sql-mysql2`) and SQL Server (`@effect/sql-mssql`).
 *
 * Each layer provides the dialect-neutral `SqlClient` plus `SqlBackend`: which backend it is,
 * what its dialect can do, its circuit breaker, its statement timeout and its pool figures. DAOs
 * run every statement through `run`, the one place where timeouts, error classification,
 * breaking, retrying and spans are applied.
 *
 * The MySQL and SQL Server drivers (mysql2, tedious and their @effect/sql clients) and
 * @effect/sql-pg are loaded when their layer is built, not when this module is: a program on
 * PostgreSQL alone never loads the MySQL or SQL Server drivers. `pg` itself comes with `Copy`,
 * whose parameter text (`Copy.text`) the repository's PostgreSQL inserts use too.
 *
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import type * as MssqlClient from "@effect/sql-mssql/MssqlClient"
import type * as MysqlClient from "@effect/sql-mysql2/MysqlClient"
import type * as PgClient from "@effect/sql-pg/PgClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import * as Statement from "@effect/sql/Statement"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import Pg from "pg"
import type { Backend, BackendError } from "../errors.js"
import { classify, ConnectionError, DataAccessError, scrub } from "../errors.js"
import * as ParseIssue from "../schemas/ParseIssue.js"
import type { PoolFigures } from "../services/Health.js"
import * as ConnectionUrl from "./ConnectionUrl.js"
import * as Copy from "./Copy.js"
import * as Counts from "./Counts.js"
import { atMost, deadline, releasedWithin } from "./Deadline.js"
import * as Durations from "./Durations.js"
import * as Metrics from "./Metrics.js"
import * as PgCancel from "./PgCancel.js"
import type { CircuitBreaker } from "./Resilience.js"
import { makeCircuitBreaker, retrying, rolledBack, statementFailed } from "./Resilience.js"

// ---------------------------------------------------------------------------------------------
// Dialects
// ---------------------------------------------------------------------------------------------

/**
 * What a SQL dialect can do, beyond its SQL text. Looked up once per backend, so DAOs never
 * compare dialect names themselves.
 *
 * @since 0.1.0
 * @category models
 */
export interface Dialect {
  readonly name: "pg" | "mysql" | "mssql"
  /** Most bound parameters one statement may carry. */
  readonly maxParams: number
  /** About the most bytes of values one multi-row statement is given (`Statements.splitBySize`). */
  readonly maxStatementBytes: number
  /** `INSERT ... RETURNING` (PostgreSQL) or `OUTPUT inserted.*` (SQL Server). */
  readonly returnsRows: boolean
  /** The planner keeps a row estimate that can stand in for `COUNT(*)`. */
  readonly hasCountEstimate: boolean
  /**
   * The driver queues statements issued on one connection while another runs (pg, mysql2), so
   * the next can be compiled and handed over before the previous one has answered. tedious
   * refuses a second request in flight.
   */
  readonly queuesStatements: boolean
  /**
   * A locking read that finds no row locks the gap where it would be (InnoDB at REPEATABLE
   * READ), so transactions that locked one gap and then insert into it deadlock, whatever keys
   * they insert. PostgreSQL, and SQL Server under READ COMMITTED, lock only rows found.
   */
  readonly locksGaps: boolean
}

/**
 * @since 0.1.0
 * @category models
 */
export const dialects: Record<Dialect["name"], Dialect> = {
  // node-postgres writes the parameter count as 16 bits.
  pg: {
    name: "pg",
    maxParams: 65_535,
    maxStatementBytes: 32 * 1024 * 1024,
    returnsRows: true,
    hasCountEstimate: true,
    queuesStatements: true,
    locksGaps: false
  },
  mysql: {
    name: "mysql",
    maxParams: 65_535,
    // Under the smallest default `max_allowed_packet` (4 MiB, MySQL 5.7; MariaDB's is 16 MiB,
    // MySQL 8's 64 MiB): a larger statement is refused and ends its connection.
    maxStatementBytes: 4_000_000,
    returnsRows: false,
    hasCountEstimate: false,
    queuesStatements: true,
    locksGaps: true
  },
  // SQL Server refuses more than 2,100 parameters; keep one spare for a tenant or key.
  mssql: {
    name: "mssql",
    maxParams: 2_099,
    maxStatementBytes: 32 * 1024 * 1024,
    returnsRows: true,
    hasCountEstimate: false,
    queuesStatements: false,
    locksGaps: false
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface SqlBackendService {
  readonly backend: Backend
  /** host:port/database, never with credentials. */
  readonly target: string
  readonly dialect: Dialect
  readonly queryTimeout: Duration.Duration
  readonly breaker: CircuitBreaker
  readonly pool: Effect.Effect<Option.Option<PoolFigures>>
  /**
   * Bulk loads with `COPY ... FROM STDIN` on a pooled connection of its own (never a
   * transaction's): PostgreSQL only, and absent where the server takes no copy data from a client
   * (PGlite's socket server). Run it through `run` like any statement.
   */
  readonly copyFrom?: Copy.CopyFrom | undefined
}

/**
 * The SQL backend in use, beside its `SqlClient`.
 *
 * @since 0.1.0
 * @category tags
 */
export class SqlBackend extends Context.Tag("effect-dao/SqlBackend")<SqlBackend, SqlBackendService>() {}

// ---------------------------------------------------------------------------------------------
// Running statements
// ---------------------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category models
 */
export interface RunOptions {
  /** The span and error name, e.g. `Repository.findById`. */
  readonly operation: string
  readonly table?: string | undefined
  /** Safe to run twice: reads, and writes that are idempotent. Only these are retried on their own. */
  readonly idempotent?: boolean | undefined
}

type Mapped<E> = Exclude<E, SqlError | ParseResult.ParseError> | BackendError

const isSqlOrParse = (u: unknown): u is SqlError | ParseResult.ParseError =>
  u instanceof SqlError || ParseResult.isParseError(u)

const isQueryTimeout = (u: unknown): u is DataAccessError => u instanceof DataAccessError && u.reason === "QueryTimeout"

/**
 * The most bytes of a string MariaDB sorts by (its `max_sort_length` at the largest it takes):
 * at the default 1,024, strings alike in their first 1,024 bytes came out of `ORDER BY` in any
 * order, which the keyset comparisons (whole values) did not follow, and walks lost rows.
 */
const maxSortLength = 8_388_608

/**
 * On MariaDB, which has no way to cancel a statement from the client that the driver uses, each
 * statement `run` runs also carries the query timeout to the server (`SET STATEMENT
 * max_statement_time = ... FOR ...`, through @effect/sql's statement transformer, so only what
 * `run` runs): the server stops it when the timer fails it, and its connection is free again.
 * The same prefix sorts strings by their whole value (`maxSortLength`). Elsewhere (MySQL has no
 * such prefix for writes) the statement is left as it is.
 */
const onServer = <A, E, R>(backend: SqlBackendService, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  if (backend.backend !== "mariadb") return effect
  const seconds = sqlSeconds(backend.queryTimeout)
  // After a transformer the program set itself, which stays in force.
  return Effect.flatMap(
    FiberRef.get(Statement.currentTransformer),
    (outer) =>
      Statement.withTransformer(effect, (self, sql, refs, span) =>
        Effect.map(
          Option.isSome(outer) ? outer.value(self, sql, refs, span) : Effect.succeed(self),
          (statement) =>
            sql`SET STATEMENT max_statement_time = ${sql.literal(seconds)}, max_sort_length = ${
              sql.literal(String(maxSortLength))
            } FOR ${statement}`
        ))
  )
}

/**
 * A duration as seconds in SQL text, to the millisecond above: a shorter one would read `0.000`,
 * which MariaDB takes for no limit at all.
 */
const sqlSeconds = (duration: Duration.Duration): string =>
  (Math.max(1, Math.ceil(Duration.toMillis(duration))) / 1000).toFixed(3)

/**
 * Runs a statement (or a few) against the current `SqlBackend`: bounded by its statement
 * timeout, driver errors classified, protected by its breaker, retried when idempotent and
 * not inside a transaction (there the whole transaction is retried), inside a span named after
 * the operation. Span attributes carry the backend and table, never values.
 *
 * @since 0.1.0
 * @category combinators
 */
export const run = (options: RunOptions) =>
<A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, Mapped<E>, R | SqlBackend> =>
  Effect.gen(function*() {
    const backend = yield* SqlBackend
    const context = {
      backend: backend.backend,
      operation: options.operation,
      table: options.table,
      target: backend.target
    }
    const toTyped = classify(context)
    const inTransaction = Option.isSome(yield* Effect.serviceOption(SqlClient.TransactionConnection))
    // A failure of the statement itself (not of decoding its rows) may have rolled back the
    // transaction it ran in (`statementFailed`).
    const failed = (error: BackendError): Effect.Effect<never, BackendError> =>
      inTransaction ? Effect.zipRight(statementFailed(backend.backend, error), Effect.fail(error)) : Effect.fail(error)
    // A timer in the client, not the server's `statement_timeout`: it bounds what `run` runs and
    // nothing else on the pool (migrations, streams, a caller's own statements), and on timeout
    // it interrupts the statement, which on PostgreSQL cancels it on the server and leaves the
    // connection usable (on MariaDB the server stops it itself, `onServer`).
    const bounded = deadline(onServer(backend, effect), {
      duration: backend.queryTimeout,
      onTimeout: () =>
        new DataAccessError({
          ...context,
          reason: "QueryTimeout",
          detail: `no answer within ${Duration.format(backend.queryTimeout)}`
        })
    }).pipe(
      Effect.catchIf(isSqlOrParse, (error): Effect.Effect<never, BackendError> =>
        ParseResult.isParseError(error)
          ? Effect.fail(
            new DataAccessError({
              ...context,
              reason: "Decode",
              detail: scrub(ParseIssue.describe(error))
            })
          )
          : failed(toTyped(error))),
      Effect.catchIf(isQueryTimeout, failed)
    ) as Effect.Effect<A, Mapped<E>, R>
    const guarded = backend.breaker.protect(bounded).pipe(Metrics.tracked(backend.backend, options.operation))
    const retried = options.idempotent && !inTransaction ? retrying("sql")(guarded) : guarded
    // In a transaction the backend has rolled back, the statement is not sent: it fails with what
    // rolled the transaction back (on MySQL/MariaDB it would have run and stayed on its own).
    const rolledBackBy = inTransaction ? yield* rolledBack : undefined
    if (rolledBackBy !== undefined) return yield* Effect.fail(rolledBackBy)
    return yield* retried
  }).pipe(
    // No stack trace: capturing one per statement cost more than a point read's round trip.
    Effect.withSpan(options.operation, {
      kind: "client",
      attributes: options.table ? { "db.collection.name": options.table } : {},
      captureStackTrace: false
    })
  )

// ---------------------------------------------------------------------------------------------
// Options and configuration
// ---------------------------------------------------------------------------------------------

/**
 * Options shared by the SQL backends. Flat, optional, secrets redacted.
 *
 * @since 0.1.0
 * @category models
 */
export interface SqlOptions {
  /** A connection URL; its parts are overridden by the discrete options that are set. */
  readonly url?: Redacted.Redacted | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly database?: string | undefined
  readonly username?: string | undefined
  readonly password?: Redacted.Redacted | undefined
  readonly ssl?: boolean | undefined
  readonly maxConnections?: number | undefined
  readonly connectTimeout?: Duration.DurationInput | undefined
  readonly idleTimeout?: Duration.DurationInput | undefined
  readonly queryTimeout?: Duration.DurationInput | undefined
  readonly breakerThreshold?: number | undefined
  readonly breakerResetTimeout?: Duration.DurationInput | undefined
  /**
   * PostgreSQL only: the `application_name` the sessions show in `pg_stat_activity`. Default the
   * URL's `application_name`, else `effect-dao`.
   */
  readonly applicationName?: string | undefined
  /**
   * PostgreSQL only: when false the layer is built without a first connection, so a program (and
   * its health report) can start while the database is down. Default true.
   */
  readonly requireConnection?: boolean | undefined
  /**
   * PostgreSQL only: whether bulk loads may stream through `COPY ... FROM STDIN` (`copyFrom` on
   * `SqlBackend`). Default true; false for a server that takes no copy data from a client, such as
   * PGlite's socket server.
   */
  readonly copy?: boolean | undefined
}

/**
 * What a connection asks of transport security: none, TLS with the server's certificate checked
 * against the trusted CAs (on PostgreSQL its host name too: node-postgres' `ssl: true`), or, on
 * MySQL/MariaDB, TLS with the host name checked as well (mysql2's `verifyIdentity`), or, on
 * PostgreSQL, TLS whose certificate is taken unchecked (`sslmode=no-verify`, node-postgres' own
 * mode, for a server with a self-signed certificate: encrypted, but open to whoever sits between).
 */
type Tls = "off" | "on" | "verify-identity" | "unchecked"

interface Resolved {
  readonly host: string
  readonly port: number
  readonly database: string
  readonly username: string | undefined
  readonly password: Redacted.Redacted | undefined
  readonly tls: Tls
  /** SQL Server only: `trustServerCertificate`, the certificate taken unchecked. */
  readonly trustServerCertificate: boolean
  /** PostgreSQL only: the URL's `application_name`. */
  readonly applicationName: string | undefined
}

type SqlKind = "postgres" | "mysql" | "mssql"

/** What the URL's query said, once read: what is absent was not said. */
interface UrlQuery {
  readonly tls?: Tls | undefined
  readonly trustServerCertificate?: boolean | undefined
  readonly applicationName?: string | undefined
}

/**
 * What a backend's URL may say: its schemes and the query options the layer reads (any other is
 * refused, not ignored: an ignored `ssl-mode=REQUIRED` went plaintext).
 */
interface UrlRules {
  readonly schemes: ReadonlyArray<string>
  readonly options: ReadonlyArray<string>
  /** Option names and values compared without case (SQL Server's connection strings). */
  readonly caseless: boolean
  readonly read: (query: ReadonlyMap<string, string>) => Either.Either<UrlQuery, string>
}

const flag = (name: string, value: string | undefined): Either.Either<boolean | undefined, string> => {
  switch (value?.toLowerCase()) {
    case undefined:
      return Either.right(undefined)
    case "true":
    case "1":
      return Either.right(true)
    case "false":
    case "0":
      return Either.right(false)
    default:
      return Either.left(`the URL option ${name} is true or false`)
  }
}

/**
 * libpq's `sslmode` as node-postgres reads it: `disable` is plaintext; every other mode is TLS
 * with the certificate and host name checked. That is stricter than libpq, which falls back to
 * plaintext under `allow` and `prefer` and checks nothing under `require`: node-postgres cannot
 * fall back, and checks less only when told so by its own `no-verify`.
 */
const sslModes: Readonly<Record<string, Tls>> = {
  disable: "off",
  allow: "on",
  prefer: "on",
  require: "on",
  "verify-ca": "on",
  "verify-full": "on",
  "no-verify": "unchecked"
}

/**
 * MySQL's `ssl-mode` (any case) as mysql2 can do it: `DISABLED` is plaintext, `PREFERRED`,
 * `REQUIRED` and `VERIFY_CA` TLS with the certificate checked (stricter than MySQL's first two),
 * `VERIFY_IDENTITY` its host name too.
 */
const mysqlSslModes: Readonly<Record<string, Tls>> = {
  disabled: "off",
  preferred: "on",
  required: "on",
  verify_ca: "on",
  verify_identity: "verify-identity"
}

/** `ssl=true|false` (node-postgres' and mysql2's spelling) or a mode, not both. */
const readTls = (
  modeName: string,
  mode: string | undefined,
  ssl: string | undefined,
  modes: Readonly<Record<string, Tls>>
): Either.Either<Tls | undefined, string> => {
  if (mode !== undefined && ssl !== undefined) return Either.left(`the URL gives both ${modeName} and ssl`)
  if (mode === undefined) return Either.map(flag("ssl", ssl), (on) => on === undefined ? undefined : on ? "on" : "off")
  const tls = Object.hasOwn(modes, mode) ? modes[mode] : undefined
  return tls !== undefined
    ? Either.right(tls)
    : Either.left(`the URL option ${modeName} is one of ${Object.keys(modes).join(", ")}`)
}

const urlRules: Record<SqlKind, UrlRules> = {
  postgres: {
    schemes: ["postgres", "postgresql"],
    options: ["sslmode", "ssl", "application_name"],
    caseless: false,
    read: (query) =>
      Either.map(readTls("sslmode", query.get("sslmode"), query.get("ssl"), sslModes), (tls) => ({
        tls,
        applicationName: query.get("application_name")
      }))
  },
  mysql: {
    schemes: ["mysql", "mariadb"],
    options: ["ssl-mode", "ssl"],
    caseless: false,
    read: (query) =>
      Either.map(
        readTls("ssl-mode", query.get("ssl-mode")?.toLowerCase(), query.get("ssl"), mysqlSslModes),
        (tls) => ({ tls })
      )
  },
  mssql: {
    schemes: ["mssql"],
    options: ["encrypt", "trustservercertificate"],
    caseless: true,
    read: (query) =>
      Either.all({
        encrypt: flag("encrypt", query.get("encrypt")),
        trust: flag("trustServerCertificate", query.get("trustservercertificate"))
      }).pipe(Either.map(({ encrypt, trust }) => ({
        tls: encrypt === undefined ? undefined : encrypt ? "on" : "off",
        trustServerCertificate: trust
      })))
  }
}

/** An option's name, as an error may show it: a name, never what a mangled URL put there. */
const shown = (name: string): string => (/^[A-Za-z0-9_.-]{1,40}$/.test(name) ? name : "(a name that is none)")

/** The URL's scheme and query against the backend's rules; every option at most once. */
const readUrl = (kind: SqlKind, url: ConnectionUrl.ConnectionUrl): Either.Either<UrlQuery, string> => {
  const rules = urlRules[kind]
  if (url.protocol !== undefined && !rules.schemes.includes(url.protocol.toLowerCase())) {
    return Either.left(`a URL for this layer starts with ${rules.schemes.map((scheme) => `${scheme}://`).join(" or ")}`)
  }
  const query = new Map<string, string>()
  for (const [given, value] of url.params) {
    const name = rules.caseless ? given.toLowerCase() : given
    if (!rules.options.includes(name)) {
      return Either.left(
        `the URL option ${shown(given)} is not one this layer reads (${rules.options.join(", ")})`
      )
    }
    if (query.has(name)) return Either.left(`the URL gives ${shown(given)} more than once`)
    query.set(name, value)
  }
  return rules.read(query)
}

/**
 * Merges a URL and discrete options; either password is registered as a secret. A URL that
 * cannot be read, is not the backend's, or holds a query option the layer does not read or a
 * value it does not know, or an empty host or database name, is a `ConnectionError`
 * (`InvalidUrl`) rather than a connection to the defaults, or a plaintext one.
 */
const resolve = (
  kind: SqlKind,
  options: SqlOptions,
  defaults: { readonly port: number; readonly database: string; readonly tls: Tls }
): Effect.Effect<Resolved, ConnectionError> =>
  Either.match(
    Either.flatMap(ConnectionUrl.parse(options.url), (url) =>
      Either.flatMap(notBlank(options, url), () => Either.map(readUrl(kind, url), (query) => ({ url, query })))),
    {
      onLeft: (detail) =>
        Effect.fail(new ConnectionError({ backend: kind, operation: "connect", reason: "InvalidUrl", detail })),
      onRight: ({ query, url }) =>
        Effect.as(
          Effect.zipRight(
            Durations.checkTimeouts(kind, {
              connectTimeout: options.connectTimeout,
              idleTimeout: options.idleTimeout,
              queryTimeout: options.queryTimeout,
              breakerResetTimeout: options.breakerResetTimeout
            }),
            Counts.checkCounts(kind, {
              port: [options.port, Counts.port],
              maxConnections: [options.maxConnections, Counts.poolSize],
              breakerThreshold: [options.breakerThreshold, Counts.threshold]
            })
          ),
          merge(options, defaults, url, query)
        )
    }
  )

/**
 * An empty host or database (`PGSQL_HOST=`, `database: ""`) would win over the URL's and reach the
 * drivers as "", which they take for their defaults: localhost, a database named after the user.
 */
const notBlank = (
  options: SqlOptions,
  url: ConnectionUrl.ConnectionUrl
): Either.Either<ConnectionUrl.ConnectionUrl, string> =>
  options.host !== undefined && options.host.trim() === ""
    ? Either.left("the host is empty")
    : options.database !== undefined && options.database.trim() === ""
    ? Either.left("the database name is empty")
    : options.username !== undefined && options.username.trim() === ""
    ? Either.left("the user name is empty")
    : Either.right(url)

/** `ssl` set in code or as `<PREFIX>_SSL` wins over the URL; true keeps a stricter mode it gave. */
const tlsOf = (ssl: boolean | undefined, fromUrl: Tls | undefined, fallback: Tls): Tls =>
  ssl === false ? "off" : ssl === true ? (fromUrl === "verify-identity" ? fromUrl : "on") : fromUrl ?? fallback

const merge = (
  options: SqlOptions,
  defaults: { readonly port: number; readonly database: string; readonly tls: Tls },
  url: ConnectionUrl.ConnectionUrl,
  query: UrlQuery
): Resolved => ({
  host: options.host ?? url.host ?? "127.0.0.1",
  port: options.port ?? url.port ?? defaults.port,
  database: options.database ?? url.path ?? defaults.database,
  username: options.username ?? url.username,
  password: ConnectionUrl.secret(options.password) ?? url.password,
  tls: tlsOf(options.ssl, query.tls, defaults.tls),
  trustServerCertificate: query.trustServerCertificate ?? false,
  applicationName: query.applicationName
})

const targetOf = (resolved: Resolved): string => ConnectionUrl.target(resolved.host, resolved.port, resolved.database)

/** Loads a driver's modules when its layer is built; a module that cannot be loaded is a defect. */
const loadDriver = <M>(load: () => Promise<M>): Effect.Effect<M> => Effect.promise(load)

const millis = (input: Duration.DurationInput | undefined, fallback: Duration.DurationInput): number =>
  Duration.toMillis(input ?? fallback)

const backendService = (
  options: SqlOptions,
  fields: Omit<SqlBackendService, "breaker" | "queryTimeout">
): Effect.Effect<SqlBackendService> =>
  Effect.map(
    makeCircuitBreaker({
      backend: fields.backend,
      failureThreshold: options.breakerThreshold,
      resetTimeout: options.breakerResetTimeout
    }),
    (breaker) => ({ ...fields, breaker, queryTimeout: Duration.decode(options.queryTimeout ?? "30 seconds") })
  )

/** The context a SQL layer provides: the driver's own tag, the generic `SqlClient`, and `SqlBackend`. */
const clientContext = <I, S extends SqlClient.SqlClient>(
  tag: Context.Tag<I, S>,
  client: S,
  backend: SqlBackendService
): Context.Context<I | SqlClient.SqlClient | SqlBackend> =>
  Context.make(tag, client).pipe(Context.add(SqlClient.SqlClient, client), Context.add(SqlBackend, backend))

/** A scoped layer from a constructor of `clientContext`. */
const scopedLayer = <I>(
  make: Effect.Effect<Context.Context<I>, ConnectionError, Scope.Scope | Reactivity.Reactivity>
): Layer.Layer<I, ConnectionError> => Layer.scopedContext(make).pipe(Layer.provide(Reactivity.layer))

/**
 * Makes a failed start-up a `ConnectionError` (a closed port, a wrong password, an unknown
 * database), bounded by the connect timeout, and tries again per the SQL retry policy while the
 * failure is transient (a server still starting refuses or drops connections) but for a timeout,
 * which has already waited its whole connect timeout.
 */
const checkConnection = <A, E, R>(
  backend: Backend,
  target: string,
  timeout: number,
  attempt: Effect.Effect<A, E, R>
): Effect.Effect<A, ConnectionError, R> =>
  attempt.pipe(
    Effect.timeoutFail({
      duration: Duration.millis(timeout),
      onTimeout: () =>
        new ConnectionError({
          backend,
          operation: "connect",
          target,
          reason: "Timeout",
          detail: `no answer in ${timeout} ms`
        })
    }),
    Effect.mapError((error) => {
      if (error instanceof ConnectionError) return error
      const typed = classify({ backend, operation: "connect", target })(error)
      return typed instanceof ConnectionError ? typed : new ConnectionError({
        backend,
        operation: "connect",
        target,
        reason: "Unknown",
        code: typed.code,
        detail: typed.detail
      })
    }),
    retrying("sql", (error) => error instanceof ConnectionError && error.retryable && error.reason !== "Timeout")
  )

// ---------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------

/** int8 (COUNT(*), BIGINT) as a number while it is exact, as mysql2 does; a string beyond. */
const parseInt8 = (value: string): number | string => {
  const n = Number(value)
  return Number.isSafeInteger(n) ? n : value
}

/** `TIMESTAMP` text as PostgreSQL writes it (ISO `DateStyle`), to the microsecond, maybe BC. */
const timestampText = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?( BC)?$/
/** `DATE` text, maybe BC. */
const dateOnlyText = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/

/** The instant of a UTC wall time; `bc` counts the year back from 1 BC, the year 0. */
const utcInstant = (
  [year, month, day]: readonly [string, string, string],
  bc: boolean,
  time: readonly [number, number, number, number] = [0, 0, 0, 0]
): Date => {
  const date = new Date(0)
  date.setUTCFullYear(bc ? 1 - Number(year) : Number(year), Number(month) - 1, Number(day))
  date.setUTCHours(...time)
  return date
}

/**
 * The parsers of `TIMESTAMP` and `DATE` text: the UTC wall time and day it names, as they are
 * sent (`Copy.dateText`) and as MySQL/MariaDB (a UTC session) and memory hold them, whatever the
 * process's time zone. node-postgres read them in the process's zone: the same row gave another
 * `Date` in each zone, and a wall time that zone skips (a spring-forward hour) none of its own.
 * Anything else (`infinity`) goes to node-postgres's parser.
 */
const utcParsers = (types: typeof Pg.types) => {
  const parserOf = types.getTypeParser as (oid: number, format: "text") => (text: string) => unknown
  const fallbackTimestamp = parserOf(1114, "text")
  const fallbackDate = parserOf(1082, "text")
  const textArray = parserOf(1009, "text")
  const timestamp = (text: string): unknown => {
    const match = timestampText.exec(text)
    if (match === null) return fallbackTimestamp(text)
    const [, year = "", month = "", day = "", hours, minutes, seconds, fraction, bc] = match
    // To the millisecond, the microseconds cut as node-postgres cuts them.
    const millis = fraction === undefined ? 0 : Number(fraction.padEnd(3, "0").slice(0, 3))
    return utcInstant([year, month, day], bc !== undefined, [Number(hours), Number(minutes), Number(seconds), millis])
  }
  const date = (text: string): unknown => {
    const match = dateOnlyText.exec(text)
    if (match === null) return fallbackDate(text)
    const [, year = "", month = "", day = "", bc] = match
    return utcInstant([year, month, day], bc !== undefined)
  }
  /** An array literal's elements, at any depth, through `element` (NULLs stay null). */
  const arrayOf = (element: (text: string) => unknown) => {
    const each = (value: unknown): unknown =>
      Array.isArray(value) ? value.map(each) : typeof value === "string" ? element(value) : value
    return (text: string) => each(textArray(text))
  }
  return new Map<number, (text: string) => unknown>([
    [1114, timestamp],
    [1082, date],
    [1115, arrayOf(timestamp)],
    [1182, arrayOf(date)]
  ])
}

/**
 * The driver's parsers, but for int8's and the UTC parsers of `TIMESTAMP` and `DATE`
 * (`utcParsers`); asked for per column of every result, so made once.
 */
const pgTypes = (types: typeof Pg.types): Pg.CustomTypesConfig => {
  const utc = utcParsers(types)
  return {
    getTypeParser: ((oid: number, format?: "text" | "binary") => {
      if (format === "binary") return types.getTypeParser(oid, format)
      return oid === 20 ? parseInt8 : utc.get(oid) ?? types.getTypeParser(oid, format)
    }) as Pg.CustomTypesConfig["getTypeParser"]
  }
}

/** `values` with each `Date` in them as `Copy.dateText` writes it; the same array when they hold none. */
const exactDates = (values: ReadonlyArray<unknown>): ReadonlyArray<unknown> =>
  values.some((value) => value instanceof Date || Array.isArray(value))
    ? Copy.exactDates(values) as ReadonlyArray<unknown>
    : values

/**
 * Makes a pooled connection send its `Date` parameters as bulk loads write them, in UTC
 * (`Copy.dateText`), as `TIMESTAMP` and `DATE` are read back (`utcParsers`): node-postgres sent
 * the process zone's local time, which those columns keep without its offset. Statements given as
 * text and values (`@effect/sql-pg`'s) or as a config holding them; a submittable (a cursor, a
 * copy) is left as it is, its values already prepared by node-postgres.
 */
const sendExactDates = (client: Pg.PoolClient): void => {
  const query = client.query.bind(client) as (...args: Array<unknown>) => unknown
  client.query = ((...args: Array<unknown>) => {
    const [first, second] = args
    if (Array.isArray(second)) {
      args[1] = exactDates(second)
    } else if (
      typeof first === "object" && first !== null && Array.isArray((first as { values?: unknown }).values) &&
      typeof (first as { submit?: unknown }).submit !== "function"
    ) {
      args[0] = { ...first, values: exactDates((first as { values: ReadonlyArray<unknown> }).values) }
    }
    return query(...args)
  }) as typeof client.query
}

/**
 * A pooled PostgreSQL client: `PgClient`, `SqlClient` and `SqlBackend`. The pool is bounded
 * (`maxConnections`, default 10), every acquisition times out (`connectTimeout`, default 15
 * seconds) and the pool is ended when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makePg = (
  options: SqlOptions
): Effect.Effect<
  Context.Context<PgClient.PgClient | SqlClient.SqlClient | SqlBackend>,
  ConnectionError,
  Scope.Scope | Reactivity.Reactivity
> =>
  Effect.gen(function*() {
    const resolved = yield* resolve("postgres", options, { port: 5432, database: "postgres", tls: "off" })
    const target = targetOf(resolved)
    const connectTimeout = millis(options.connectTimeout, "15 seconds")
    const applicationName = options.applicationName ?? resolved.applicationName ?? "effect-dao"
    const PgClient = yield* loadDriver(() => import("@effect/sql-pg/PgClient"))
    const pool = yield* Effect.acquireRelease(
      Effect.sync(() =>
        PgCancel.cancelOnOwnConnection(
          new Pg.Pool({
            host: resolved.host,
            port: resolved.port,
            database: resolved.database,
            user: resolved.username ?? "postgres",
            ...(resolved.password ? { password: Redacted.value(resolved.password) } : {}),
            ...(resolved.tls === "off"
              ? {}
              : { ssl: resolved.tls === "unchecked" ? { rejectUnauthorized: false } : true }),
            max: options.maxConnections ?? 10,
            connectionTimeoutMillis: connectTimeout,
            idleTimeoutMillis: millis(options.idleTimeout, "30 seconds"),
            application_name: applicationName,
            types: pgTypes(Pg.types)
          })
        )
      ),
      (pool) => Effect.promise(() => pool.end()).pipe(atMost("5 seconds"))
    )
    // An idle client that dies (a server restart) is replaced by the pool on next use.
    pool.on("error", () => {})
    pool.on("connect", sendExactDates)
    if (options.requireConnection !== false) {
      yield* checkConnection("postgres", target, connectTimeout, Effect.tryPromise(() => pool.query("SELECT 1")))
    }
    const client = yield* PgClient.fromPool({
      acquire: Effect.succeed(pool),
      applicationName
    }).pipe(
      Effect.mapError((error) => classify({ backend: "postgres", operation: "connect", target })(error)),
      Effect.catchTag("DataAccessError", (error) =>
        Effect.fail(
          new ConnectionError({
            backend: "postgres",
            operation: "connect",
            target,
            reason: "Unknown",
            detail: error.detail
          })
        ))
    )
    const backend = yield* backendService(options, {
      backend: "postgres",
      target,
      dialect: dialects.pg,
      pool: Effect.sync(() =>
        Option.some({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount })
      ),
      ...(options.copy === false ? {} : { copyFrom: Copy.make(pool) })
    })
    return clientContext(PgClient.PgClient, client, backend)
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layerPg = (
  options: SqlOptions
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient | SqlBackend, ConnectionError> => scopedLayer(makePg(options))

/**
 * The longest a SQL Server statement can run: tedious ends every request after its
 * `requestTimeout`, 15 seconds unless set, and `@effect/sql-mssql` gives no way to set it. The
 * request is cancelled on the server and fails as `QueryTimeout`, statements the DAOs run and a
 * program's own (streams, migrations) alike, so a longer `queryTimeout` could never be waited.
 *
 * @since 0.1.0
 * @category models
 */
export const mssqlStatementLimit: Duration.Duration = Duration.seconds(15)

/**
 * The longest statement timeout a backend's driver can wait, and why (SQL Server's
 * `mssqlStatementLimit`); the other backends have none.
 *
 * @since 0.1.0
 * @category models
 */
export interface QueryTimeoutLimit {
  readonly max: Duration.Duration
  readonly detail: string
}

const mssqlLimit: QueryTimeoutLimit = {
  max: mssqlStatementLimit,
  detail: `is at most ${Duration.format(mssqlStatementLimit)} on SQL Server: ` +
    "the driver (tedious) ends every request then, and @effect/sql-mssql does not let it be raised"
}

const withinLimit = (limit: QueryTimeoutLimit | undefined, timeout: Duration.Duration): boolean =>
  limit === undefined || Duration.lessThanOrEqualTo(timeout, limit.max)

const prefixed = (prefix: string, limit: QueryTimeoutLimit | undefined) => ({
  host: Config.string(`${prefix}_HOST`).pipe(Config.option),
  port: Config.port(`${prefix}_PORT`).pipe(Config.option),
  database: Config.string(`${prefix}_DATABASE`).pipe(Config.option),
  username: Config.string(`${prefix}_USERNAME`).pipe(Config.option),
  password: Config.redacted(`${prefix}_PASSWORD`).pipe(Config.option),
  ssl: Config.boolean(`${prefix}_SSL`).pipe(Config.option),
  maxConnections: Config.integer(`${prefix}_POOL_SIZE`).pipe(
    Config.validate({ message: "must be between 1 and 1000", validation: (n) => n >= 1 && n <= 1000 }),
    Config.option
  ),
  connectTimeout: Durations.timeoutConfig(`${prefix}_CONNECT_TIMEOUT`).pipe(Config.option),
  idleTimeout: Durations.timeoutConfig(`${prefix}_IDLE_TIMEOUT`).pipe(Config.option),
  // The failure names its variable as its path: `Config.validate` over a validated config gave none.
  queryTimeout: Durations.timeoutConfig(`${prefix}_QUERY_TIMEOUT`).pipe(
    Config.mapOrFail((timeout) =>
      withinLimit(limit, timeout) ? Either.right(timeout) : Either.left(
        ConfigError.InvalidData([`${prefix}_QUERY_TIMEOUT`], `${prefix}_QUERY_TIMEOUT ${limit?.detail ?? ""}`)
      )
    ),
    Config.option
  )
})

/**
 * Reads SQL options from the environment: a URL variable and `<PREFIX>_HOST`, `_PORT`,
 * `_DATABASE`, `_USERNAME`, `_PASSWORD`, `_SSL`, `_POOL_SIZE`, `_CONNECT_TIMEOUT`,
 * `_IDLE_TIMEOUT`, `_QUERY_TIMEOUT`. `None` when neither the URL nor the host is set. A
 * `_QUERY_TIMEOUT` beyond `limit` is a `ConfigError` naming the variable and the limit's reason.
 *
 * @since 0.1.0
 * @category constructors
 */
export const sqlConfig = (
  urlVariable: string,
  prefix: string,
  limit?: QueryTimeoutLimit
): Config.Config<Option.Option<SqlOptions>> =>
  Config.all({ url: Config.redacted(urlVariable).pipe(Config.option), ...prefixed(prefix, limit) }).pipe(
    Config.map((read) => {
      if (Option.isNone(read.url) && Option.isNone(read.host)) return Option.none()
      const options: SqlOptions = {
        url: Option.getOrUndefined(read.url),
        host: Option.getOrUndefined(read.host),
        port: Option.getOrUndefined(read.port),
        database: Option.getOrUndefined(read.database),
        username: Option.getOrUndefined(read.username),
        password: Option.getOrUndefined(read.password),
        ssl: Option.getOrUndefined(read.ssl),
        maxConnections: Option.getOrUndefined(read.maxConnections),
        connectTimeout: Option.getOrUndefined(read.connectTimeout),
        idleTimeout: Option.getOrUndefined(read.idleTimeout),
        queryTimeout: Option.getOrUndefined(read.queryTimeout)
      }
      return Option.some(options)
    })
  )

/**
 * PostgreSQL from `DATABASE_URL` or `PGSQL_HOST`, `PGSQL_PORT`, `PGSQL_DATABASE`,
 * `PGSQL_USERNAME`, `PGSQL_PASSWORD` (and `PGSQL_POOL_SIZE`, `PGSQL_CONNECT_TIMEOUT`, ...).
 *
 * @since 0.1.0
 * @category constructors
 */
export const pgConfig = sqlConfig("DATABASE_URL", "PGSQL")

/**
 * MySQL/MariaDB from `MYSQL_URL` or `MYSQL_HOST`, `MYSQL_PORT`, ... .
 *
 * @since 0.1.0
 * @category constructors
 */
export const mysqlConfig = sqlConfig("MYSQL_URL", "MYSQL")

/**
 * SQL Server from `MSSQL_URL` (`mssql://user:password@host:1433/db?encrypt=false`) or
 * `MSSQL_HOST`, ... .
 *
 * @since 0.1.0
 * @category constructors
 */
export const mssqlConfig = sqlConfig("MSSQL_URL", "MSSQL", mssqlLimit)

const fromConfig = <E>(
  config: Config.Config<Option.Option<SqlOptions>>,
  name: string,
  layer: (options: SqlOptions) => Layer.Layer<SqlClient.SqlClient | SqlBackend, E>
): Layer.Layer<SqlClient.SqlClient | SqlBackend, E | ConfigError.ConfigError> =>
  Layer.unwrapEffect(
    Effect.flatMap(
      config,
      Option.match({
        // A program that asked for this backend's layer and configured none: a `ConfigError`,
        // as any missing setting is, not a defect.
        onNone: () => Effect.fail(ConfigError.MissingData([], `${name} is not configured`)),
        onSome: (options) => Effect.succeed(layer(options))
      })
    )
  )

/**
 * @since 0.1.0
 * @category layers
 */
export const layerPgConfig = fromConfig(pgConfig, "PostgreSQL (DATABASE_URL or PGSQL_HOST)", layerPg)

// ---------------------------------------------------------------------------------------------
// MySQL / MariaDB
// ---------------------------------------------------------------------------------------------

/**
 * A pooled MySQL or MariaDB client: `MysqlClient`, `SqlClient` and `SqlBackend`, whose
 * `backend` says which engine answered (error numbers differ between the two).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMysql = (
  options: SqlOptions
): Effect.Effect<
  Context.Context<MysqlClient.MysqlClient | SqlClient.SqlClient | SqlBackend>,
  ConnectionError,
  Scope.Scope | Reactivity.Reactivity
> =>
  Effect.gen(function*() {
    const resolved = yield* resolve("mysql", options, { port: 3306, database: "test", tls: "off" })
    const target = targetOf(resolved)
    const connectTimeout = millis(options.connectTimeout, "15 seconds")
    const MysqlClient = yield* loadDriver(() => import("@effect/sql-mysql2/MysqlClient"))
    const client = yield* checkConnection(
      "mysql",
      target,
      connectTimeout,
      releasedWithin("5 seconds")(MysqlClient.make({
        host: resolved.host,
        port: resolved.port,
        database: resolved.database,
        username: resolved.username ?? "root",
        password: resolved.password,
        maxConnections: options.maxConnections ?? 10,
        connectionTTL: options.idleTimeout ?? "30 seconds",
        poolConfig: {
          connectTimeout,
          ...(resolved.tls === "off"
            ? {}
            : { ssl: resolved.tls === "verify-identity" ? { verifyIdentity: true } : {} }),
          // Dates stay in UTC whatever the server's time zone.
          timezone: "Z",
          dateStrings: false
        }
      }))
    )
    const version = yield* checkConnection(
      "mysql",
      target,
      connectTimeout,
      client`SELECT VERSION() AS version`
    )
    const text = String(version[0]?.["version"] ?? "")
    const backend = yield* backendService(options, {
      backend: /mariadb/i.test(text) ? "mariadb" : "mysql",
      target,
      dialect: dialects.mysql,
      pool: Effect.succeed(Option.none())
    })
    return clientContext(MysqlClient.MysqlClient, client, backend)
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layerMysql = (
  options: SqlOptions
): Layer.Layer<MysqlClient.MysqlClient | SqlClient.SqlClient | SqlBackend, ConnectionError> =>
  scopedLayer(makeMysql(options))

/**
 * @since 0.1.0
 * @category layers
 */
export const layerMysqlConfig = fromConfig(mysqlConfig, "MySQL (MYSQL_URL or MYSQL_HOST)", layerMysql)

// ---------------------------------------------------------------------------------------------
// SQL Server
// ---------------------------------------------------------------------------------------------

/**
 * A pooled SQL Server client: `MssqlClient`, `SqlClient` and `SqlBackend`. Transport encryption
 * follows `ssl` (`MSSQL_SSL`), else `encrypt` / `trustServerCertificate` in the URL (names and
 * values in any case; default: encrypted, certificate checked).
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMssql = (
  options: SqlOptions
): Effect.Effect<
  Context.Context<MssqlClient.MssqlClient | SqlClient.SqlClient | SqlBackend>,
  ConnectionError,
  Scope.Scope | Reactivity.Reactivity
> =>
  Effect.gen(function*() {
    const resolved = yield* resolve("mssql", options, { port: 1433, database: "master", tls: "on" })
    if (options.queryTimeout !== undefined && !withinLimit(mssqlLimit, Duration.decode(options.queryTimeout))) {
      return yield* new ConnectionError({
        backend: "mssql",
        operation: "connect",
        reason: "InvalidOption",
        detail: `queryTimeout ${mssqlLimit.detail}`
      })
    }
    const target = targetOf(resolved)
    const connectTimeout = millis(options.connectTimeout, "15 seconds")
    const [MssqlClient, { mssqlParameterTypes }] = yield* loadDriver(() =>
      Promise.all([import("@effect/sql-mssql/MssqlClient"), import("./MssqlParameters.js")])
    )
    const client = yield* checkConnection(
      "mssql",
      target,
      connectTimeout,
      releasedWithin("5 seconds")(MssqlClient.make({
        server: resolved.host,
        port: resolved.port,
        database: resolved.database,
        username: resolved.username ?? "sa",
        password: resolved.password,
        encrypt: resolved.tls !== "off",
        trustServer: resolved.trustServerCertificate,
        connectTimeout: Duration.millis(connectTimeout),
        maxConnections: options.maxConnections ?? 10,
        parameterTypes: mssqlParameterTypes
      }))
    )
    const backend = yield* backendService({ ...options, queryTimeout: options.queryTimeout ?? mssqlStatementLimit }, {
      backend: "mssql",
      target,
      dialect: dialects.mssql,
      pool: Effect.succeed(Option.none())
    })
    return clientContext(MssqlClient.MssqlClient, client, backend)
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layerMssql = (
  options: SqlOptions
): Layer.Layer<MssqlClient.MssqlClient | SqlClient.SqlClient | SqlBackend, ConnectionError> =>
  scopedLayer(makeMssql(options))

/**
 * @since 0.1.0
 * @category layers
 */
export const layerMssqlConfig = fromConfig(mssqlConfig, "SQL Server (MSSQL_URL or MSSQL_HOST)", layerMssql)
