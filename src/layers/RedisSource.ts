/**
 * `RedisSource` layers: `RedisSourceLive` over `RedisClient` (pipelined reads, `MULTI` writes) and
 * `RedisSourceTest` in memory (expiry read from `Clock`). Both share the decoding and the region
 * logic; only the store differs.
 *
 * Region layout (every key under the namespace):
 * - `asset:{asset_id}:regions`: SET of the region ids the asset is tracked against;
 * - `region:{region_id}:versions`: ZSET of the region's versions (member and score: the number);
 * - `region:{region_id}:v:{version}`: HASH of one version (see `RegionHash`).
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import type { Backend, BackendError } from "../errors.js"
import { DataAccessError, ValidationError } from "../errors.js"
import * as Decoder from "../schemas/Decoder.js"
import type { Key } from "../schemas/KeyPattern.js"
import * as KeyPattern from "../schemas/KeyPattern.js"
import * as ParseIssue from "../schemas/ParseIssue.js"
import type { Region } from "../schemas/Region.js"
import { RegionHash } from "../schemas/Region.js"
import type { RedisClientService } from "../services/RedisClient.js"
import { RedisClient } from "../services/RedisClient.js"
import type { RedisSourceService, StructureKind } from "../services/RedisSource.js"
import { RedisSource } from "../services/RedisSource.js"
import * as Durations from "./Durations.js"
import { retrying } from "./Resilience.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface RedisSourceOptions {
  /** Prefix of every key; segments joined by ":". Default none. */
  readonly namespace?: string | undefined
}

type Structure =
  | { readonly _tag: "string"; readonly value: string }
  | { readonly _tag: "set"; readonly members: ReadonlyArray<string> }
  | { readonly _tag: "hash"; readonly fields: Readonly<Record<string, string>> }

interface RegionLink {
  readonly assetKey: string
  readonly regionId: string
  readonly versionsKey: string
  readonly version: number
  readonly versionKey: string
  readonly fields: Readonly<Record<string, string>>
}

/** The operations the source needs; each is one round trip. */
interface SourceStore {
  readonly backend: Backend
  /** Values of `keys` read as `kind`; `None` for a missing key (or an empty set or hash). */
  readonly read: (
    kind: StructureKind,
    keys: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyArray<Option.Option<unknown>>, BackendError>
  /** Per sorted-set key, its highest member, or all members in score order. */
  readonly versions: (
    keys: ReadonlyArray<string>,
    all: boolean
  ) => Effect.Effect<ReadonlyArray<ReadonlyArray<string>>, BackendError>
  readonly write: (
    key: string,
    structure: Structure,
    ttlMillis: number | undefined
  ) => Effect.Effect<void, BackendError>
  readonly link: (link: RegionLink) => Effect.Effect<void, BackendError>
  readonly remove: (key: string) => Effect.Effect<boolean, BackendError>
}

const isStringRecord = (u: unknown): u is Readonly<Record<string, string>> =>
  Predicate.isRecord(u) && Object.values(u).every(Predicate.isString)

const present = (kind: StructureKind, value: unknown): Option.Option<unknown> => {
  switch (kind) {
    case "string":
      return Option.fromNullable(value)
    case "set":
      return Array.isArray(value) && value.length > 0 ? Option.some(value) : Option.none()
    case "hash":
      return Predicate.isRecord(value) && Object.keys(value).length > 0 ? Option.some(value) : Option.none()
  }
}

/** What Redis answers a command on a key of another type, as a typed failure. */
const wrongType = (backend: Backend, operation: string) =>
  new DataAccessError({
    backend,
    operation,
    reason: "WrongType",
    detail: "WRONGTYPE Operation against a key holding the wrong kind of value"
  })

/** Throws a pipeline's first per-command error, so that `RedisClient.use` classifies it. */
const unwrap = (results: Array<[Error | null, unknown]> | null): ReadonlyArray<unknown> =>
  (results ?? []).map(([error, value]) => {
    if (error) throw error
    return value
  })

/**
 * `WrongType` unless each key is absent or holds the type given with it, read in one pipelined
 * round trip before a command that would not refuse it cleanly.
 */
const ensureTypes = (
  client: RedisClientService,
  operation: string,
  expected: ReadonlyArray<readonly [key: string, type: string]>
): Effect.Effect<void, BackendError> =>
  Effect.flatMap(
    client.use(
      "Redis.pipeline(type)",
      async (redis) => unwrap(await expected.reduce((check, [key]) => check.type(key), redis.pipeline()).exec())
    ),
    (types) =>
      types.every((type, i) => type === "none" || type === expected[i]?.[1])
        ? Effect.void
        : Effect.fail(wrongType(client.backend, operation))
  )

const redisStore = Effect.map(RedisClient, (client): SourceStore => ({
  backend: client.backend,
  read: (kind, keys) =>
    keys.length === 0 ? Effect.succeed([]) : Effect.zipRight(
      // The in-memory stand-in reads a string as a set or hash of its characters instead of
      // answering WRONGTYPE as Redis does: there the types are checked first.
      client.backend === "memory"
        ? ensureTypes(client, `Redis.pipeline(${kind})`, keys.map((key) => [key, kind] as const))
        : Effect.void,
      client.use(`Redis.pipeline(${kind})`, async (redis) => {
        const pipeline = redis.pipeline()
        for (const key of keys) {
          if (kind === "string") pipeline.get(key)
          else if (kind === "set") pipeline.smembers(key)
          else pipeline.hgetall(key)
        }
        return unwrap(await pipeline.exec()).map((value) => present(kind, value))
      })
    ),
  versions: (keys, all) =>
    keys.length === 0 ? Effect.succeed([]) : client.use("Redis.pipeline(zrange)", async (redis) => {
      const pipeline = redis.pipeline()
      for (const key of keys) pipeline.zrange(key, all ? 0 : -1, -1)
      return unwrap(await pipeline.exec()).map((members) =>
        Array.isArray(members) ? members.filter(Predicate.isString) : []
      )
    }),
  write: (key, structure, ttlMillis) =>
    client.use("Redis.multi(write)", async (redis) => {
      const multi = redis.multi().del(key)
      if (structure._tag === "string") multi.set(key, structure.value)
      else if (structure._tag === "set" && structure.members.length > 0) multi.sadd(key, ...structure.members)
      else if (structure._tag === "hash" && Object.keys(structure.fields).length > 0) multi.hset(key, structure.fields)
      if (ttlMillis !== undefined) multi.pexpire(key, ttlMillis)
      unwrap(await multi.exec())
    }),
  link: (link) =>
    // Redis applies the rest of a MULTI when one command meets a key of the wrong type, so the
    // types are checked first: a wrong one fails the call before anything is written.
    Effect.zipRight(
      ensureTypes(client, "Redis.multi(putRegion)", [[link.assetKey, "set"], [link.versionsKey, "zset"]]),
      client.use("Redis.multi(putRegion)", async (redis) => {
        const multi = redis.multi()
          .sadd(link.assetKey, link.regionId)
          .zadd(link.versionsKey, link.version, String(link.version))
          .del(link.versionKey)
          .hset(link.versionKey, link.fields)
        unwrap(await multi.exec())
      })
    ),
  remove: (key) => Effect.map(client.use("Redis.unlink", (redis) => redis.unlink(key)), (n) => n > 0)
}))

type MemoryValue = Structure | { readonly _tag: "zset"; readonly scores: ReadonlyMap<string, number> }

const memoryStore = Effect.sync((): SourceStore => {
  const entries = new Map<string, { readonly value: MemoryValue; readonly expiresAt: number }>()
  const withNow = <A>(f: (now: number) => A) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => f(now)))
  const alive = (key: string, now: number): MemoryValue | undefined => {
    const entry = entries.get(key)
    if (entry !== undefined && entry.expiresAt <= now) entries.delete(key)
    return entry !== undefined && entry.expiresAt > now ? entry.value : undefined
  }
  const typed = <T extends MemoryValue["_tag"]>(operation: string, key: string, tag: T, now: number) => {
    const value = alive(key, now)
    if (value === undefined) return Either.right(undefined)
    return value._tag === tag
      ? Either.right(value as Extract<MemoryValue, { _tag: T }>)
      : Either.left(wrongType("memory", operation))
  }
  const read = (kind: StructureKind, key: string, now: number): Either.Either<Option.Option<unknown>, BackendError> =>
    Either.map(typed(`Memory.read(${kind})`, key, kind, now), (value) => {
      if (value === undefined) return Option.none()
      switch (value._tag) {
        case "string":
          return Option.some(value.value)
        case "set":
          return Option.some(value.members)
        case "hash":
          return Option.some(value.fields)
        default:
          return Option.none()
      }
    })
  const put = (key: string, value: MemoryValue, expiresAt = Infinity) => void entries.set(key, { value, expiresAt })
  return {
    backend: "memory",
    read: (kind, keys) => Effect.flatten(withNow((now) => Either.all(keys.map((key) => read(kind, key, now))))),
    versions: (keys, all) =>
      Effect.flatten(
        withNow((now) =>
          Either.all(keys.map((key) =>
            Either.map(typed("Memory.zrange", key, "zset", now), (zset) => {
              const ordered = zset === undefined
                ? []
                : [...zset.scores].sort(([, a], [, b]) => a - b).map(([member]) => member)
              return all ? ordered : ordered.slice(-1)
            })
          ))
        )
      ),
    write: (key, structure, ttlMillis) =>
      withNow((now) => {
        entries.delete(key)
        const empty = (structure._tag === "set" && structure.members.length === 0) ||
          (structure._tag === "hash" && Object.keys(structure.fields).length === 0)
        if (empty) return
        const value = structure._tag === "set"
          ? { _tag: "set" as const, members: [...new Set(structure.members)] }
          : structure
        put(key, value, ttlMillis === undefined ? Infinity : now + ttlMillis)
      }),
    link: (link) =>
      Effect.flatten(withNow((now) => {
        const members = typed("Memory.sadd", link.assetKey, "set", now)
        const versions = typed("Memory.zadd", link.versionsKey, "zset", now)
        if (Either.isLeft(members)) return members
        if (Either.isLeft(versions)) return versions
        const memberList = members.right?.members ?? []
        // SADD and ZADD keep a key's TTL; the version's hash is deleted and written anew, without.
        const ttlOf = (key: string) => entries.get(key)?.expiresAt
        put(link.assetKey, {
          _tag: "set",
          members: memberList.includes(link.regionId) ? memberList : [...memberList, link.regionId]
        }, ttlOf(link.assetKey))
        const scores = new Map(versions.right?.scores ?? [])
        scores.set(String(link.version), link.version)
        put(link.versionsKey, { _tag: "zset", scores }, ttlOf(link.versionsKey))
        put(link.versionKey, { _tag: "hash", fields: { ...link.fields } })
        return Either.void
      })),
    remove: (key) => withNow((now) => alive(key, now) !== undefined && entries.delete(key))
  }
})

/** Text Redis keeps as it is given: Unicode text (Redis stores UTF-8, a lone surrogate as U+FFFD). */
const isText = (value: unknown): value is string =>
  Predicate.isString(value) && (value as unknown as { isWellFormed(): boolean }).isWellFormed()

const toStructure = (kind: StructureKind, encoded: unknown): Either.Either<Structure, ValidationError> => {
  const strings = kind === "string" ? [encoded] : kind === "set" && Array.isArray(encoded) ?
    encoded :
    kind === "hash" && isStringRecord(encoded)
    ? [...Object.keys(encoded), ...Object.values(encoded)]
    : undefined
  if (strings?.every(Predicate.isString) && !strings.every(isText)) {
    // Two members differing in a lone surrogate were one member on Redis, two in memory.
    return Either.left(
      new ValidationError({ field: "value", detail: "holds a lone surrogate: it is not Unicode text" })
    )
  }
  if (kind === "string" && Predicate.isString(encoded)) return Either.right({ _tag: "string", value: encoded })
  if (kind === "set" && Array.isArray(encoded) && encoded.every(Predicate.isString)) {
    return Either.right({ _tag: "set", members: encoded })
  }
  if (kind === "hash" && isStringRecord(encoded)) return Either.right({ _tag: "hash", fields: encoded })
  return Either.left(new ValidationError({ field: "value", detail: `does not encode to a Redis ${kind}` }))
}

const byRegionThenVersion = (a: Region, b: Region) =>
  a.regionId < b.regionId ? -1 : a.regionId > b.regionId ? 1 : a.version - b.version

const makeWith = (store: SourceStore, options: RedisSourceOptions) =>
  Effect.gen(function*() {
    const namespace = yield* KeyPattern.checkNamespace(options.namespace ?? "")
    const render = (key: Key) => KeyPattern.render(key, { namespace })
    const decodeFailure = (operation: string, detail: string) =>
      new DataAccessError({ backend: store.backend, operation, reason: "Decode", detail })
    const decode = <A, I>(operation: string, schema: Schema.Schema<A, I>) => {
      const decodeValue = Decoder.decodeUnknownEither(schema)
      return (raw: Option.Option<unknown>): Either.Either<Option.Option<A>, DataAccessError> =>
        Option.isNone(raw) ? Either.right(Option.none()) : Either.match(decodeValue(raw.value), {
          onLeft: (error) =>
            Either.left(
              decodeFailure(operation, `the stored value does not match the schema (${ParseIssue.describe(error)})`)
            ),
          onRight: (value) => Either.right(Option.some(value))
        })
    }

    const getMany = <A, I>(
      operation: string,
      keys: ReadonlyArray<Key>,
      kind: StructureKind,
      schema: Schema.Schema<A, I>
    ) =>
      Effect.gen(function*() {
        const rendered = yield* Effect.forEach(keys, (key) => render(key))
        const raw = yield* retrying("redis")(store.read(kind, rendered))
        // A set has no order of its own (Redis answers small integer sets sorted, others as they
        // hash): its members come sorted, the same on every layer.
        const ordered = kind === "set"
          ? raw.map(Option.map((members) => Array.isArray(members) ? [...members].sort() : members))
          : raw
        return yield* Effect.forEach(ordered, decode(operation, schema))
      })

    const assetRegions = (assetId: string, all: boolean) =>
      Effect.gen(function*() {
        const operation = "RedisSource.assetRegions"
        const assetKey = yield* render(KeyPattern.assetRegions({ asset_id: assetId }))
        const [ids] = yield* retrying("redis")(store.read("set", [assetKey]))
        const regionIds = Option.match(ids ?? Option.none(), {
          onNone: () => [],
          onSome: (members) => (Array.isArray(members) ? members.filter(Predicate.isString) : [])
        }).sort()
        const versionKeys = yield* Effect.forEach(regionIds, (regionId) =>
          render(KeyPattern.regionVersions({ region_id: regionId })).pipe(
            Effect.mapError(() => decodeFailure(operation, "a region id in the asset's set is not a valid key part"))
          ))
        const versions = yield* retrying("redis")(store.versions(versionKeys, all))
        const wanted = regionIds.flatMap((regionId, i) =>
          (versions[i] ?? []).map((version) => ({ regionId, version }))
        )
        const hashKeys = yield* Effect.forEach(wanted, ({ regionId, version }) =>
          render(KeyPattern.regionVersion({ region_id: regionId, version })).pipe(
            Effect.mapError(() => decodeFailure(operation, "a region version is not a valid key part"))
          ))
        const hashes = yield* retrying("redis")(store.read("hash", hashKeys))
        const regions = yield* Effect.forEach(hashes, decode(operation, RegionHash))
        const missing = regions.filter(Option.isNone).length
        if (missing > 0) {
          yield* Effect.logWarning(`RedisSource: ${missing} region version(s) listed without their hash; skipped`)
        }
        return regions.flatMap(Option.toArray).sort(byRegionThenVersion)
      })

    const service: RedisSourceService = {
      namespace,
      getByPattern: (key, kind, schema) =>
        getMany("RedisSource.getByPattern", [key], kind, schema).pipe(
          Effect.map((values) =>
            values[0] ?? Option.none()
          ),
          Effect.withSpan("RedisSource.getByPattern", {
            attributes: { "redis.pattern": key.template, "redis.kind": kind }
          })
        ),
      getMany: (keys, kind, schema) =>
        getMany("RedisSource.getMany", keys, kind, schema).pipe(
          Effect.withSpan("RedisSource.getMany", { attributes: { "redis.keys": keys.length, "redis.kind": kind } })
        ),
      setByPattern: (key, kind, schema, value, options) =>
        Effect.gen(function*() {
          const full = yield* render(key)
          const encoded = yield* Schema.encode(schema)(value).pipe(
            Effect.mapError((error) =>
              new ValidationError({ field: "value", detail: `does not encode: ${ParseIssue.describe(error)}` })
            )
          )
          const structure = yield* toStructure(kind, encoded)
          const ttl = options?.ttl === undefined ? undefined : yield* Durations.ttlMillis(options.ttl)
          yield* retrying("redis")(store.write(full, structure, ttl))
        }).pipe(
          Effect.withSpan("RedisSource.setByPattern", {
            attributes: { "redis.pattern": key.template, "redis.kind": kind }
          })
        ),
      deleteByPattern: (key) =>
        Effect.flatMap(render(key), (full) => retrying("redis")(store.remove(full))).pipe(
          Effect.withSpan("RedisSource.deleteByPattern", { attributes: { "redis.pattern": key.template } })
        ),
      assetRegions: (assetId, options) => {
        const all = options?.includeAllVersions === true
        return assetRegions(assetId, all).pipe(
          Effect.withSpan("RedisSource.assetRegions", { attributes: { "redis.includeAllVersions": all } })
        )
      },
      putRegion: (assetId, region) =>
        Effect.gen(function*() {
          const fields = yield* Schema.encode(RegionHash)(region).pipe(
            Effect.mapError((error) =>
              new ValidationError({ field: "region", detail: `does not encode: ${ParseIssue.describe(error)}` })
            )
          )
          if (!Object.values(fields).every(isText)) {
            return yield* new ValidationError({
              field: "region",
              detail: "holds a lone surrogate: it is not Unicode text"
            })
          }
          yield* retrying("redis")(store.link({
            assetKey: yield* render(KeyPattern.assetRegions({ asset_id: assetId })),
            regionId: region.regionId,
            versionsKey: yield* render(KeyPattern.regionVersions({ region_id: region.regionId })),
            version: region.version,
            versionKey: yield* render(
              KeyPattern.regionVersion({ region_id: region.regionId, version: region.version })
            ),
            fields
          }))
        }).pipe(Effect.withSpan("RedisSource.putRegion"))
    }
    return service
  })

/**
 * A source over the `RedisClient` in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: RedisSourceOptions = {}
): Effect.Effect<RedisSourceService, ValidationError, RedisClient> =>
  Effect.flatMap(redisStore, (store) => makeWith(store, options))

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: RedisSourceOptions = {}): Layer.Layer<RedisSource, ValidationError, RedisClient> =>
  Layer.effect(RedisSource, make(options))

/**
 * Reads `REDIS_SOURCE_NAMESPACE` (default none).
 *
 * @since 0.1.0
 * @category constructors
 */
export const redisSourceConfig: Config.Config<RedisSourceOptions> = Config.all({
  namespace: KeyPattern.namespaceConfig("REDIS_SOURCE_NAMESPACE")
})

/**
 * The source over Redis, configured from the environment (`redisSourceConfig`).
 *
 * @since 0.1.0
 * @category layers
 */
export const RedisSourceLive: Layer.Layer<RedisSource, ValidationError | ConfigError.ConfigError, RedisClient> = Layer
  .unwrapEffect(Effect.map(redisSourceConfig, layer))

/**
 * An in-memory source with the same behaviour; expiry is read from `Clock`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeTest = (options: RedisSourceOptions = {}): Effect.Effect<RedisSourceService, ValidationError> =>
  Effect.flatMap(memoryStore, (store) => makeWith(store, options))

/**
 * @since 0.1.0
 * @category layers
 */
export const layerTest = (options: RedisSourceOptions = {}): Layer.Layer<RedisSource, ValidationError> =>
  Layer.effect(RedisSource, makeTest(options))

/**
 * The in-memory source with the default options.
 *
 * @since 0.1.0
 * @category layers
 */
export const RedisSourceTest: Layer.Layer<RedisSource> = Layer.orDie(layerTest())
