/**
 * The RedisSource contract: every RedisSource layer must pass it.
 */
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import { demoRegions, seedDemoRegions } from "../../src/fixtures/DemoRegions.js"
import * as KeyPattern from "../../src/schemas/KeyPattern.js"
import type { Region } from "../../src/schemas/Region.js"
import { RedisSource } from "../../src/services/RedisSource.js"
import { uniqueName } from "../support/services.js"

export interface RedisSourceSuiteOptions {
  /** `test`: TTLs expire by moving `TestClock`; `real`: by waiting. */
  readonly clock: "test" | "real"
}

const value = KeyPattern.make("source:{run}:{name}")
const SortedMembers = Schema.transform(Schema.Array(Schema.String), Schema.Array(Schema.String), {
  strict: true,
  decode: (members) => [...members].sort(),
  encode: (members) => members
})
const Telemetry = Schema.Struct({
  speed: Schema.NumberFromString,
  payload: Schema.NumberFromString,
  state: Schema.String
})

const injections: ReadonlyArray<string> = [
  "*",
  "a}:{b",
  "x\r\nFLUSHALL",
  "x".repeat(10_000),
  "",
  "a:b",
  "a?",
  "[x]",
  "a b"
]

const realWait = (millis: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, millis)))

const version = (regionId: string, n: number, kind: Region["kind"] = "load"): Region => ({
  regionId,
  version: n,
  name: `${regionId} v${n}`,
  kind,
  boundary: [[117 + n / 100, -23], [117.1, -23], [117.1, -23.1]],
  validFrom: new Date(Date.UTC(2026, 0, n))
})

/** Deletes every key a region test may have written. */
const removeRegions = (assetIds: ReadonlyArray<string>, regions: ReadonlyArray<Region>) =>
  Effect.flatMap(RedisSource, (source) =>
    Effect.ignore(Effect.forEach([
      ...assetIds.map((asset_id) => KeyPattern.assetRegions({ asset_id })),
      ...regions.map((region) => KeyPattern.regionVersions({ region_id: region.regionId })),
      ...regions.map((region) => KeyPattern.regionVersion({ region_id: region.regionId, version: region.version }))
    ], (key) => source.deleteByPattern(key))))

export const suite = (
  name: string,
  sourceLayer: Layer.Layer<RedisSource, unknown>,
  options: RedisSourceSuiteOptions
): void => {
  layer(sourceLayer, { timeout: "60 seconds" })(name, (it) => {
    it.effect("reads a string, a set and a hash, decoded with their schemas", () =>
      Effect.gen(function*() {
        const source = yield* RedisSource
        const run = uniqueName("s")
        const keys = {
          text: value({ run, name: "count" }),
          set: value({ run, name: "tags" }),
          hash: value({ run, name: "t" })
        }
        yield* source.setByPattern(keys.text, "string", Schema.NumberFromString, 42)
        yield* source.setByPattern(keys.set, "set", SortedMembers, ["b", "a", "c", "a"])
        yield* source.setByPattern(keys.hash, "hash", Telemetry, { speed: 31.5, payload: 220, state: "hauling" })
        expect(yield* source.getByPattern(keys.text, "string", Schema.NumberFromString)).toEqual(Option.some(42))
        expect(yield* source.getByPattern(keys.set, "set", SortedMembers)).toEqual(Option.some(["a", "b", "c"]))
        expect(yield* source.getByPattern(keys.hash, "hash", Telemetry)).toEqual(
          Option.some({ speed: 31.5, payload: 220, state: "hauling" })
        )
        // A set is replaced, not merged.
        yield* source.setByPattern(keys.set, "set", SortedMembers, ["z"])
        expect(yield* source.getByPattern(keys.set, "set", SortedMembers)).toEqual(Option.some(["z"]))
        for (const key of Object.values(keys)) expect(yield* source.deleteByPattern(key)).toBe(true)
        expect(yield* source.deleteByPattern(keys.text)).toBe(false)
      }))

    it.effect("a missing key, an empty set and an empty hash read as None", () =>
      Effect.gen(function*() {
        const source = yield* RedisSource
        const run = uniqueName("s")
        yield* source.setByPattern(value({ run, name: "empty" }), "set", SortedMembers, [])
        expect(yield* source.getByPattern(value({ run, name: "none" }), "string", Schema.String)).toEqual(Option.none())
        expect(yield* source.getByPattern(value({ run, name: "empty" }), "set", SortedMembers)).toEqual(Option.none())
        expect(yield* source.getByPattern(value({ run, name: "none" }), "hash", Telemetry)).toEqual(Option.none())
      }))

    it.effect("getMany reads many keys in one call, in order, with None for the missing ones", () =>
      Effect.gen(function*() {
        const source = yield* RedisSource
        const run = uniqueName("s")
        const keys = Array.from({ length: 50 }, (_, i) => value({ run, name: `k${i}` }))
        yield* Effect.forEach(
          keys,
          (key, i) => i % 10 === 3 ? Effect.void : source.setByPattern(key, "string", Schema.NumberFromString, i),
          { discard: true }
        )
        const values = yield* source.getMany(keys, "string", Schema.NumberFromString)
        expect(values).toEqual(keys.map((_, i) => i % 10 === 3 ? Option.none() : Option.some(i)))
        expect(yield* source.getMany([], "string", Schema.String)).toEqual([])
        yield* Effect.forEach(keys, (key) => source.deleteByPattern(key), { discard: true })
      }))

    it.effect("a key written with a TTL expires", () =>
      Effect.gen(function*() {
        const source = yield* RedisSource
        const run = uniqueName("s")
        const key = value({ run, name: "status" })
        if (options.clock === "test") {
          yield* source.setByPattern(key, "string", Schema.String, "loading", { ttl: "5 seconds" })
          yield* TestClock.adjust("4 seconds")
          expect(yield* source.getByPattern(key, "string", Schema.String)).toEqual(Option.some("loading"))
          yield* TestClock.adjust("2 seconds")
        } else {
          yield* source.setByPattern(key, "string", Schema.String, "loading", { ttl: "300 millis" })
          expect(yield* source.getByPattern(key, "string", Schema.String)).toEqual(Option.some("loading"))
          yield* realWait(700)
        }
        expect(yield* source.getByPattern(key, "string", Schema.String)).toEqual(Option.none())
      }))

    it.effect("a set's members come sorted, whatever order they were written in", () =>
      Effect.gen(function*() {
        const source = yield* RedisSource
        const run = uniqueName("s")
        const Members = Schema.Array(Schema.String)
        // Redis answers a set of small integers sorted by number, and a larger one in hash order.
        const numbers = value({ run, name: "numbers" })
        yield* source.setByPattern(numbers, "set", Members, ["10", "2", "1"])
        expect(yield* source.getByPattern(numbers, "set", Members)).toEqual(Option.some(["1", "10", "2"]))
        const words = value({ run, name: "words" })
        const many = Array.from({ length: 300 }, (_, i) => `w${(i * 7919) % 300}`)
        yield* source.setByPattern(words, "set", Members, many)
        expect(yield* source.getByPattern(words, "set", Members)).toEqual(Option.some([...many].sort()))
        expect(yield* source.getMany([numbers, words], "set", Members)).toEqual([
          Option.some(["1", "10", "2"]),
          Option.some([...many].sort())
        ])
        yield* source.deleteByPattern(numbers)
        yield* source.deleteByPattern(words)
      }))

    it.effect("putRegion keeps the TTL of an asset's set, as SADD does", () =>
      Effect.gen(function*() {
        const source = yield* RedisSource
        const asset = uniqueName("ttl")
        const regions = [version(`${asset}-r1`, 1)]
        const key = KeyPattern.assetRegions({ asset_id: asset })
        const Members = Schema.Array(Schema.String)
        const ttl = options.clock === "test" ? "5 seconds" : "300 millis"
        yield* source.setByPattern(key, "set", Members, [`${asset}-r0`], { ttl })
        yield* source.putRegion(asset, regions[0]!)
        expect(yield* source.getByPattern(key, "set", Members)).toEqual(Option.some([`${asset}-r0`, `${asset}-r1`]))
        if (options.clock === "test") yield* TestClock.adjust("6 seconds")
        else yield* realWait(700)
        expect(yield* source.getByPattern(key, "set", Members)).toEqual(Option.none())
        yield* removeRegions([asset], regions)
      }))

    it.effect("a TTL beyond what Redis holds is a ValidationError and writes nothing", () =>
      Effect.gen(function*() {
        const source = yield* RedisSource
        const key = value({ run: uniqueName("s"), name: "status" })
        yield* source.setByPattern(key, "string", Schema.String, "old", { ttl: "1 minute" })
        // Redis refused the expiry inside MULTI after applying the write: "new", never expiring.
        const error = yield* Effect.flip(source.setByPattern(key, "string", Schema.String, "new", { ttl: 1e19 }))
        expect(error._tag).toBe("ValidationError")
        expect(yield* source.getByPattern(key, "string", Schema.String)).toEqual(Option.some("old"))
        yield* source.deleteByPattern(key)
      }))

    it.effect("text with a lone surrogate, or a region that JSON cannot carry, is a ValidationError and writes nothing", () =>
      Effect.gen(function*() {
        const source = yield* RedisSource
        // Redis stored U+FFFD for the surrogate, and two set members differing in one became one.
        const cases = [
          [value({ run: uniqueName("s"), name: "s" }), "string", Schema.String, "x\ud800y"],
          [value({ run: uniqueName("s"), name: "m" }), "set", Schema.Array(Schema.String), ["a\ud800", "a\udbff"]],
          [
            value({ run: uniqueName("s"), name: "h" }),
            "hash",
            Schema.Record({ key: Schema.String, value: Schema.String }),
            {
              "f\udc00": "v"
            }
          ]
        ] as const
        for (const [key, kind, schema, bad] of cases) {
          const error = yield* Effect.flip(
            source.setByPattern(key, kind, schema as unknown as Schema.Schema<unknown, never>, bad)
          )
          expect(error._tag, kind).toBe("ValidationError")
          expect(yield* source.getByPattern(key, kind, schema as unknown as Schema.Schema<unknown, never>), kind)
            .toEqual(Option.none())
        }
        // JSON writes NaN as null: the region, and every read of its asset, would fail to decode.
        const asset = uniqueName("truck")
        const broken = { ...version(uniqueName("pit"), 1), boundary: [[Number.NaN, 2]] as const }
        const refused = yield* Effect.flip(source.putRegion(asset, broken as unknown as Region))
        expect(refused._tag).toBe("ValidationError")
        const named = yield* Effect.flip(source.putRegion(asset, { ...version(uniqueName("pit"), 1), name: "b\ud800" }))
        expect(named._tag).toBe("ValidationError")
        expect(yield* source.assetRegions(asset)).toEqual([])
      }))

    it.effect("a value that does not decode is a DataAccessError with reason Decode", () =>
      Effect.gen(function*() {
        const source = yield* RedisSource
        const key = value({ run: uniqueName("s"), name: "n" })
        yield* source.setByPattern(key, "string", Schema.String, "not a number")
        const error = yield* Effect.flip(source.getByPattern(key, "string", Schema.NumberFromString))
        expect(error._tag).toBe("DataAccessError")
        expect(error._tag === "DataAccessError" && error.reason).toBe("Decode")
        yield* source.deleteByPattern(key)
      }))

    it.effect("reading a key as the wrong structure is a DataAccessError with reason WrongType", () =>
      Effect.gen(function*() {
        const source = yield* RedisSource
        const key = value({ run: uniqueName("s"), name: "h" })
        yield* source.setByPattern(key, "hash", Telemetry, { speed: 1, payload: 2, state: "idle" })
        const error = yield* Effect.flip(source.getByPattern(key, "string", Schema.String))
        expect(error._tag === "DataAccessError" && error.reason).toBe("WrongType")
        // The in-memory stand-in read a string as the set or hash of its characters.
        const text = value({ run: uniqueName("s"), name: "t" })
        yield* source.setByPattern(text, "string", Schema.String, "hello")
        const asSet = yield* Effect.flip(source.getByPattern(text, "set", Schema.Array(Schema.String)))
        expect(asSet._tag === "DataAccessError" && asSet.reason).toBe("WrongType")
        const asHash = yield* Effect.flip(source.getByPattern(text, "hash", Telemetry))
        expect(asHash._tag === "DataAccessError" && asHash.reason).toBe("WrongType")
        yield* source.deleteByPattern(key)
        yield* source.deleteByPattern(text)
      }))

    it.effect("putRegion onto an asset key of the wrong type is WrongType and writes nothing", () =>
      Effect.gen(function*() {
        const source = yield* RedisSource
        const asset = uniqueName("truck")
        const region = version(uniqueName("pit"), 1)
        const assetKey = KeyPattern.assetRegions({ asset_id: asset })
        yield* source.setByPattern(assetKey, "string", Schema.String, "not a set")
        const error = yield* Effect.flip(source.putRegion(asset, region))
        expect(error._tag === "DataAccessError" && error.reason).toBe("WrongType")
        // Redis applied the rest of the MULTI: the version hash was written all the same.
        const versionKey = KeyPattern.regionVersion({ region_id: region.regionId, version: region.version })
        expect(
          yield* source.getByPattern(versionKey, "hash", Schema.Record({ key: Schema.String, value: Schema.String }))
        )
          .toEqual(Option.none())
        yield* source.deleteByPattern(assetKey)
        yield* removeRegions([asset], [region])
      }))

    it.effect("assetRegions keeps the latest version of each region unless all are asked for", () => {
      const asset = uniqueName("truck")
      const north = uniqueName("north")
      const dump = uniqueName("dump")
      // Written out of order, and 10 > 2 numerically though not as text.
      const regions = [version(north, 2), version(north, 10), version(north, 1), version(dump, 1, "dump")]
      return Effect.gen(function*() {
        const source = yield* RedisSource
        yield* Effect.forEach(regions, (region) => source.putRegion(asset, region), { discard: true })
        const latest = yield* source.assetRegions(asset)
        const expectedLatest = [version(north, 10), version(dump, 1, "dump")].sort((a, b) =>
          a.regionId < b.regionId ? -1 : 1
        )
        expect(latest).toEqual(expectedLatest)
        const all = yield* source.assetRegions(asset, { includeAllVersions: true })
        expect(all.map((region) => [region.regionId, region.version])).toEqual(
          [[north, 1], [north, 2], [north, 10], [dump, 1]].sort((a, b) =>
            a[0] === b[0] ? Number(a[1]) - Number(b[1]) : String(a[0]) < String(b[0]) ? -1 : 1
          )
        )
        expect(all.find((region) => region.version === 2)?.validFrom).toBeInstanceOf(Date)
        expect(yield* source.assetRegions(uniqueName("nobody"))).toEqual([])
        // A version listed without its hash is skipped; the region is not served from an older version.
        yield* source.deleteByPattern(KeyPattern.regionVersion({ region_id: north, version: 10 }))
        expect((yield* source.assetRegions(asset)).map((region) => region.regionId)).toEqual([dump])
      }).pipe(Effect.ensuring(removeRegions([asset], regions)))
    })

    it.effect("the demo data seeds in the documented layout", () =>
      Effect.gen(function*() {
        const source = yield* RedisSource
        yield* seedDemoRegions
        const truck = yield* source.assetRegions("truck-123")
        expect(truck.map((region) => `${region.regionId}@${region.version}`)).toEqual([
          "crusher-1@2",
          "haul-road-a@1",
          "pit-north@3"
        ])
        expect(yield* source.assetRegions("truck-123", { includeAllVersions: true })).toHaveLength(6)
        expect((yield* source.assetRegions("truck-456")).map((region) => region.regionId)).toEqual([
          "pit-north",
          "waste-dump-east",
          "workshop"
        ])
        const members = yield* source.getByPattern(
          KeyPattern.assetRegions({ asset_id: "truck-456" }),
          "set",
          SortedMembers
        )
        expect(members).toEqual(Option.some(["pit-north", "waste-dump-east", "workshop"]))
      }).pipe(Effect.ensuring(removeRegions(["truck-123", "truck-456"], demoRegions.map(({ region }) => region)))))

    it.effect("injected parameter values are ValidationErrors and change no key", () => {
      const run = uniqueName("s")
      const asset = uniqueName("truck")
      const north = uniqueName("north")
      return Effect.gen(function*() {
        const source = yield* RedisSource
        const canary = value({ run, name: "canary" })
        yield* source.setByPattern(canary, "string", Schema.String, "alive")
        yield* source.putRegion(asset, version(north, 1))
        for (const bad of injections) {
          const attempts = [
            source.getByPattern(KeyPattern.assetStatus({ asset_id: bad }), "string", Schema.String),
            source.getMany([value({ run, name: "canary" }), value({ run, name: bad })], "string", Schema.String),
            source.setByPattern(value({ run, name: bad }), "string", Schema.String, "x"),
            source.deleteByPattern(value({ run: bad, name: "canary" })),
            source.assetRegions(bad),
            source.putRegion(bad, version(north, 2)),
            source.putRegion(asset, version(bad, 2))
          ]
          for (const attempt of attempts) {
            const error = yield* Effect.flip(attempt)
            expect(error._tag).toBe("ValidationError")
            expect(error.message).not.toContain("FLUSHALL")
          }
        }
        expect(yield* source.getByPattern(canary, "string", Schema.String)).toEqual(Option.some("alive"))
        expect(yield* source.assetRegions(asset, { includeAllVersions: true })).toEqual([version(north, 1)])
        yield* source.deleteByPattern(canary)
      }).pipe(Effect.ensuring(removeRegions([asset], [version(north, 1)])))
    })
  })
}
