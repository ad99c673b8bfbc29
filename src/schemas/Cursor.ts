/**
 * Opaque keyset cursors: the last row's sort values plus its primary key, bound to the table and
 * the sort they were made for, signed with HMAC-SHA256. A cursor that was edited, truncated or
 * made for another sort fails with `ValidationError`.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as crypto from "node:crypto"
import { ValidationError } from "../errors.js"
import type { Sort } from "./Query.js"
import { maxCursorLength } from "./Query.js"

/**
 * The key cursors are signed with. By default a random key per process (cursors then do not
 * survive a restart); `CursorKey.layerConfig` reads `DAO_CURSOR_SECRET` so that every instance
 * of a service accepts the others' cursors.
 *
 * @since 0.1.0
 * @category tags
 */
export class CursorKey extends Context.Reference<CursorKey>()("effect-dao/CursorKey", {
  defaultValue: (): Redacted.Redacted<Uint8Array> => Redacted.make(new Uint8Array(crypto.randomBytes(32)))
}) {
  /**
   * Reads the signing secret from `DAO_CURSOR_SECRET` (at least 16 characters).
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerConfig: Layer.Layer<CursorKey, ConfigError.ConfigError> = Layer.effect(
    CursorKey,
    Effect.map(
      // Checked as a string, then redacted: a check of the redacted value would report neither
      // the variable's name nor what is wrong with it.
      Config.string("DAO_CURSOR_SECRET").pipe(
        Config.validate({ message: "must be at least 16 characters", validation: (s) => s.length >= 16 }),
        Config.map(Redacted.make)
      ),
      (secret) => Redacted.make(new Uint8Array(Buffer.from(Redacted.value(secret), "utf8")))
    )
  )
}

/**
 * A value inside a cursor: JSON scalars, and dates kept as dates.
 *
 * @since 0.1.0
 * @category models
 */
export type CursorValue = string | number | boolean | null | Date

/** The numbers JSON has no text for, which a double column on PostgreSQL and the memory store hold. */
const nonFinite = ["NaN", "Infinity", "-Infinity"] as const

type Wire = string | number | boolean | null | { readonly d: number } | { readonly n: typeof nonFinite[number] }

// JSON writes NaN and the infinities as null: a position after such a row read as a NULL one
// skipped the rows after it, or began the walk again.
const toWire = (value: CursorValue): Wire =>
  value instanceof Date
    ? { d: value.getTime() }
    : typeof value === "number" && !Number.isFinite(value)
    ? { n: String(value) as typeof nonFinite[number] }
    : value

const fromWire = (value: unknown): CursorValue | undefined => {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value
  if (typeof value === "number" && Number.isFinite(value)) return value
  if (typeof value !== "object") return undefined
  const { d, n } = value as { d?: unknown; n?: unknown }
  if (typeof d === "number") return new Date(d)
  return nonFinite.find((text) => text === n) === undefined ? undefined : Number(n)
}

/** What a cursor is bound to: the table and the exact sort (field, direction, nulls). */
const binding = (table: string, sort: ReadonlyArray<Sort>): string =>
  JSON.stringify([table, sort.map((s) => [s.field, s.direction, s.nulls])])

const sign = (key: Uint8Array, payload: string): string =>
  crypto.createHmac("sha256", key).update(payload).digest("base64url")

const invalid = (detail: string) => new ValidationError({ field: "after", detail })

/**
 * Makes the cursor that follows a row: its values for each sort key, the last being the primary key.
 * A cursor longer than `maxCursorLength` would be refused when passed back, so it is not made: the
 * call fails with `ValidationError` (field `sort`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const encode = (
  table: string,
  sort: ReadonlyArray<Sort>,
  values: ReadonlyArray<CursorValue>
): Effect.Effect<string, ValidationError> =>
  Effect.flatMap(CursorKey, (key) => {
    const payload = Buffer.from(JSON.stringify({ b: binding(table, sort), v: values.map(toWire) })).toString(
      "base64url"
    )
    const cursor = `${payload}.${sign(Redacted.value(key), payload)}`
    return cursor.length <= maxCursorLength
      ? Effect.succeed(cursor)
      : Effect.fail(
        new ValidationError({
          field: "sort",
          detail:
            `the last row's sort values make a cursor of ${cursor.length} characters, over the ${maxCursorLength} ` +
            "a cursor may have: sort by shorter values, or walk with stream or forEachPage, which carry no cursor"
        })
      )
  })

/**
 * Reads a cursor back, checking its signature, that it was made for this table and sort (whose
 * last key is the primary key), and that it holds one value per sort key.
 *
 * @since 0.1.0
 * @category constructors
 */
export const decode = (
  table: string,
  sort: ReadonlyArray<Sort>,
  cursor: string
): Effect.Effect<ReadonlyArray<CursorValue>, ValidationError> =>
  Effect.gen(function*() {
    const key = yield* CursorKey
    const [payload, signature, ...rest] = cursor.split(".")
    if (payload === undefined || signature === undefined || rest.length > 0) {
      return yield* Effect.fail(invalid("malformed cursor"))
    }
    const expected = Buffer.from(sign(Redacted.value(key), payload))
    const given = Buffer.from(signature)
    if (expected.length !== given.length || !crypto.timingSafeEqual(expected, given)) {
      return yield* Effect.fail(invalid("cursor signature does not match"))
    }
    const body = yield* Effect.try({
      try: () => JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { b?: unknown; v?: unknown },
      catch: () => invalid("malformed cursor")
    })
    if (body.b !== binding(table, sort)) {
      return yield* Effect.fail(invalid("cursor was made for another table or sort"))
    }
    const raw = Array.isArray(body.v) ? body.v : []
    const values = raw.map(fromWire)
    if (values.length !== sort.length || values.some((v) => v === undefined)) {
      return yield* Effect.fail(invalid("cursor does not fit the sort"))
    }
    return values as ReadonlyArray<CursorValue>
  })
