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
import type { BackendError } from "../errors.js"
import type { Row } from "./Query.js"
import type { ColumnKind } from "./Statements.js"
import * as Statements from "./Statements.js"

/**
 * The kinds of a table's columns by name; a column not in it is of no known kind.
 *
 * @since 0.1.0
 * @category models
 */
export type ColumnKinds = ReadonlyMap<string, ColumnKind>

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
 * new lookup.
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
      Effect.map((rows): ColumnKinds => new Map(rows.map((row) => [String(row.name), row.kind]))),
      exec(table),
      Effect.tap((kinds) => Effect.sync(() => known.set(table, kinds)))
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
  return new Map([...seen].flatMap(([field, kind]) => kind === "mixed" ? [] : [[field, kind] as const]))
}
