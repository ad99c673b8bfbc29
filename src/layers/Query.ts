/**
 * The query specs carried out two ways, side by side so that they cannot drift apart: compiled
 * to SQL with the `sql` template (identifiers quoted by the dialect, values bound) and evaluated
 * in memory for the test layers. Filters, sort order and keyset conditions have the same meaning
 * in both, including for NULLs.
 *
 * Callers pass only names that the access policy has allowed.
 *
 * @since 0.1.0
 */
import type * as Statement from "@effect/sql/Statement"
import * as Either from "effect/Either"
import { ValidationError } from "../errors.js"
import type { CursorValue } from "../schemas/Cursor.js"
import type { Filter, Scalar, Sort } from "../schemas/Query.js"
import { isoInstant, parseInstant } from "../schemas/Query.js"

/**
 * A keyset position: rows strictly after `values` in `sort` order (the last sort key is the
 * primary key, so the order is total).
 *
 * @since 0.1.0
 * @category models
 */
export interface Keyset {
  readonly sort: ReadonlyArray<Sort>
  readonly values: ReadonlyArray<CursorValue>
}

/**
 * A WHERE clause: filters AND-ed, and optionally a keyset position.
 *
 * @since 0.1.0
 * @category models
 */
export interface Where {
  readonly filters: ReadonlyArray<Filter>
  readonly keyset?: Keyset | undefined
}

/**
 * The LIKE escape character on every dialect. A backslash would need doubling in MySQL string
 * literals; `!` means the same everywhere.
 *
 * @since 0.1.0
 * @category models
 */
export const likeEscape = "!"

/**
 * The LIKE pattern of a filter: a substring match of the literal value, its wildcards (`%`, `_`,
 * and `[` for SQL Server) and the escape character escaped, unless the caller asked for a pattern.
 *
 * @since 0.1.0
 * @category models
 */
export const likePattern = (filter: { readonly value: string; readonly pattern?: boolean | undefined }): string =>
  filter.pattern ? filter.value : `%${filter.value.replace(/[!%_[]/g, (c) => `${likeEscape}${c}`)}%`

// ---------------------------------------------------------------------------------------------
// SQL
// ---------------------------------------------------------------------------------------------

type Sql = Statement.Constructor
type Fragment = Statement.Fragment

const comparisons = { eq: "=", ne: "<>", lt: "<", lte: "<=", gt: ">", gte: ">=" } as const

const orderOf = (direction: Sort["direction"], strictlyAfter: boolean) =>
  direction === "asc" ? (strictlyAfter ? ">" : "<") : (strictlyAfter ? "<" : ">")

/**
 * One filter as SQL. Case-insensitive matching is the one dialect branch: `ILIKE` on PostgreSQL,
 * `LOWER(x) LIKE LOWER(y)` elsewhere.
 *
 * @since 0.1.0
 * @category combinators
 */
export const filterSql = (sql: Sql, filter: Filter): Fragment => {
  const column = sql(filter.field)
  switch (filter.op) {
    case "eq":
    case "ne":
    case "lt":
    case "lte":
    case "gt":
    case "gte":
      return sql`${column} ${sql.literal(comparisons[filter.op])} ${filter.value}`
    // PostgreSQL has LIKE for text only: any other column is matched by its text, as the other
    // dialects (and the memory layer) match it.
    case "like":
      return sql.onDialectOrElse({
        pg: () => sql`CAST(${column} AS TEXT) LIKE ${likePattern(filter)} ESCAPE '!'`,
        orElse: () => sql`${column} LIKE ${likePattern(filter)} ESCAPE '!'`
      })
    case "ilike": {
      const pattern = likePattern(filter)
      return sql.onDialectOrElse({
        pg: () => sql`CAST(${column} AS TEXT) ILIKE ${pattern} ESCAPE '!'`,
        orElse: () => sql`LOWER(${column}) LIKE LOWER(${pattern}) ESCAPE '!'`
      })
    }
    case "in":
      return filter.values.length === 0 ? sql`1=0` : sql`${column} IN ${sql.in(filter.values)}`
    case "notIn":
      return filter.values.length === 0 ? sql`1=1` : sql`${column} NOT IN ${sql.in(filter.values)}`
    case "isNull":
      return sql`${column} IS NULL`
    case "isNotNull":
      return sql`${column} IS NOT NULL`
    case "between":
      return sql`${column} BETWEEN ${filter.from} AND ${filter.to}`
  }
}

const keysetSql = (sql: Sql, keyset: Keyset): Fragment => {
  const disjuncts: Array<Fragment> = []
  const equal: Array<Fragment> = []
  const last = keyset.sort.length - 1
  keyset.sort.forEach((sort, i) => {
    const column = sql(sort.field)
    const value = keyset.values[i] ?? null
    // The last key is the primary key, never NULL: a plain comparison, which an index can seek.
    const after: Fragment | undefined = value === null
      ? (sort.nulls === "first" ? sql`${column} IS NOT NULL` : undefined)
      : sort.nulls === "last" && i !== last
      ? sql`(${column} ${sql.literal(orderOf(sort.direction, true))} ${value} OR ${column} IS NULL)`
      : sql`${column} ${sql.literal(orderOf(sort.direction, true))} ${value}`
    if (after !== undefined) disjuncts.push(sql`(${sql.and([...equal, after])})`)
    equal.push(value === null ? sql`${column} IS NULL` : sql`${column} = ${value}`)
  })
  return disjuncts.length === 0 ? sql`1=0` : sql`(${sql.or(disjuncts)})`
}

/**
 * A WHERE condition (without the keyword); `1=1` when there is nothing to filter.
 *
 * @since 0.1.0
 * @category combinators
 */
export const whereSql = (sql: Sql, where: Where): Fragment => {
  const clauses = where.filters.map((filter) => filterSql(sql, filter))
  if (where.keyset) clauses.push(keysetSql(sql, where.keyset))
  return clauses.length === 0 ? sql`1=1` : sql.and(clauses)
}

/**
 * An ORDER BY list (without the keyword). NULL placement is PostgreSQL's own `NULLS FIRST/LAST`
 * (so that an index on the column can give the order, and a keyset page at any depth is an
 * index seek); elsewhere it is a `CASE` key, with the same result. A key on a column an earlier
 * key sorts by is left out: it orders nothing more, and SQL Server refuses a column named twice
 * in ORDER BY (error 169).
 *
 * @since 0.1.0
 * @category combinators
 */
export const orderSql = (sql: Sql, sort: ReadonlyArray<Sort>): Fragment =>
  sql.csv(
    firstPerField(sort).flatMap((s): ReadonlyArray<Fragment> => {
      const column = sql(s.field)
      const direction = sql.literal(s.direction === "asc" ? "ASC" : "DESC")
      return sql.onDialectOrElse({
        pg: (): ReadonlyArray<Fragment> => [
          sql`${column} ${direction} ${sql.literal(s.nulls === "last" ? "NULLS LAST" : "NULLS FIRST")}`
        ],
        orElse: (): ReadonlyArray<Fragment> => [
          s.nulls === "last"
            ? sql`CASE WHEN ${column} IS NULL THEN 1 ELSE 0 END`
            : sql`CASE WHEN ${column} IS NULL THEN 0 ELSE 1 END`,
          sql`${column} ${direction}`
        ]
      })
    })
  )

const firstPerField = (sort: ReadonlyArray<Sort>): ReadonlyArray<Sort> => {
  const seen = new Set<string>()
  return sort.filter((s) => !seen.has(s.field) && Boolean(seen.add(s.field)))
}

// ---------------------------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------------------------

/**
 * A row as stored: column name to encoded value.
 *
 * @since 0.1.0
 * @category models
 */
export type Row = Readonly<Record<string, unknown>>

/**
 * A value as a memory layer keeps or hands it out: a copy of anything mutable (a `Date`, bytes,
 * an array or an object), so that a caller changing what it gave or got changes nothing stored,
 * as with a server; and `-0` as `0`, as every SQL backend stores it.
 *
 * @since 0.1.0
 * @category combinators
 */
export const copyValue = (value: unknown): unknown => {
  // -0 is kept as 0, as the SQL drivers send it (node-postgres and mysql2 write "0").
  if (value === 0) return 0
  if (value === null || typeof value !== "object") return value
  if (value instanceof Date) return new Date(value.getTime())
  if (Buffer.isBuffer(value)) return Buffer.from(value)
  if (value instanceof Uint8Array) return new Uint8Array(value)
  try {
    return structuredClone(value)
  } catch {
    // A value the structured clone cannot copy (one holding functions) is kept as it is.
    return value
  }
}

type Comparable = string | number | boolean

const comparable = (value: unknown): Comparable | null => {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return value.getTime()
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value
  if (typeof value === "bigint") return Number(value)
  return String(value)
}

/**
 * The filter with each value its column is compared with passed through `f` (`value`, `values`,
 * `from` and `to`; not a `like` pattern), or the first failure.
 *
 * @since 0.1.0
 * @category combinators
 */
export const mapScalars = <E>(
  filter: Filter,
  f: (value: Scalar) => Either.Either<Scalar, E>
): Either.Either<Filter, E> => {
  switch (filter.op) {
    case "eq":
    case "ne":
    case "lt":
    case "lte":
    case "gt":
    case "gte":
      return Either.map(f(filter.value), (value) => ({ ...filter, value }))
    case "in":
    case "notIn":
      return Either.map(Either.all(filter.values.map(f)), (values) => ({ ...filter, values }))
    case "between":
      return Either.map(Either.all([f(filter.from), f(filter.to)]), ([from, to]) => ({ ...filter, from, to }))
    default:
      return Either.right(filter)
  }
}

/**
 * The date a filter's string value on a date column names (`parseInstant`), or a
 * `ValidationError` naming the field when it names none, or names it finer than a millisecond
 * (trailing zeros past the millisecond are fine).
 *
 * @since 0.1.0
 * @category combinators
 */
export const instantOf = (field: string, text: string): Either.Either<Date, ValidationError> => {
  const millis = parseInstant(text)
  if (Number.isNaN(millis)) {
    return Either.left(new ValidationError({ field: "filters", detail: `${field}: not an ISO 8601 date` }))
  }
  // A `Date` holds milliseconds: `.0045` read as `.004` matched the wrong rows of a column finer
  // than that, on every server.
  if (/[1-9]/.test(isoInstant.exec(text)?.[7]?.slice(3) ?? "")) {
    return Either.left(
      new ValidationError({
        field: "filters",
        detail:
          `${field}: a date finer than a millisecond, which filters cannot compare; give at most 3 digits of fraction`
      })
    )
  }
  return Either.right(new Date(millis))
}

/**
 * A filter on a date column as the backends can all run it alike: its text values become the
 * instants they name (`instantOf`), and `like` / `ilike` are refused, since each backend would
 * match a different text of the date (PostgreSQL's in the session's zone, MariaDB's without an
 * offset, memory's none).
 *
 * @since 0.1.0
 * @category combinators
 */
export const onDateColumn = (filter: Filter): Either.Either<Filter, ValidationError> =>
  filter.op === "like" || filter.op === "ilike"
    ? Either.left(
      new ValidationError({
        field: "filters",
        detail: `${filter.field}: a date column takes no ${filter.op}; compare it with lt, gte or between`
      })
    )
    : mapScalars(filter, (value) => typeof value === "string" ? instantOf(filter.field, value) : Either.right(value))

/**
 * Why text cannot be stored and compared as it is on every SQL backend, if it cannot: a lone
 * surrogate is no Unicode text (the servers keep U+FFFD in its place, so strings differing only
 * there become one), and PostgreSQL refuses a NUL that the others store.
 *
 * @since 0.1.0
 * @category combinators
 */
export const unstorableText = (text: string): string | undefined => {
  if (!(text as unknown as { isWellFormed(): boolean }).isWellFormed()) {
    return "holds a lone surrogate: it is not Unicode text"
  }
  return text.includes("\u0000") ? "holds a NUL character, which PostgreSQL cannot store" : undefined
}

/**
 * Why a value cannot be stored or compared as it is on every backend, if it cannot:
 * - an invalid `Date` (MariaDB stored it as the zero date, read back as an invalid date again,
 *   and a filter on it matched every row);
 * - a `Date` outside the years 1000 to 9999, the range of MySQL's `DATETIME` (MariaDB stored the
 *   year 20000 as the zero date, read back as null, and compared a column with it as with no
 *   date; mysql2 refused a negative year with a RangeError and read the years 1 to 99 back as
 *   1901 to 1999; SQL Server holds none past 9999);
 * - text with a lone surrogate or a NUL (`unstorableText`): an equality filter matched other
 *   strings mangled alike to U+FFFD.
 * `DateFromSelf` and `String` let all of them through.
 *
 * @since 0.1.0
 * @category combinators
 */
export const unstorableValue = (value: unknown): string | undefined => {
  if (value instanceof Date) {
    const year = value.getUTCFullYear()
    if (Number.isNaN(year)) return "is an invalid date"
    return year < 1000 || year > 9999 ? "is outside the years 1000 to 9999 that every backend stores" : undefined
  }
  return typeof value === "string" ? unstorableText(value) : undefined
}

/**
 * UTF-16 code units of two strings in code point order, as the binary collations of the SQL side
 * order them: the surrogates (U+D800 to U+DFFF, which make the code points beyond U+FFFF) come
 * after U+E000 to U+FFFF.
 */
const codePointOrder = (unit: number): number => unit < 0xd800 ? unit : unit < 0xe000 ? unit + 0x2000 : unit - 0x800

const compareStrings = (a: string, b: string): number => {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return codePointOrder(x) < codePointOrder(y) ? -1 : 1
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1
}

/**
 * SQL comparison of two non-null values; a date column compared with a date string works. `NaN`
 * when the two cannot be compared (text that is not a number against a number, a string that is
 * not a date against a date): no comparison of them holds, as none would match on the SQL side.
 * A stored NaN (which PostgreSQL's floating-point columns and memory keep) equals NaN and is above
 * every other number, infinity included, as PostgreSQL orders it.
 */
const compareValues = (left: unknown, right: unknown): number => {
  if (typeof left === "number" && typeof right === "number" && (Number.isNaN(left) || Number.isNaN(right))) {
    return Number.isNaN(left) ? (Number.isNaN(right) ? 0 : 1) : -1
  }
  let a = comparable(left)
  let b = comparable(right)
  if (left instanceof Date && typeof b === "string") b = parseInstant(b)
  if (right instanceof Date && typeof a === "string") a = parseInstant(a)
  if (a === null || b === null) return Number.NaN
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b)
  if (typeof a === "boolean" || typeof b === "boolean") return Number(a) - Number(b)
  // A number and a numeric string compare as numbers, as MySQL compares them.
  return a < b ? -1 : a > b ? 1 : a == b ? 0 : Number.NaN
}

const likeRegex = (pattern: string, caseInsensitive: boolean): RegExp => {
  let source = ""
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string
    if (c === likeEscape && i + 1 < pattern.length) {
      source += (pattern[++i] as string).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")
    } else if (c === "%") source += "[\\s\\S]*"
    else if (c === "_") source += "[\\s\\S]"
    else source += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")
  }
  // "u": `_` is one character, not one UTF-16 unit of a character beyond U+FFFF.
  return new RegExp(`^${source}$`, caseInsensitive ? "iu" : "u")
}

const isNull = (value: unknown) => value === null || value === undefined

const memberOf = (value: unknown, values: ReadonlyArray<Scalar>) =>
  values.some((candidate) => compareValues(value, candidate) === 0)

/**
 * One filter as a predicate on a row, with SQL's NULL rules: a comparison with NULL is false.
 *
 * @since 0.1.0
 * @category combinators
 */
export const filterPredicate = (filter: Filter) => (row: Row): boolean => {
  const value = row[filter.field]
  switch (filter.op) {
    case "isNull":
      return isNull(value)
    case "isNotNull":
      return !isNull(value)
    case "notIn":
      return filter.values.length === 0 || (!isNull(value) && !memberOf(value, filter.values))
    default:
      break
  }
  if (isNull(value)) return false
  switch (filter.op) {
    case "eq":
      return compareValues(value, filter.value) === 0
    case "ne": {
      const order = compareValues(value, filter.value)
      return order < 0 || order > 0
    }
    case "lt":
      return compareValues(value, filter.value) < 0
    case "lte":
      return compareValues(value, filter.value) <= 0
    case "gt":
      return compareValues(value, filter.value) > 0
    case "gte":
      return compareValues(value, filter.value) >= 0
    case "like":
    case "ilike":
      return likeRegex(likePattern(filter), filter.op === "ilike").test(String(value))
    case "in":
      return memberOf(value, filter.values)
    case "between":
      return compareValues(value, filter.from) >= 0 && compareValues(value, filter.to) <= 0
  }
}

/**
 * The order of `sort` as a comparator, NULLs placed as the SQL side places them.
 *
 * @since 0.1.0
 * @category combinators
 */
export const comparator = (sort: ReadonlyArray<Sort>) => (left: Row, right: Row): number => {
  for (const s of sort) {
    const order = compareKey(s, left[s.field], right[s.field])
    if (order !== 0) return order
  }
  return 0
}

const compareKey = (sort: Sort, left: unknown, right: unknown): number => {
  const leftNull = isNull(left)
  const rightNull = isNull(right)
  if (leftNull || rightNull) {
    if (leftNull && rightNull) return 0
    return (leftNull ? 1 : -1) * (sort.nulls === "last" ? 1 : -1)
  }
  const order = compareValues(left, right)
  // Values a column of one type never holds together: ordered by their text, so the sort stays total.
  const total = Number.isNaN(order) ? compareStrings(String(left), String(right)) : order
  return total * (sort.direction === "asc" ? 1 : -1)
}

/**
 * A WHERE condition as a predicate.
 *
 * @since 0.1.0
 * @category combinators
 */
export const wherePredicate = (where: Where) => {
  const predicates = where.filters.map(filterPredicate)
  const keyset = where.keyset
  return (row: Row): boolean => {
    if (!predicates.every((p) => p(row))) return false
    if (keyset === undefined) return true
    const position = Object.fromEntries(keyset.sort.map((s, i) => [s.field, keyset.values[i] ?? null]))
    return comparator(keyset.sort)(row, position) > 0
  }
}
