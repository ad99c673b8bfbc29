/**
 * Table queries over SQL (`TableQueryLive`) and over rows in memory (`TableQueryTest`), sharing
 * the spec checking: the table must be allowed, and so must each column, filter field and sort
 * key, before anything runs.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import type * as Schema from "effect/Schema"
import type { Backend } from "../errors.js"
import { DataAccessError } from "../errors.js"
import * as Decoder from "../schemas/Decoder.js"
import * as ParseIssue from "../schemas/ParseIssue.js"
import type { Filter } from "../schemas/Query.js"
import * as Query from "../schemas/Query.js"
import type { AccessPolicyService } from "../services/AccessPolicy.js"
import { AccessPolicy } from "../services/AccessPolicy.js"
import type { Row, TableQueryError, TableQueryService } from "../services/TableQuery.js"
import { TableQuery } from "../services/TableQuery.js"
import * as ColumnKinds from "./ColumnKinds.js"
import { comparator, copyValue, wherePredicate } from "./Query.js"
import { run, SqlBackend } from "./Sql.js"
import * as Statements from "./Statements.js"

/**
 * A checked table query: every name in it is on the access policy.
 *
 * @since 0.1.0
 * @category models
 */
export interface Plan {
  readonly table: string
  readonly columns: ReadonlyArray<string>
  readonly spec: Query.TableQuery
}

/**
 * Decodes and checks a spec against the policy.
 *
 * @since 0.1.0
 * @category constructors
 */
export const plan =
  (policy: AccessPolicyService) => (input: typeof Query.TableQuery.Encoded): Effect.Effect<Plan, TableQueryError> =>
    Effect.gen(function*() {
      const spec = yield* Query.decode(Query.TableQuery, "query")(input)
      const rules = yield* policy.table(spec.table)
      const columns = spec.columns ?? Array.from(rules.readable)
      yield* policy.columns(spec.table, columns)
      yield* policy.filters(spec.table, spec.filters)
      yield* policy.sort(spec.table, spec.sort)
      return { table: spec.table, columns, spec }
    })

/** Rows decoded one by one with the compiled decoder (`Decoder`), as the repository's are. */
const decodeRows = <A, I>(schema: Schema.Schema<A, I>, backend: Backend, operation: string, table?: string) => {
  const decodeRow = Decoder.decodeUnknownEither(schema)
  return (rows: ReadonlyArray<Row>): Effect.Effect<ReadonlyArray<A>, DataAccessError> => {
    const decoded = new Array<A>(rows.length)
    for (let i = 0; i < rows.length; i++) {
      const result = decodeRow(rows[i])
      if (Either.isLeft(result)) {
        return Effect.fail(
          new DataAccessError({
            backend,
            operation,
            reason: "Decode",
            table,
            detail: `row ${i}: ${ParseIssue.describe(result.left)}`
          })
        )
      }
      decoded[i] = result.right
    }
    return Effect.succeed(decoded)
  }
}

const make = (
  backend: Backend,
  policy: AccessPolicyService,
  select: (plan: Plan) => Effect.Effect<ReadonlyArray<Row>, TableQueryError>,
  custom: TableQueryService["custom"]
): TableQueryService => {
  const query: TableQueryService["query"] = (spec) =>
    Effect.flatMap(plan(policy)(spec), select).pipe(Effect.withSpan("TableQuery.query"))
  return {
    query,
    queryAs: (schema, spec) =>
      Effect.flatMap(query(spec), decodeRows(schema, backend, "TableQuery.queryAs", spec.table)).pipe(
        Effect.withSpan("TableQuery.queryAs")
      ),
    custom
  }
}

/**
 * Table queries over the `SqlClient` in context, every statement through `run`.
 *
 * @since 0.1.0
 * @category layers
 */
export const TableQueryLive: Layer.Layer<TableQuery, never, SqlClient.SqlClient | SqlBackend | AccessPolicy> = Layer
  .effect(
    TableQuery,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const backend = yield* SqlBackend
      const policy = yield* AccessPolicy
      const exec =
        (operation: string, table: string | undefined, idempotent: boolean) => <X, E>(effect: Effect.Effect<X, E>) =>
          run({ operation, table, idempotent })(effect).pipe(Effect.provideService(SqlBackend, backend))
      // The kinds of each table's columns, read once from the catalog when a query first filters.
      const kindsOf = ColumnKinds.fromCatalog(sql, (table) => exec("TableQuery.columns", table, true))
      const typed = (table: string, filters: ReadonlyArray<Filter>) =>
        filters.length > 0
          ? Effect.flatMap(kindsOf(table), (kinds) => ColumnKinds.typedFilters(kinds, filters))
          : Effect.succeed(filters)
      return make(
        backend.backend,
        policy,
        ({ columns, spec, table }) =>
          Effect.flatMap(
            typed(table, spec.filters),
            (filters) =>
              Statements.select(sql, table, columns, { filters }, spec.sort, { limit: spec.limit, offset: spec.offset })
                .pipe(
                  exec("TableQuery.query", table, true)
                )
          ).pipe(Effect.withSpan("TableQuery.select", { attributes: { table } })),
        (schema, statement, options) => {
          const operation = options?.operation ?? "TableQuery.custom"
          // Built when the effect runs, not when it is described: a builder that throws is then a
          // defect of the effect, not an exception out of `custom`.
          return Effect.suspend(() => statement(sql)).pipe(
            Effect.flatMap((rows) =>
              decodeRows(schema, backend.backend, operation, options?.table)(rows as ReadonlyArray<Row>)
            ),
            // A custom statement may write: it is not retried on its own.
            exec(operation, options?.table, false)
          )
        }
      )
    })
  )

/**
 * Table queries over rows held in memory (the map is read at each query, so a test may fill it
 * later; a table missing from it fails as a missing SQL table does). Custom SQL has no meaning here and fails with a `DataAccessError` saying so.
 *
 * @since 0.1.0
 * @category layers
 */
export const TableQueryTest = (
  tables: ReadonlyMap<string, ReadonlyArray<Row>>
): Layer.Layer<TableQuery, never, AccessPolicy> =>
  Layer.effect(
    TableQuery,
    Effect.map(AccessPolicy, (policy) =>
      make(
        "memory",
        policy,
        ({ columns, spec, table }) => {
          const rows = tables.get(table)
          // A table missing from the map fails as a missing SQL table does, not as an empty one.
          if (rows === undefined) {
            return Either.left(
              new DataAccessError({
                backend: "memory",
                operation: "TableQuery.query",
                reason: "UndefinedObject",
                table,
                detail: `table ${table} does not exist`
              })
            )
          }
          return Either.map(ColumnKinds.typedFilters(ColumnKinds.fromRows(rows), spec.filters), (filters) =>
            [...rows]
              .filter(wherePredicate({ filters }))
              .sort(comparator(spec.sort))
              .slice(spec.offset, spec.offset + spec.limit)
              // Copies: a caller changing a row it got (a `Date` in it) changes nothing stored.
              .map((row) => Object.fromEntries(columns.map((c) => [c, copyValue(row[c] ?? null)]))))
        },
        (_schema, _statement, options) =>
          Effect.fail(
            new DataAccessError({
              backend: "memory",
              operation: options?.operation ?? "TableQuery.custom",
              reason: "Unknown",
              table: options?.table,
              detail: "custom SQL statements do not run on the in-memory layer"
            })
          )
      ))
  )
