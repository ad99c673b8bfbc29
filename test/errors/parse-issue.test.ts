import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import * as Analytics from "../../src/schemas/Analytics.js"
import * as HashRecord from "../../src/schemas/HashRecord.js"
import * as ParseIssue from "../../src/schemas/ParseIssue.js"

const describeFailure = <A, I>(schema: Schema.Schema<A, I>, input: unknown): string => {
  const result = Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })(input)
  if (Either.isRight(result)) throw new Error("expected a failure")
  return ParseIssue.describe(result.left)
}

describe("ParseIssue.describe", () => {
  it("says where and what was expected, never the value", () => {
    const Profile = Schema.Struct({
      count: Schema.NumberFromString,
      token: Schema.String.pipe(Schema.minLength(20)),
      plan: Schema.Literal("free", "team"),
      tags: Schema.Array(Schema.Number)
    })
    const text = describeFailure(Profile, {
      count: "SECRET-1",
      token: "SECRET-2",
      plan: "SECRET-3",
      tags: [1, "SECRET-4"],
      extra: 1
    })
    expect(text).not.toContain("SECRET")
    expect(text).toContain("extra: is unexpected")
    expect(text).toContain("token: Expected a string at least 20 character(s) long")
    expect(text).toContain(`plan: Expected "free" | "team"`)
    expect(text).toContain("tags.1: Expected a number")
    expect(describeFailure(Profile, {})).toContain("count: is missing")
  })

  it("keeps the schema's own messages, at the path a filter gives them", () => {
    expect(describeFailure(HashRecord.Path, "relative/SECRET")).toBe("the value: an absolute path (starting with /)")
    expect(describeFailure(Analytics.BucketWidth, "SECRET minutes")).toContain(`expected "<n> second|minute|hour|day"`)
    const backwards = describeFailure(Analytics.TimeBucketsRequest, {
      table: "t",
      timeColumn: "at",
      valueColumn: "v",
      aggregation: "sum",
      bucket: "5 minutes",
      from: "2024-01-02T00:00:00Z",
      to: "2024-01-01T00:00:00Z"
    })
    expect(backwards).toBe("to: must be after from")
  })

  it("drops a message that holds the value", () => {
    const Tagged = Schema.String.pipe(Schema.filter((s) => s.startsWith("ok") || `${s} does not start with ok`))
    expect(describeFailure(Tagged, "SECRET")).not.toContain("SECRET")
  })

  it("drops a message that holds the value escaped, or a snippet of it", () => {
    // `JSON.parse` quotes the first characters; `NumberFromString` the value as JSON writes it.
    const claims = describeFailure(
      Schema.parseJson(Schema.Struct({ role: Schema.String })),
      "tok_live_9f8e7d6c5b4a3210"
    )
    expect(claims).not.toContain("tok_live")
    expect(claims).toContain("the value: Expected")
    const pin = describeFailure(Schema.Struct({ pin: Schema.NumberFromString }), { pin: "4711\n8812-secret" })
    expect(pin).not.toContain("8812")
    expect(pin).toContain("pin: Expected")
    const nested = Schema.Struct({ tags: Schema.Array(Schema.String) }).pipe(
      Schema.filter((value) => value.tags.length > 1 || `only ${JSON.stringify(value.tags)}`)
    )
    expect(describeFailure(nested, { tags: ["SECRET-TAG"] })).not.toContain("SECRET")
  })
})
