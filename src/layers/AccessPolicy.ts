/**
 * The access policy from code (`layer`) or from configuration (`layerConfig`).
 *
 * @since 0.1.0
 */
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type { AccessDeniedReason } from "../errors.js"
import { AccessDenied, ValidationError } from "../errors.js"
import * as ParseIssue from "../schemas/ParseIssue.js"
import type { AccessPolicyService, TablePolicy, TableRules } from "../services/AccessPolicy.js"
import { AccessPolicy } from "../services/AccessPolicy.js"

/**
 * A name that can be quoted as one identifier on every dialect: letters, digits and `_`, no
 * dot (a dot would become schema qualification), at most 63 bytes (PostgreSQL truncates longer
 * names silently).
 *
 * @since 0.1.0
 * @category models
 */
export const isIdentifier = (name: string): boolean => /^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)

/**
 * @since 0.1.0
 * @category models
 */
export type PolicyTables = Readonly<Record<string, TablePolicy>>

/** The shape of a policy, checked whether it comes from code or from configuration. */
const Tables = Schema.Record({
  key: Schema.String,
  value: Schema.Struct({
    readable: Schema.Array(Schema.String),
    filterable: Schema.optional(Schema.Array(Schema.String)),
    sortable: Schema.optional(Schema.Array(Schema.String))
  })
})

const checkNames = (names: ReadonlyArray<string>, where: string): Effect.Effect<ReadonlySet<string>, ValidationError> =>
  Effect.gen(function*() {
    const bad = names.find((name) => !isIdentifier(name))
    if (bad !== undefined) {
      return yield* Effect.fail(new ValidationError({ field: where, detail: `not a plain identifier: ${bad}` }))
    }
    return new Set(names)
  })

/**
 * Builds the policy, rejecting names that are not plain identifiers.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (tables: PolicyTables): Effect.Effect<AccessPolicyService, ValidationError> =>
  Effect.gen(function*() {
    // A policy from untyped code (`null`, a column list given as one string) fails typed.
    const checked = yield* Schema.decodeUnknown(Tables)(tables).pipe(
      Effect.mapError((error) => new ValidationError({ field: "policy", detail: ParseIssue.describe(error) }))
    )
    const rules = new Map<string, TableRules>()
    for (const [table, policy] of Object.entries(checked)) {
      yield* checkNames([table], "table")
      const readable = yield* checkNames(policy.readable, `${table}.readable`)
      const filterable = yield* checkNames(policy.filterable ?? policy.readable, `${table}.filterable`)
      const sortable = yield* checkNames(policy.sortable ?? policy.readable, `${table}.sortable`)
      rules.set(table, { table, readable, filterable, sortable })
    }

    const table = (name: string): Effect.Effect<TableRules, AccessDenied> => {
      const found = rules.get(name)
      return found
        ? Effect.succeed(found)
        : Effect.fail(new AccessDenied({ reason: "TableNotAllowed", table: name.slice(0, 128) }))
    }

    const require = (
      name: string,
      fields: ReadonlyArray<string>,
      pick: (rules: TableRules) => ReadonlySet<string>,
      reason: AccessDeniedReason
    ): Effect.Effect<void, AccessDenied> =>
      Effect.flatMap(table(name), (found) => {
        const allowed = pick(found)
        const refused = fields.find((field) => !allowed.has(field))
        return refused === undefined
          ? Effect.void
          : Effect.fail(new AccessDenied({ reason, table: name, field: refused.slice(0, 128) }))
      })

    return {
      table,
      columns: (name, columns) => require(name, columns, (r) => r.readable, "ColumnNotAllowed"),
      filters: (name, filters) => require(name, filters.map((f) => f.field), (r) => r.filterable, "FilterNotAllowed"),
      sort: (name, sort) => require(name, sort.map((s) => s.field), (r) => r.sortable, "SortNotAllowed")
    }
  })

/**
 * The policy from code.
 *
 * @example
 * AccessPolicyLayer.layer({ asset_cycles: { readable: ["id", "asset_guid", "cycle_status"], sortable: ["id"] } })
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (tables: PolicyTables): Layer.Layer<AccessPolicy, ValidationError> =>
  Layer.effect(AccessPolicy, make(tables))

const PolicyJson = Schema.parseJson(Tables)

/**
 * The policy from `DAO_ACCESS_POLICY`, a JSON object of tables:
 * `{"asset_cycles":{"readable":["id","cycle_status"],"filterable":["cycle_status"],"sortable":["id"]}}`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<AccessPolicy, ConfigError.ConfigError | ValidationError> = Layer.effect(
  AccessPolicy,
  Effect.flatMap(Schema.Config("DAO_ACCESS_POLICY", PolicyJson), make)
)
