/**
 * Hash records of a directory tree (seed: hash-store database client): per path, the current and
 * previous hash with the times they were seen, the target hash a site should reach, and the
 * directory's listing.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Flag } from "./User.js"

/**
 * The longest path, in characters. It keeps the primary key an index key on every dialect:
 * 2,048 bytes in MySQL's utf8mb4 (limit 3,072) and 1,024 bytes in SQL Server's NVARCHAR
 * (limit 1,700 for a nonclustered key).
 *
 * @since 0.1.0
 * @category models
 */
export const maxPathLength = 512

/**
 * Whether text is Unicode text: no lone surrogate, which the SQL drivers send as U+FFFD, so that
 * two paths differing only there would be one key.
 */
const wellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed()

/**
 * An absolute, normalised POSIX path: starts with `/`, no empty, `.` or `..` segment, no trailing
 * `/` (but `/` itself), no NUL, no lone surrogate, at most `maxPathLength` characters, and not
 * ending in whitespace (MariaDB's PAD SPACE collations would make `/a` and `/a ` the same key).
 *
 * @since 0.1.0
 * @category models
 */
export const Path = Schema.String.pipe(
  Schema.maxLength(maxPathLength, { message: () => `at most ${maxPathLength} characters` }),
  Schema.filter((path) => path.startsWith("/") || "an absolute path (starting with /)"),
  Schema.filter((path) => !path.includes("\u0000") || "no NUL character"),
  Schema.filter((path) => wellFormed(path) || "no lone surrogate (not Unicode text)"),
  Schema.filter((path) => !/\s$/.test(path) || "no trailing whitespace"),
  Schema.filter((path) =>
    path === "/" || path.slice(1).split("/").every((segment) => segment !== "" && segment !== "." && segment !== "..")
    || "normalised: no empty, '.' or '..' segment and no trailing /"
  )
)

/**
 * A name a directory lists: one path segment, no `/`, no NUL, no lone surrogate, not `.` or `..`,
 * not ending in whitespace (as no `Path` does), at most 255 characters. A listed directory's path is looked up by `untrackedChildren`: a lone
 * surrogate in it, which no SQL backend can compare, made every walk fail.
 *
 * @since 0.1.0
 * @category models
 */
export const ChildName = Schema.String.pipe(
  Schema.minLength(1),
  Schema.maxLength(255),
  Schema.filter((name) => !/[/\u0000]/.test(name) || "one path segment: no / and no NUL"),
  Schema.filter((name) => wellFormed(name) || "no lone surrogate (not Unicode text)"),
  Schema.filter((name) => (name !== "." && name !== "..") || "not . or .."),
  // Its path would end in it, which `Path` refuses: `untrackedChildren` named a path never tracked.
  Schema.filter((name) => !/\s$/.test(name) || "no trailing whitespace")
)

/**
 * The most names one listing (dirs, files or links) may hold.
 *
 * @since 0.1.0
 * @category models
 */
export const maxListing = 10_000

/**
 * The most bytes a record's three listings may hold together, as UTF-8 JSON (8 MiB). A record is
 * written whole, and MySQL/MariaDB take no statement over `max_allowed_packet` (16 MiB by
 * default): 30,000 names of 255 characters of CJK text, within `maxListing`, failed there, where
 * PostgreSQL and memory stored them.
 *
 * @since 0.1.0
 * @category models
 */
export const maxListingBytes = 8 * 1024 * 1024

/**
 * The bytes of a record's listings, as `maxListingBytes` counts them.
 *
 * @since 0.1.0
 * @category combinators
 */
export const listingBytes = (listings: {
  readonly dirs: ReadonlyArray<string>
  readonly files: ReadonlyArray<string>
  readonly links: ReadonlyArray<string>
}): number =>
  Buffer.byteLength(JSON.stringify(listings.dirs)) + Buffer.byteLength(JSON.stringify(listings.files)) +
  Buffer.byteLength(JSON.stringify(listings.links))

/**
 * A hash as the scanners write it: 1 to 128 characters of hex, base64 or a `algo:` prefix.
 *
 * @since 0.1.0
 * @category models
 */
export const HashValue = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9+/=:._-]{1,128}$/, { message: () => "1 to 128 characters of [A-Za-z0-9+/=:._-]" })
)

/**
 * A session (or site) identifier: short, printable, no whitespace.
 *
 * @since 0.1.0
 * @category models
 */
export const SessionId = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9._:-]{1,64}$/, { message: () => "1 to 64 characters of [A-Za-z0-9._:-]" })
)

/** A listing as stored: a JSON array of names in a text column. */
const StoredListing = Schema.parseJson(Schema.Array(Schema.String))

/**
 * One row of the hash-record table. `needs_update` is kept equal to "a target hash is set and
 * differs from the current one", so that the priority list is a plain indexed filter.
 *
 * @since 0.1.0
 * @category models
 */
export const HashRecord = Schema.Struct({
  path: Schema.String,
  current_hash: Schema.String,
  current_dtg_first: Schema.DateFromSelf,
  current_dtg_latest: Schema.DateFromSelf,
  prev_hash: Schema.NullOr(Schema.String),
  prev_dtg_latest: Schema.NullOr(Schema.DateFromSelf),
  target_hash: Schema.NullOr(Schema.String),
  needs_update: Flag,
  dirs: StoredListing,
  files: StoredListing,
  links: StoredListing,
  session_id: Schema.NullOr(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type HashRecord = typeof HashRecord.Type

/**
 * The fields `getField` reads.
 *
 * @since 0.1.0
 * @category models
 */
export const HashField = Schema.Literal(
  "current_hash",
  "current_dtg_first",
  "current_dtg_latest",
  "prev_hash",
  "prev_dtg_latest",
  "target_hash",
  "session_id"
)

/**
 * @since 0.1.0
 * @category models
 */
export type HashField = typeof HashField.Type

const Listing = Schema.Array(ChildName).pipe(Schema.maxItems(maxListing))

/**
 * What `putHash` accepts. A listing or target left out keeps its stored value (empty for a new
 * record); `target_hash: null` clears the target.
 *
 * @since 0.1.0
 * @category models
 */
export const HashPut = Schema.Struct({
  path: Path,
  current_hash: HashValue,
  target_hash: Schema.optionalWith(Schema.NullOr(HashValue), { exact: true }),
  dirs: Schema.optionalWith(Listing, { exact: true }),
  files: Schema.optionalWith(Listing, { exact: true }),
  links: Schema.optionalWith(Listing, { exact: true }),
  session_id: Schema.optionalWith(Schema.NullOr(SessionId), { exact: true })
})

/**
 * @since 0.1.0
 * @category models
 */
export type HashPut = typeof HashPut.Type

/**
 * The names of the tables of one hash store, so that several stores (or tests) can live in one
 * database.
 *
 * @since 0.1.0
 * @category models
 */
export interface HashStoreTables {
  readonly records: string
  readonly logs: string
}

/**
 * The default table names.
 *
 * @since 0.1.0
 * @category models
 */
export const hashStoreTables: HashStoreTables = { records: "hash_records", logs: "hash_logs" }

/**
 * The columns of the record table for the access policy: listings are read, never filtered or sorted.
 *
 * @since 0.1.0
 * @category models
 */
export const hashRecordColumns = {
  readable: Object.keys(HashRecord.fields),
  filterable: ["path", "current_hash", "target_hash", "needs_update", "session_id", "current_dtg_latest"],
  sortable: ["path", "current_dtg_latest", "current_dtg_first"]
}

/**
 * The path of a name listed by a directory.
 *
 * @since 0.1.0
 * @category models
 */
export const childPath = (parent: string, name: string): string => parent === "/" ? `/${name}` : `${parent}/${name}`

/**
 * A path's parent and its name in it; `None` for `/`.
 *
 * @since 0.1.0
 * @category models
 */
export const parentOf = (path: string): Option.Option<{ readonly parent: string; readonly name: string }> => {
  const slash = path.lastIndexOf("/")
  if (path === "/" || slash < 0) return Option.none()
  return Option.some({ parent: slash === 0 ? "/" : path.slice(0, slash), name: path.slice(slash + 1) })
}
