/**
 * The access policy: an allow-list of tables and, per table, the columns that may be read,
 * filtered on and sorted by. Everything the DAOs put into SQL as an identifier has passed it.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { AccessDenied } from "../errors.js"
import type { Filter, Sort } from "../schemas/Query.js"

/**
 * What may be done with one table. `filterable` and `sortable` default to `readable`.
 *
 * @since 0.1.0
 * @category models
 */
export interface TablePolicy {
  readonly readable: ReadonlyArray<string>
  readonly filterable?: ReadonlyArray<string> | undefined
  readonly sortable?: ReadonlyArray<string> | undefined
}

/**
 * A table's rules once checked: every name in them is a safe identifier.
 *
 * @since 0.1.0
 * @category models
 */
export interface TableRules {
  readonly table: string
  readonly readable: ReadonlySet<string>
  readonly filterable: ReadonlySet<string>
  readonly sortable: ReadonlySet<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AccessPolicyService {
  /** The rules of an allowed table; `AccessDenied` (TableNotAllowed) for any other. */
  readonly table: (name: string) => Effect.Effect<TableRules, AccessDenied>
  /** Each column must be readable (ColumnNotAllowed). */
  readonly columns: (table: string, columns: ReadonlyArray<string>) => Effect.Effect<void, AccessDenied>
  /** Each filter field must be filterable (FilterNotAllowed). */
  readonly filters: (table: string, filters: ReadonlyArray<Filter>) => Effect.Effect<void, AccessDenied>
  /** Each sort key must be sortable (SortNotAllowed). */
  readonly sort: (table: string, sort: ReadonlyArray<Sort>) => Effect.Effect<void, AccessDenied>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class AccessPolicy extends Context.Tag("effect-dao/AccessPolicy")<AccessPolicy, AccessPolicyService>() {}
