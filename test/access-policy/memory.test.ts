/**
 * The access policy on its own: names checked when it is built, refusals typed, configuration
 * read from DAO_ACCESS_POLICY.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as AccessPolicyLayer from "../../src/layers/AccessPolicy.js"
import { RepositoryTest } from "../../src/layers/Repository.js"
import { AccessPolicy } from "../../src/services/AccessPolicy.js"
import * as Repository from "../../src/services/Repository.js"

const reasonOf = (either: Either.Either<unknown, { readonly _tag: string; readonly reason?: string }>) =>
  Either.isLeft(either) ? either.left.reason ?? either.left._tag : "allowed"

describe("AccessPolicy", () => {
  it.effect("refuses tables, columns, filters and sorts that are not on the list", () =>
    Effect.gen(function*() {
      const policy = yield* AccessPolicyLayer.make({
        asset_cycles: { readable: ["id", "status", "created"], filterable: ["status"], sortable: ["created"] }
      })
      const outcomes = yield* Effect.all([
        Effect.either(policy.table("asset_cycles")),
        Effect.either(policy.table("users")),
        Effect.either(policy.table("pg_catalog.pg_authid")),
        Effect.either(policy.table("ASSET_CYCLES")),
        Effect.either(policy.columns("asset_cycles", ["id", "status"])),
        Effect.either(policy.columns("asset_cycles", ["password"])),
        Effect.either(policy.filters("asset_cycles", [{ field: "status", op: "eq", value: "x" }])),
        Effect.either(policy.filters("asset_cycles", [{ field: "id", op: "eq", value: 1 }])),
        Effect.either(policy.sort("asset_cycles", [{ field: "created", direction: "asc", nulls: "last" }])),
        Effect.either(policy.sort("asset_cycles", [{ field: "status", direction: "asc", nulls: "last" }]))
      ])
      expect(outcomes.map(reasonOf)).toEqual([
        "allowed",
        "TableNotAllowed",
        "TableNotAllowed",
        "TableNotAllowed",
        "allowed",
        "ColumnNotAllowed",
        "allowed",
        "FilterNotAllowed",
        "allowed",
        "SortNotAllowed"
      ])
    }))

  it.effect("only plain identifiers of at most 63 bytes can be put on the list", () =>
    Effect.gen(function*() {
      const bad = [
        { "pg_catalog.pg_authid": { readable: ["id"] } },
        { people: { readable: ["id", "name\"; DROP TABLE x; --"] } },
        { ["t".repeat(64)]: { readable: ["id"] } },
        { people: { readable: ["é"] } },
        { people: { readable: ["id"], sortable: ["a b"] } }
      ]
      for (const tables of bad) {
        const result = yield* Effect.either(AccessPolicyLayer.make(tables))
        expect(Either.isLeft(result) && result.left._tag).toBe("ValidationError")
      }
      expect(Either.isRight(yield* Effect.either(AccessPolicyLayer.make({ ["t".repeat(63)]: { readable: ["id"] } }))))
        .toBe(true)
    }))

  it.effect("a policy of another shape, from untyped code, is a ValidationError, not a defect", () =>
    Effect.gen(function*() {
      const bad: ReadonlyArray<unknown> = [
        null,
        "people",
        { people: null },
        { people: {} },
        { people: { readable: "id" } },
        { people: { readable: ["id"], sortable: "id" } }
      ]
      for (const tables of bad) {
        const result = yield* Effect.exit(AccessPolicyLayer.make(tables as AccessPolicyLayer.PolicyTables))
        expect(
          Exit.isFailure(result) && Option.getOrUndefined(Cause.failureOption(result.cause))?._tag,
          JSON.stringify(tables)
        ).toBe("ValidationError")
      }
    }))

  it.effect("is read from DAO_ACCESS_POLICY", () =>
    Effect.gen(function*() {
      const json = JSON.stringify({ asset_cycles: { readable: ["id", "status"], sortable: ["id"] } })
      const policy = yield* AccessPolicy.pipe(
        Effect.provide(AccessPolicyLayer.layerConfig),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["DAO_ACCESS_POLICY", json]])))
      )
      expect(
        reasonOf(
          yield* Effect.either(policy.sort("asset_cycles", [{ field: "status", direction: "asc", nulls: "last" }]))
        )
      )
        .toBe("SortNotAllowed")
      expect(reasonOf(yield* Effect.either(policy.filters("asset_cycles", [{ field: "status", op: "isNull" }]))))
        .toBe("allowed")
      const broken = yield* Effect.either(
        AccessPolicy.pipe(
          Effect.provide(AccessPolicyLayer.layerConfig),
          Effect.withConfigProvider(
            ConfigProvider.fromMap(new Map([["DAO_ACCESS_POLICY", "{\"x.y\":{\"readable\":[]}}"]]))
          )
        )
      )
      expect(Either.isLeft(broken)).toBe(true)
    }))

  it.effect("a repository needs its table and every schema column readable", () =>
    Effect.gen(function*() {
      const Person = Schema.Struct({ id: Schema.String, name: Schema.String, secret: Schema.String })
      const make = (tables: AccessPolicyLayer.PolicyTables) =>
        Effect.either(
          Repository.make({ table: "people", schema: Person, id: "id" }).pipe(
            Effect.provide(Layer.merge(RepositoryTest, AccessPolicyLayer.layer(tables)))
          )
        )
      expect(reasonOf(yield* make({ other: { readable: ["id"] } }))).toBe("TableNotAllowed")
      expect(reasonOf(yield* make({ people: { readable: ["id", "name"] } }))).toBe("ColumnNotAllowed")
      expect(reasonOf(yield* make({ people: { readable: ["id", "name", "secret"] } }))).toBe("allowed")
    }))
})
