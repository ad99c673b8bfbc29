/**
 * The hash-store DAO over the generic repository: `HashStoreLive` on SQL, `HashStoreTest` in
 * memory. Both run the same code; only the `Repositories` underneath differ. `layer(names)` puts
 * a store on tables of other names (several stores in one database, or tests side by side).
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { isUniqueViolation, ValidationError } from "../errors.js"
import { HashLog, hashLogColumns, HashLogInput, LogId, LogQuery, makeLog } from "../schemas/HashLog.js"
import type {
  HashField as HashFieldType,
  HashRecord as HashRecordType,
  HashStoreTables
} from "../schemas/HashRecord.js"
import {
  childPath,
  HashField,
  HashPut,
  HashRecord,
  hashRecordColumns,
  hashStoreTables,
  listingBytes,
  maxListingBytes,
  parentOf,
  Path
} from "../schemas/HashRecord.js"
import type { Filter, ListQueryInput } from "../schemas/Query.js"
import { decode, maxMembers } from "../schemas/Query.js"
import type { AccessPolicy } from "../services/AccessPolicy.js"
import type { HashStoreService } from "../services/HashStore.js"
import { HashStore } from "../services/HashStore.js"
import * as Repository from "../services/Repository.js"
import type { PolicyTables } from "./AccessPolicy.js"
import * as Ids from "./Ids.js"
import { provideLive, provideTest } from "./Repository.js"
import type { SqlBackend } from "./Sql.js"

/**
 * The tables a store on the given table names needs on the access policy.
 *
 * @since 0.1.0
 * @category models
 */
export const tablesFor = (names: HashStoreTables = hashStoreTables): PolicyTables => ({
  [names.records]: hashRecordColumns,
  [names.logs]: hashLogColumns
})

/**
 * The tables this DAO needs on the access policy, under the default names.
 *
 * @since 0.1.0
 * @category models
 */
export const tables: PolicyTables = tablesFor()

/** Records per page when the integrity checks walk the table; each carries its listings. */
const walkPage = 250

const dayMillis = 86_400_000

const decodePath = decode(Path, "path")
const decodeField = decode(HashField, "field")
const decodePut = decode(HashPut, "record")
const decodeLog = decode(HashLogInput, "log")
const decodeLogQuery = decode(LogQuery, "query")
const decodeIds = decode(Schema.Array(LogId).pipe(Schema.maxItems(maxMembers)), "ids")

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (names: HashStoreTables = hashStoreTables) =>
  Effect.gen(function*() {
    const records = yield* Repository.make({ table: names.records, schema: HashRecord, id: "path" })
    const logs = yield* Repository.make({ table: names.logs, schema: HashLog, id: "log_id" })
    const repositories = yield* Repository.Repositories
    const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))
    const onRecords = (name: string) => Effect.withSpan(`HashStore.${name}`, { attributes: { table: names.records } })
    const onLogs = (name: string) => Effect.withSpan(`HashStore.${name}`, { attributes: { table: names.logs } })

    /** The records among `paths`, by path, in `IN (...)` reads of at most `maxMembers` values. */
    const recordsAt = (paths: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const distinct = Array.from(new Set(paths))
        const found = new Map<string, HashRecordType>()
        for (let i = 0; i < distinct.length; i += maxMembers) {
          const values = distinct.slice(i, i + maxMembers)
          const rows = yield* records.list({ filters: [{ field: "path", op: "in", values }] })
          // Compared here once more: a PAD SPACE collation matches `/a ` with `/a`.
          const wanted = new Set(values)
          for (const row of rows) if (wanted.has(row.path)) found.set(row.path, row)
        }
        return found
      })

    /** Every record, a page at a time, each page turned into the paths it yields. */
    const walk = (
      name: string,
      step: (page: ReadonlyArray<HashRecordType>) => Effect.Effect<Array<string>, Repository.RepositoryError>
    ) =>
      records.stream(undefined, walkPage).pipe(
        Stream.rechunk(walkPage),
        Stream.mapChunksEffect((page) => Effect.map(step(Chunk.toReadonlyArray(page)), Chunk.fromIterable)),
        Stream.withSpan(`HashStore.${name}`, { attributes: { table: names.records } })
      )

    const put = (input: unknown) =>
      Effect.gen(function*() {
        const given = yield* decodePut(input)
        return yield* repositories.withTransaction(Effect.gen(function*() {
          // The record is locked to the end of the transaction: concurrent puts of the path wait
          // here, and each computes its history from the one before it.
          const current = Option.getOrUndefined(yield* records.findById(given.path, { forUpdate: true }))
          const at = yield* now
          const target = given.target_hash !== undefined ? given.target_hash : (current?.target_hash ?? null)
          const kept = {
            target_hash: target,
            needs_update: target !== null && target !== given.current_hash,
            dirs: given.dirs ?? current?.dirs ?? [],
            files: given.files ?? current?.files ?? [],
            links: given.links ?? current?.links ?? [],
            session_id: given.session_id !== undefined ? given.session_id : (current?.session_id ?? null)
          }
          // The listings kept and those given, together: the record is written whole.
          const bytes = listingBytes(kept)
          if (bytes > maxListingBytes) {
            return yield* new ValidationError({
              field: "record",
              detail: `its listings would hold ${bytes} bytes (UTF-8 JSON), at most ${maxListingBytes}`
            })
          }
          if (current === undefined) {
            return yield* records.create({
              path: given.path,
              current_hash: given.current_hash,
              current_dtg_first: at,
              current_dtg_latest: at,
              prev_hash: null,
              prev_dtg_latest: null,
              ...kept
            })
          }
          const moved = current.current_hash === given.current_hash
            ? { current_dtg_latest: at }
            : {
              current_hash: given.current_hash,
              current_dtg_first: at,
              current_dtg_latest: at,
              prev_hash: current.current_hash,
              prev_dtg_latest: current.current_dtg_latest
            }
          // The record is locked: nothing can delete it before this write, so NotFound is a bug.
          return yield* Effect.catchTag(records.update(given.path, { ...moved, ...kept }), "NotFound", Effect.die)
        }))
      }).pipe(
        // Two first puts of one path race to insert; the loser runs again and updates instead.
        Effect.retry({ times: 1, while: isUniqueViolation })
      )

    const service: HashStoreService = {
      getRecord: (path) =>
        Effect.gen(function*() {
          const valid = yield* decodePath(path)
          return yield* records.findById(valid)
        }).pipe(onRecords("getRecord")),

      putHash: (input) => put(input).pipe(onRecords("putHash")),

      getField: <F extends HashFieldType>(path: string, field: F) =>
        Effect.gen(function*() {
          yield* decodeField(field)
          const valid = yield* decodePath(path)
          const record = yield* records.findById(valid)
          return Option.flatMap(record, (r) => Option.fromNullable(r[field]))
        }).pipe(onRecords("getField")),

      priorityUpdates: () =>
        records.stream({ filters: [{ field: "needs_update", op: "eq", value: true }], sort: [{ field: "path" }] }).pipe(
          Stream.map((record) => record.path),
          Stream.runCollect,
          Effect.map(Chunk.toReadonlyArray),
          onRecords("priorityUpdates")
        ),

      putLog: (entry) =>
        Effect.gen(function*() {
          const log = yield* decodeLog(entry)
          const at = yield* now
          const created = yield* logs.create(makeLog(log, Ids.timeOrdered(at.getTime()), at))
          return created.log_id
        }).pipe(onLogs("putLog")),

      getLogs: (input) =>
        Effect.gen(function*() {
          const query = yield* decodeLogQuery(input ?? {})
          const at = yield* now
          const filters: Array<Filter> = []
          if (query.sessionId !== undefined) filters.push({ field: "session_id", op: "eq", value: query.sessionId })
          if (query.olderThanDays !== undefined) {
            filters.push({
              field: "logged_at",
              op: "lt",
              value: new Date(at.getTime() - query.olderThanDays * dayMillis)
            })
          }
          const direction = query.direction === "asc" || query.direction === "ASC" ? "asc" as const : "desc" as const
          // The sort key reaches SQL only after the access policy allowed it (AccessDenied otherwise).
          const list: ListQueryInput = { filters, sort: [{ field: query.orderBy, direction }] }
          // An offset window spans at most two pages of `limit` rows.
          const page = Math.floor(query.offset / query.limit) + 1
          const skip = query.offset - (page - 1) * query.limit
          const first = yield* logs.listPage({ page, perPage: query.limit }, list)
          if (skip === 0) return first.items
          if (page >= first.pages) return first.items.slice(skip)
          const second = yield* logs.listPage({ page: page + 1, perPage: query.limit }, list)
          return [...first.items, ...second.items].slice(skip, skip + query.limit)
        }).pipe(onLogs("getLogs")),

      deleteLogs: (input) =>
        Effect.gen(function*() {
          const ids = Array.from(new Set(yield* decodeIds(input)))
          const done = new Set((yield* logs.deleteMany(ids)).map(String))
          return { deleted: done.size, notFound: ids.filter((id) => !done.has(id)) }
        }).pipe(onLogs("deleteLogs")),

      orphans: () =>
        walk("orphans", (page) =>
          Effect.gen(function*() {
            const placed = page.flatMap((record) =>
              Option.toArray(Option.map(parentOf(record.path), (at) => ({ path: record.path, ...at })))
            )
            const parents = yield* recordsAt(placed.map((p) => p.parent))
            return placed.filter(({ name, parent }) => {
              const listing = parents.get(parent)
              return listing !== undefined &&
                !listing.dirs.includes(name) && !listing.files.includes(name) && !listing.links.includes(name)
            }).map((p) => p.path)
          })),

      untrackedChildren: () =>
        walk("untrackedChildren", (page) =>
          Effect.gen(function*() {
            const children = Array.from(
              new Set(page.flatMap((record) => record.dirs.map((name) => childPath(record.path, name))))
            )
            const tracked = yield* recordsAt(children)
            return children.filter((path) => !tracked.has(path))
          }))
    }
    return service
  })

/**
 * The DAO on tables of the given names, over whichever `Repositories` is provided.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (names: HashStoreTables = hashStoreTables) => Layer.effect(HashStore, make(names))

/**
 * On SQL, on tables of the given names. The repositories underneath are built fresh for this
 * layer: two tiers composed in one program over different `SqlClient`s never share them.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerLive = (names: HashStoreTables = hashStoreTables): Layer.Layer<
  HashStore,
  Effect.Effect.Error<ReturnType<typeof make>>,
  AccessPolicy | SqlClient.SqlClient | SqlBackend
> => provideLive(layer(names))

/**
 * In memory, on a store of its own, under the given table names.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerTest = (
  names: HashStoreTables = hashStoreTables
): Layer.Layer<HashStore, Effect.Effect.Error<ReturnType<typeof make>>, AccessPolicy> => provideTest(layer(names))

/**
 * On SQL (tables from `migrations/HashStore`).
 *
 * @since 0.1.0
 * @category layers
 */
export const HashStoreLive: Layer.Layer<
  HashStore,
  Effect.Effect.Error<ReturnType<typeof make>>,
  AccessPolicy | SqlClient.SqlClient | SqlBackend
> = layerLive()

/**
 * In memory, for users' tests.
 *
 * @since 0.1.0
 * @category layers
 */
export const HashStoreTest: Layer.Layer<HashStore, Effect.Effect.Error<ReturnType<typeof make>>, AccessPolicy> =
  layerTest()
