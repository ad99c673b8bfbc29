/**
 * Log entries of the hash store (seed: hash-store database client): what a scan session did, by
 * level, with a required summary.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { SessionId } from "./HashRecord.js"
import { Count } from "./Query.js"

/**
 * @since 0.1.0
 * @category models
 */
export const LogLevel = Schema.Literal("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

/**
 * @since 0.1.0
 * @category models
 */
export type LogLevel = typeof LogLevel.Type

/**
 * A log id as the DAO hands it out (a UUID); anything else is refused before any SQL.
 *
 * @since 0.1.0
 * @category models
 */
export const LogId = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9-]{1,64}$/, { message: () => "1 to 64 characters of [A-Za-z0-9-]" })
)

/**
 * One row of the log table (`logged_at` is the seed's `timestamp`).
 *
 * @since 0.1.0
 * @category models
 */
export const HashLog = Schema.Struct({
  log_id: Schema.String,
  site_id: Schema.NullOr(Schema.String),
  log_level: LogLevel,
  logged_at: Schema.DateFromSelf,
  session_id: Schema.NullOr(Schema.String),
  summary_message: Schema.String,
  detailed_message: Schema.NullOr(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type HashLog = typeof HashLog.Type

/**
 * What `putLog` accepts; the level defaults to INFO.
 *
 * @since 0.1.0
 * @category models
 */
export const HashLogInput = Schema.Struct({
  summary_message: Schema.Trim.pipe(Schema.minLength(1), Schema.maxLength(1_000)),
  detailed_message: Schema.optionalWith(Schema.NullOr(Schema.String.pipe(Schema.maxLength(10_000))), { exact: true }),
  log_level: Schema.optionalWith(LogLevel, { default: () => "INFO" as const }),
  site_id: Schema.optionalWith(Schema.NullOr(SessionId), { exact: true }),
  session_id: Schema.optionalWith(Schema.NullOr(SessionId), { exact: true })
})

/**
 * @since 0.1.0
 * @category models
 */
export type HashLogInput = typeof HashLogInput.Encoded

/**
 * What `getLogs` accepts: a window (`limit` 1 to 1,000, default 100; `offset` from 0), the sort
 * column (checked against the access policy) and direction (default newest first), and filters.
 *
 * @since 0.1.0
 * @category models
 */
export const LogQuery = Schema.Struct({
  limit: Schema.optionalWith(Count.pipe(Schema.between(1, 1_000)), { default: () => 100 }),
  offset: Schema.optionalWith(Count.pipe(Schema.between(0, 10_000_000)), { default: () => 0 }),
  orderBy: Schema.optionalWith(Schema.String.pipe(Schema.maxLength(128)), { default: () => "logged_at" }),
  direction: Schema.optionalWith(Schema.Literal("asc", "desc", "ASC", "DESC"), { default: () => "desc" as const }),
  sessionId: Schema.optional(SessionId),
  olderThanDays: Schema.optional(Count.pipe(Schema.between(0, 36_500)))
})

/**
 * @since 0.1.0
 * @category models
 */
export type LogQuery = typeof LogQuery.Encoded

/**
 * The columns of the log table for the access policy: messages are read, never sorted on.
 *
 * @since 0.1.0
 * @category models
 */
export const hashLogColumns = {
  readable: Object.keys(HashLog.fields),
  filterable: ["log_id", "site_id", "log_level", "logged_at", "session_id"],
  sortable: ["log_id", "site_id", "log_level", "logged_at", "session_id"]
}

/**
 * The row a validated entry becomes, with its id and time.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeLog = (
  entry: typeof HashLogInput.Type,
  id: string,
  at: Date
): HashLog => ({
  log_id: id,
  site_id: entry.site_id ?? null,
  log_level: entry.log_level,
  logged_at: at,
  session_id: entry.session_id ?? null,
  summary_message: entry.summary_message,
  detailed_message: entry.detailed_message ?? null
})
