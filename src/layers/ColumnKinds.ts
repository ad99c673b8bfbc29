/**
 * What each column of a table holds (`Statements.ColumnKind`), for the DAOs that take column
 * names from a request rather than from a schema (table queries, analytics): read once per table
 * from the catalog on SQL, taken from the values on rows held in memory.
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { BackendError } from "../errors.js"
import { ValidationError } from "../errors.js"
import type { Compare, Filter, Scalar } from "../schemas/Query.js"
import type { Row } from "./Query.js"
import { mapScalars, onDateColumn, unstorableText, unstorableValue } from "./Query.js"
import type { ColumnKind } from "./Statements.js"
import * as Statements from "./Statements.js"

/** A filter comparing its field with one value (`eq`, `ne`, `lt`, `lte`, `gt`, `gte`). */
type Comparison = typeof Compare.Type

/**
 * What a column holds: its kind and, for an integer column whose backend refuses to compare it
 * with a number it cannot hold (PostgreSQL's), the least and greatest integers it holds (both
 * exact as JavaScript numbers).
 *
 * @since 0.1.0
 * @category models
 */
export interface Column {
  readonly kind: ColumnKind
  readonly integers?: readonly [least: number, greatest: number]
}

/**
 * The columns of a table by name; a column not in it is of no known kind.
 *
 * @since 0.1.0
 * @category models
 */
export type ColumnKinds = ReadonlyMap<string, Column>

/**
 * The integers a signed column of so many bits holds, as JavaScript numbers whose text (what the
 * driver sends) the column holds too: a 64-bit column's least, -2^63, is sent as
 * `-9223372036854776000`, past it, so its bounds are the numbers 1024 inside (2^53 and more is
 * no longer exact either way).
 */
const integersOf = (bits: number): readonly [number, number] =>
  bits >= 64 ? [-(2 ** 63) + 1024, 2 ** 63 - 1024] : [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1]

/**
 * What a value is, where a column's kind can tell it apart.
 *
 * @since 0.1.0
 * @category combinators
 */
export const kindOfScalar = (value: unknown): "number" | "string" | "boolean" | undefined => {
  const type = typeof value
  return type === "number" || type === "string" || type === "boolean" ? type : undefined
}

/**
 * A lookup of each table's column kinds from the catalog, each table read once (`exec` runs the
 * statement: its span, timeout and typed errors). A column whose type changes later is seen by a
 * new lookup; a table with no columns (one that does not exist) is read again at each request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromCatalog = (
  sql: SqlClient.SqlClient,
  exec: (table: string) => <X>(effect: Effect.Effect<X, SqlError>) => Effect.Effect<X, BackendError>
) => {
  const known = new Map<string, ColumnKinds>()
  return (table: string): Effect.Effect<ColumnKinds, BackendError> => {
    const cached = known.get(table)
    if (cached !== undefined) return Effect.succeed(cached)
    return Statements.columnKinds(sql, table).pipe(
      Effect.map((rows): ColumnKinds =>
        new Map(rows.map((row) => [
          String(row.name),
          typeof row.bits === "number" ? { kind: row.kind, integers: integersOf(row.bits) } : { kind: row.kind }
        ]))
      ),
      exec(table),
      // No columns is a table not there (yet): looked up again next time, or one created later
      // would never have its filters and aggregated columns checked.
      Effect.tap((kinds) => Effect.sync(() => kinds.size > 0 && known.set(table, kinds)))
    )
  }
}

/**
 * The kinds of the columns of rows held in memory: each column whose values (nulls aside) are all
 * of one kind, a `Date` making it a date column.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromRows = (rows: ReadonlyArray<Row>): ColumnKinds => {
  const seen = new Map<string, ColumnKind | "mixed">()
  for (const row of rows) {
    for (const [field, value] of Object.entries(row)) {
      if (value === null || value === undefined) continue
      const kind: ColumnKind = value instanceof Date ? "date" : kindOfScalar(value) ?? "other"
      const before = seen.get(field)
      seen.set(field, before === undefined || before === kind ? kind : "mixed")
    }
  }
  return new Map([...seen].flatMap(([field, kind]) => kind === "mixed" ? [] : [[field, { kind }] as const]))
}

/**
 * The kinds of value a column of each kind takes: a boolean against a number column failed on
 * PostgreSQL (MySQL/MariaDB's `BOOLEAN` is a boolean column here, see `Statements.columnKinds`).
 */
const takes: Record<Exclude<ColumnKind, "date" | "other">, ReadonlySet<string>> = {
  number: new Set(["number"]),
  string: new Set(["string"]),
  boolean: new Set(["boolean"])
}

/**
 * A filter whose values every backend compares alike, as the repository's filters are checked:
 * no NaN or infinity (PostgreSQL failed on an integer column, MariaDB and memory matched nothing or
 * everything), no invalid `Date` or one outside the years 1000 to 9999 (MariaDB matched every row,
 * or none), no text with a lone surrogate or a NUL, a `like` pattern included (the servers matched
 * U+FFFD for the surrogate, PostgreSQL refused the NUL).
 */
const comparable = (filter: Filter): Either.Either<Filter, ValidationError> => {
  const refuse = (unfit: string) =>
    Either.left(new ValidationError({ field: "filters", detail: `${filter.field}: ${unfit}` }))
  if (filter.op === "like" || filter.op === "ilike") {
    const unfit = unstorableText(filter.value)
    return unfit === undefined ? Either.right(filter) : refuse(unfit)
  }
  return mapScalars(filter, (value) => {
    const unfit = typeof value === "number" && !Number.isFinite(value)
      ? "is not a finite number"
      : unstorableValue(value)
    return unfit === undefined ? Either.right(value) : refuse(unfit)
  })
}

/**
 * A filter on an integer column holding `least` to `greatest` with its numbers made ones the
 * column holds, matching the same rows: `> 15.5` is `>= 16`, `= 20.5` matches nothing, `< 1e12`
 * on a 32-bit column every value, `in` keeps the members that fit. PostgreSQL failed the statement
 * on such a number (it reads the parameter as the column's type), where MariaDB, SQL Server and
 * memory compare numbers as numbers. A filter whose numbers all fit is left as it is.
 */
const onIntegers = (filter: Filter, [least, greatest]: readonly [number, number]): Filter => {
  const fits = (value: Scalar) =>
    typeof value !== "number" || (Number.isInteger(value) && value >= least && value <= greatest)
  const nothing: Filter = { field: filter.field, op: "in", values: [] }
  const every: Filter = { field: filter.field, op: "isNotNull" }
  const atLeast = (n: number): Filter =>
    n > greatest ? nothing : n <= least ? every : { field: filter.field, op: "gte", value: n }
  const atMost = (n: number): Filter =>
    n < least ? nothing : n >= greatest ? every : { field: filter.field, op: "lte", value: n }
  // An integer v is > x when v >= floor(x) + 1, >= x when v >= ceil(x), and so on.
  const compared: Record<Comparison["op"], (x: number) => Filter> = {
    eq: () => nothing,
    ne: () => every,
    gt: (x) => atLeast(Math.floor(x) + 1),
    gte: (x) => atLeast(Math.ceil(x)),
    lt: (x) => atMost(Math.ceil(x) - 1),
    lte: (x) => atMost(Math.floor(x))
  }
  if (Object.hasOwn(compared, filter.op)) {
    const { op, value } = filter as Comparison
    return typeof value !== "number" || fits(value) ? filter : compared[op](value)
  }
  switch (filter.op) {
    case "in":
      return filter.values.every(fits) ? filter : { ...filter, values: filter.values.filter(fits) }
    case "notIn": {
      if (filter.values.every(fits)) return filter
      const values = filter.values.filter(fits)
      // `NOT IN` an unfit number alone is every value but NULL; an empty `notIn` would match NULLs.
      return values.length === 0 ? every : { ...filter, values }
    }
    case "between": {
      const { from, to } = filter
      if (typeof from !== "number" || typeof to !== "number" || (fits(from) && fits(to))) return filter
      const low = Math.ceil(from)
      const high = Math.floor(to)
      if (low > high || low > greatest || high < least) return nothing
      return low <= least ? atMost(high) : high >= greatest ? atLeast(low) : { ...filter, from: low, to: high }
    }
    default:
      return filter
  }
}

/** A filter's values checked against its column's kind (see `typedFilters`). */
const ofColumnKind = (kinds: ColumnKinds, filter: Filter): Either.Either<Filter, ValidationError> => {
  const kind = kinds.get(filter.field)?.kind
  if (kind === "date") return onDateColumn(filter)
  if (kind === undefined || kind === "other" || filter.op === "like" || filter.op === "ilike") {
    return Either.right(filter)
  }
  return mapScalars(filter, (value) => {
    const given = kindOfScalar(value)
    return given === undefined || takes[kind].has(given) ? Either.right(value) : Either.left(
      new ValidationError({
        field: "filters",
        detail: `${filter.field}: a ${given}, where the column holds ${kind} values`
      })
    )
  })
}

/**
 * Filters checked against their columns' kinds, as the repository's are against its schema: a
 * value of another kind is a `ValidationError` before any statement (MariaDB matched `'alpha' =
 * 0`, and PostgreSQL failed on the server). On date columns (`onDateColumn`) text becomes the
 * instant it names (ISO 8601 only) and `like` is refused: PostgreSQL read `"today"` as a date,
 * MySQL/MariaDB read the text in the session's zone, dropping any offset, and the in-memory
 * layer matched nothing. Columns of no known kind are left to the backend. Then each value must
 * be one every backend compares alike (`comparable`), and a number on an integer column of known
 * range one it holds (`onIntegers`). The table query and analytics DAOs check their filters with
 * it.
 *
 * @since 0.1.0
 * @category combinators
 */
export const typedFilters = (
  kinds: ColumnKinds,
  filters: ReadonlyArray<Filter>
): Either.Either<ReadonlyArray<Filter>, ValidationError> =>
  Either.map(
    Either.all(filters.map((filter) => Either.flatMap(ofColumnKind(kinds, filter), comparable))),
    (checked) => onIntegerColumns(kinds, checked)
  )

/**
 * Filters whose numbers on integer columns of known range are ones the columns hold, matching the
 * same rows (`> 15.5` is `>= 16`, `= 20.5` matches nothing): PostgreSQL failed a statement
 * comparing an `INTEGER` column with a number it cannot hold, where the other backends compare
 * numbers as numbers. Filters on other columns are left as they are.
 *
 * @since 0.1.0
 * @category combinators
 */
export const onIntegerColumns = (kinds: ColumnKinds, filters: ReadonlyArray<Filter>): ReadonlyArray<Filter> =>
  filters.map((filter) => {
    const integers = kinds.get(filter.field)?.integers
    return integers === undefined ? filter : onIntegers(filter, integers)
  })

/**
 * Whether every number in the filters is one an integer column of any width holds (an integer
 * from -32768 to 32767), so that `onIntegerColumns` would change nothing and the columns need not
 * be looked up.
 *
 * @since 0.1.0
 * @category combinators
 */
export const fitEveryInteger = (filters: ReadonlyArray<Filter>): boolean =>
  filters.every((filter) =>
    Either.isRight(
      mapScalars(filter, (value) =>
        typeof value !== "number" || (Number.isInteger(value) && Math.abs(value) <= 32_767)
          ? Either.right(value)
          : Either.left(value))
    )
  )
