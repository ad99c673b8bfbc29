/**
 * Table queries (the seeds' `pull_data_from_table`): a single-table query from a spec, checked
 * against the access policy, and custom statements built with the `sql` template. Results are
 * decoded with a Schema.
 *
 * @since 0.1.0
 */
import type * as Statement from "@effect/sql/Statement"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import type { AccessDenied, ConnectionError, DataAccessError, ValidationError } from "../errors.js"
import type { TableQuery as TableQuerySpec } from "../schemas/Query.js"

/**
 * A row as the backend returned it.
 *
 * @since 0.1.0
 * @category models
 */
export type Row = Readonly<Record<string, unknown>>

/**
 * @since 0.1.0
 * @category errors
 */
export type TableQueryError = AccessDenied | ValidationError | DataAccessError | ConnectionError

/**
 * @since 0.1.0
 * @category models
 */
export interface TableQueryService {
  /**
   * Rows of one allowed table, as the backend returns them. Rows that tie on every key of the
   * spec's `sort` come in no fixed order (the memory layer keeps them as inserted, a SQL backend
   * as its plan reads them): end the sort with a unique column, as the repository ends its sorts
   * with the primary key, for an order that is the same on every backend and every call.
   */
  readonly query: (spec: typeof TableQuerySpec.Encoded) => Effect.Effect<ReadonlyArray<Row>, TableQueryError>
  /** Rows of one allowed table, decoded with `schema` (a mismatch is `DataAccessError` Decode). */
  readonly queryAs: <A, I>(
    schema: Schema.Schema<A, I>,
    spec: typeof TableQuerySpec.Encoded
  ) => Effect.Effect<ReadonlyArray<A>, TableQueryError>
  /**
   * A custom statement, built with the `sql` template so that values are bound and identifiers
   * quoted, decoded with `schema`.
   *
   * @example
   * tableQuery.custom(Total, (sql) => sql`SELECT COUNT(*) AS total FROM ${sql("asset_cycles")} WHERE status = ${"COMPLETE"}`)
   */
  readonly custom: <A, I>(
    schema: Schema.Schema<A, I>,
    statement: (sql: Statement.Constructor) => Statement.Statement<object>,
    options?: { readonly operation?: string | undefined; readonly table?: string | undefined }
  ) => Effect.Effect<ReadonlyArray<A>, TableQueryError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class TableQuery extends Context.Tag("effect-dao/TableQuery")<TableQuery, TableQueryService>() {}
