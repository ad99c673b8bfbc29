import { describe, expect, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Decoder from "../../src/schemas/Decoder.js"

const Plan = Schema.Literal("free", "team", "enterprise")

const Profile = Schema.Struct({
  id: Schema.Number,
  name: Schema.String,
  plan: Plan,
  active: Schema.Boolean,
  roles: Schema.Array(Schema.String),
  company: Schema.NullOr(Schema.String),
  nickname: Schema.optional(Schema.String),
  extra: Schema.Unknown
})

// A boolean column as MySQL or a legacy table may hand it over: a boolean, or "Y" / "N".
const Flag = Schema.Union(
  Schema.Boolean,
  Schema.transform(Schema.Literal("Y", "N"), Schema.Boolean, {
    strict: true,
    decode: (yes) => yes === "Y",
    encode: (flag) => (flag ? "Y" : "N")
  })
)

const Row = Schema.Struct({
  id: Schema.Int.pipe(Schema.positive()),
  email: Schema.String.pipe(Schema.pattern(/@/)),
  active: Flag,
  created_at: Schema.DateFromSelf,
  note: Schema.NullOr(Schema.NonEmptyString),
  tags: Schema.Array(Schema.Struct({ key: Schema.String, value: Schema.Number }))
})

const Shape = Schema.Union(
  Schema.Struct({ kind: Schema.Literal("circle"), radius: Schema.Number }),
  Schema.Struct({ kind: Schema.Literal("square"), side: Schema.Number })
)

// A discriminated union of tagged structs, with a number among the tags.
const Event = Schema.Union(
  Schema.TaggedStruct("created", { id: Schema.Number, at: Schema.DateFromSelf }),
  Schema.TaggedStruct("renamed", { id: Schema.Number, name: Schema.NonEmptyString }),
  Schema.Struct({ _tag: Schema.Literal(3), reason: Schema.NullOr(Schema.String) })
)

// Effect's parser tries a member with a literal field ahead of the others, whatever their order.
const TaggedFirst = Schema.Union(
  Schema.Struct({ v: Schema.Unknown }),
  Schema.Struct({ kind: Schema.Literal("a"), v: Schema.Unknown })
)

// A union whose first member changes the value: the members must be tried in their order.
const Ordered = Schema.Union(Schema.NumberFromString, Schema.String)

const Strict = Schema.Struct({ a: Schema.String }).annotations({ parseOptions: { onExcessProperty: "error" } })

const Pair = Schema.Tuple(Schema.String, Schema.Number)

const WithDefault = Schema.Struct({ a: Schema.optionalWith(Schema.Number, { default: () => 7 }) })

const Positive = Schema.Struct({ low: Schema.Number, high: Schema.Number }).pipe(
  Schema.filter((range) => range.low <= range.high)
)

const schemas = {
  Profile,
  Row,
  Shape,
  Event,
  TaggedFirst,
  Ordered,
  Strict,
  Pair,
  WithDefault,
  Positive,
  Flag,
  Plan
} as const

/** Values of a schema's encoded side. */
const encodedValues = <A, I>(schema: Schema.Schema<A, I>): FastCheck.Arbitrary<unknown> =>
  Arbitrary.make(Schema.encodedSchema(schema))

/**
 * Values of a schema's type side: its encoded values as Effect decodes them, or as they are where
 * it does not (an arbitrary of the type side itself would loop forever on a filter that nothing
 * satisfies).
 */
const typeValues = <A, I>(schema: Schema.Schema<A, I>): FastCheck.Arbitrary<unknown> => {
  const decode = Schema.decodeUnknownEither(schema)
  return encodedValues(schema).map((input) => Either.getOrElse(decode(input), () => input))
}

/** The two directions: the compiled parser against Effect's, and values of the side each reads. */
const directions = [
  {
    name: "decodes as Schema.decodeUnknownEither does",
    fast: Decoder.decodeUnknownEither,
    full: Schema.decodeUnknownEither,
    values: encodedValues
  },
  {
    name: "encodes as Schema.encodeUnknownEither does",
    fast: Decoder.encodeUnknownEither,
    full: Schema.encodeUnknownEither,
    values: typeValues
  }
] as const

type Direction = (typeof directions)[number]

/** Inputs near the schema's values: values of it, and values of it with one field spoiled. */
const inputs = <A, I>(schema: Schema.Schema<A, I>, direction: Direction) => {
  const values = direction.values(schema)
  return FastCheck.oneof(
    values,
    FastCheck.tuple(values, FastCheck.string(), FastCheck.anything()).map(([value, key, junk]) => {
      if (typeof value !== "object" || value === null) return junk
      const keys = Object.keys(value)
      const spoiled: Record<string, unknown> = { ...(value as Record<string, unknown>) }
      spoiled[keys.length > 0 ? keys[key.length % keys.length]! : key] = junk
      return spoiled
    }),
    FastCheck.anything()
  )
}

/** What a decoder answers, or what it throws: Effect's parser throws on some inputs (a tagged
 * union's tag that cannot be turned into a string), and then the decoder must throw alike. */
const outcome = (decode: (input: unknown) => unknown, input: unknown) => {
  try {
    return { answered: decode(input) }
  } catch (error) {
    return { threw: String(error) }
  }
}

const same = <A, I>(schema: Schema.Schema<A, I>, direction: Direction) => {
  const fast = direction.fast(schema)
  const full = direction.full(schema)
  FastCheck.assert(
    FastCheck.property(inputs(schema, direction), (input) => {
      expect(outcome(fast, input)).toStrictEqual(outcome(full, input))
    }),
    { numRuns: 2_000 }
  )
}

describe("Decoder", () => {
  it("throws where Effect's parser throws: a tag that cannot be made a string", () => {
    const input = { kind: { toString: {} }, radius: 0 }
    expect(outcome(Decoder.decodeUnknownEither(schemas.Shape), input)).toStrictEqual(
      outcome(Schema.decodeUnknownEither(schemas.Shape), input)
    )
    expect(outcome(Decoder.decodeUnknownEither(schemas.Shape), input)).toHaveProperty("threw")
  })

  for (const direction of directions) {
    for (const [name, schema] of Object.entries(schemas)) {
      it(`${direction.name}: ${name}`, () => {
        same(schema as Schema.Schema<unknown, unknown>, direction)
      })
    }
  }

  it("takes a union's tag from the input's own field only, as Effect's parser does", () => {
    class Circle {
      readonly radius = 1
      get kind() {
        return "circle"
      }
    }
    const input = new Circle()
    expect(Decoder.decodeUnknownEither(Shape)(input)).toStrictEqual(Schema.decodeUnknownEither(Shape)(input))
    expect(Either.isLeft(Decoder.decodeUnknownEither(Shape)(input))).toBe(true)
    expect(Decoder.decodeUnknownEither(Shape)({ kind: "square", side: 2 })).toStrictEqual(
      Either.right({ kind: "square", side: 2 })
    )
  })

  it("tries a member with a literal field first, as Effect's parser does", () => {
    expect(Decoder.decodeUnknownEither(TaggedFirst)({ kind: "a", v: 1 })).toStrictEqual(
      Either.right({ kind: "a", v: 1 })
    )
  })

  it("tries first a member tagged on the side it reads: the type side when encoding", () => {
    // A field that is a literal on the type side only: text when stored, always "a" in the value.
    const Kind = Schema.transform(Schema.String, Schema.Literal("a"), {
      strict: true,
      decode: () => "a" as const,
      encode: (kind) => kind.toUpperCase()
    })
    const TaggedWhenEncoding = Schema.Union(
      Schema.Struct({ v: Schema.Unknown }),
      Schema.Struct({ kind: Kind, v: Schema.Unknown })
    )
    const value = { kind: "a", v: 1 }
    expect(Schema.encodeUnknownEither(TaggedWhenEncoding)(value)).toStrictEqual(Either.right({ kind: "A", v: 1 }))
    expect(Decoder.encodeUnknownEither(TaggedWhenEncoding)(value)).toStrictEqual(Either.right({ kind: "A", v: 1 }))
    // Decoding, no member is tagged: the first that accepts answers.
    expect(Decoder.decodeUnknownEither(TaggedWhenEncoding)({ kind: "A", v: 1 })).toStrictEqual(Either.right({ v: 1 }))
    expect(Schema.decodeUnknownEither(TaggedWhenEncoding)({ kind: "A", v: 1 })).toStrictEqual(Either.right({ v: 1 }))
  })

  it("drops keys the schema does not name and leaves an absent optional key absent", () => {
    const decoded = Decoder.decodeUnknownEither(Profile)({
      id: 1,
      name: "a",
      plan: "team",
      active: true,
      roles: ["r"],
      company: null,
      extra: 3,
      password: "kept out"
    })
    expect(decoded).toStrictEqual(
      Either.right({ id: 1, name: "a", plan: "team", active: true, roles: ["r"], company: null, extra: 3 })
    )
  })

  it("answers a copy, so the input and the value do not share arrays", () => {
    const input = { id: 1, name: "a", plan: "free", active: false, roles: ["r"], company: "c", extra: null }
    const decoded = Either.getOrThrow(Decoder.decodeUnknownEither(Profile)(input))
    expect(decoded.roles).not.toBe(input.roles)
    expect(decoded.roles).toEqual(input.roles)
  })

  // Effect's parser decodes a TypeLiteral with no property and no index signatures
  // (`Schema.Struct({})`, `pick()`, `omit` of every key) as `Predicate.isNotNullable`: it answers
  // the input itself, keys and all, and accepts any value but null and undefined.
  it("answers the input itself for an empty struct, as Effect's parser does", () => {
    const Empty = Schema.Struct({})
    const input = { a: 1 }
    expect(Decoder.decodeUnknownEither(Empty)(input)).toStrictEqual(Schema.decodeUnknownEither(Empty)(input))
    const Nested = Schema.Struct({ id: Schema.Number, meta: Schema.Struct({}) })
    const row = { id: 1, meta: { source: "import" } }
    expect(Decoder.decodeUnknownEither(Nested)(row)).toStrictEqual(Schema.decodeUnknownEither(Nested)(row))
  })

  it("accepts a non-object with an empty struct ahead of later union members, as Effect's parser does", () => {
    const Loose = Schema.Union(Schema.Struct({}), Schema.NumberFromString)
    expect(Decoder.decodeUnknownEither(Loose)("1")).toStrictEqual(Schema.decodeUnknownEither(Loose)("1"))
    const Listed = Schema.Union(Schema.Struct({}), Schema.Array(Schema.NumberFromString))
    expect(Decoder.decodeUnknownEither(Listed)(["1"])).toStrictEqual(Schema.decodeUnknownEither(Listed)(["1"]))
  })

  it("fails with Effect's own ParseError, naming the field", () => {
    const decoded = Decoder.decodeUnknownEither(Row)({
      id: 1.5,
      email: "x@y",
      active: "Y",
      created_at: new Date(0),
      note: null,
      tags: []
    })
    expect(Either.isLeft(decoded)).toBe(true)
    if (Either.isLeft(decoded)) {
      expect(ParseResult.isParseError(decoded.left)).toBe(true)
      expect(decoded.left.message).toContain("[\"id\"]")
    }
  })

  it("keeps a Date and turns Y/N into booleans, through Effect's parser for those nodes", () => {
    const created = new Date(5)
    expect(
      Decoder.decodeUnknownEither(Row)({
        id: 2,
        email: "x@y",
        active: "N",
        created_at: created,
        note: "n",
        tags: [{ key: "k", value: 1, other: 2 }]
      })
    ).toStrictEqual(
      Either.right({
        id: 2,
        email: "x@y",
        active: false,
        created_at: created,
        note: "n",
        tags: [{ key: "k", value: 1 }]
      })
    )
  })
})

/** Schemas built at random (from a fixed seed) out of the building blocks the decoder compiles or hands on. */
describe("Decoder over schemas built at random", () => {
  type Any = Schema.Schema<unknown, unknown>
  const leaves: ReadonlyArray<Any> = [
    Schema.String,
    Schema.Number,
    Schema.Boolean,
    Schema.Undefined,
    Schema.Unknown,
    Schema.Null,
    Schema.Literal("a"),
    Schema.Literal("a", "b", 1),
    Schema.Int,
    Schema.NonEmptyString,
    Schema.NumberFromString,
    Schema.DateFromSelf,
    Schema.Enums({ A: "a", B: 1 } as const),
    Schema.TemplateLiteral("a", Schema.String),
    Schema.transformLiteral("Y", true),
    Schema.BooleanFromString,
    Schema.String.pipe(Schema.brand("Name")),
    Schema.Struct({})
  ] as unknown as ReadonlyArray<Any>
  // Not "constructor" or "toString": Effect itself fails on those with `optionalWith({ nullable })`.
  const keys = ["a", "b", "kind", "length", "0"]

  for (const direction of directions) {
    it(direction.name, () => {
      // mulberry32, from a fixed seed: the same schemas on every run.
      let state = 20261201
      const next = (n: number) => {
        state = (state + 0x6D2B79F5) | 0
        let t = Math.imul(state ^ (state >>> 15), 1 | state)
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
        return (((t ^ (t >>> 14)) >>> 0) / 4294967296 * n) | 0
      }
      const build = (depth: number): Any => {
        if (depth <= 0) return leaves[next(leaves.length)]!
        switch (next(9)) {
          case 0:
            return Schema.Array(build(depth - 1)) as unknown as Any
          case 1:
          case 2: {
            const fields: Record<string, Schema.Struct.Field> = {}
            for (let i = 0, n = 1 + next(3); i < n; i++) {
              const type = build(depth - 1)
              const form = next(6)
              fields[keys[next(keys.length)]!] = form === 0
                ? Schema.optional(type)
                : form === 1
                ? Schema.optionalWith(type, { exact: true })
                : form === 2
                ? Schema.optionalWith(type, { nullable: true })
                : type
            }
            return Schema.Struct(fields) as unknown as Any
          }
          case 3:
            return Schema.Union(build(depth - 1), build(depth - 1), build(depth - 1))
          case 4:
            return Schema.NullOr(build(depth - 1)) as unknown as Any
          case 5:
            return build(depth - 1).pipe(Schema.filter((x) => JSON.stringify(x ?? null).length % 3 !== 0))
          case 6:
            return Schema.Array(build(depth - 1)).pipe(Schema.minItems(1)) as unknown as Any
          case 7:
            return Schema.Struct({ kind: Schema.Literal(keys[next(3)]!), v: build(depth - 1) }) as unknown as Any
          default:
            return leaves[next(leaves.length)]!
        }
      }
      let compared = 0
      for (let i = 0; i < 300; i++) {
        const schema = build(1 + next(4))
        const fast = direction.fast(schema)
        const full = direction.full(schema)
        const values = FastCheck.oneof(direction.values(schema), FastCheck.anything())
        for (const input of FastCheck.sample(values, { numRuns: 60, seed: i })) {
          expect(outcome(fast, input), `${String(schema)} on ${JSON.stringify(input)}`).toStrictEqual(
            outcome(full, input)
          )
          compared++
        }
      }
      expect(compared).toBe(300 * 60)
    })
  }
})
