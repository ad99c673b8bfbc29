/**
 * The repository implementations: `RepositoryLive` over `SqlClient` and `RepositoryTest` in
 * memory. Both are a small store (insert, select, count, update, delete, upsert, transaction)
 * under one shared implementation of the contract, so tenant isolation, soft delete, audit
 * fields, validation, cursors and batching behave the same on both.
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"
import * as Stream from "effect/Stream"
import type { Backend, BackendError } from "../errors.js"
import { AccessDenied, DataAccessError, NotFound, ValidationError } from "../errors.js"
import * as Cursor from "../schemas/Cursor.js"
import * as Decoder from "../schemas/Decoder.js"
import * as ParseIssue from "../schemas/ParseIssue.js"
import type { CursorPage, Filter, ListQueryInput, Sort } from "../schemas/Query.js"
import * as Query from "../schemas/Query.js"
import { AccessPolicy } from "../services/AccessPolicy.js"
import type {
  AuditColumns,
  Id,
  ReadOptions,
  RepositoriesService,
  Repository,
  RepositoryConfig
} from "../services/Repository.js"
import { CurrentActor, Repositories } from "../services/Repository.js"
import * as Batcher from "./Batcher.js"
import * as ColumnKinds from "./ColumnKinds.js"
import * as Copy from "./Copy.js"
import type { Row, Where } from "./Query.js"
import {
  comparator,
  copyValue,
  mapScalars,
  onDateColumn,
  unstorableText,
  unstorableValue,
  wherePredicate
} from "./Query.js"
import { transaction } from "./Resilience.js"
import { run, SqlBackend } from "./Sql.js"
import * as Statements from "./Statements.js"
import { requireTenant } from "./Tenancy.js"
import { leafSpan } from "./Tracing.js"

// ---------------------------------------------------------------------------------------------
// The store each implementation provides
// ---------------------------------------------------------------------------------------------

/**
 * What one table needs from a backend. Names have passed the access policy; values are encoded
 * rows.
 *
 * @since 0.1.0
 * @category models
 */
export interface Store {
  readonly backend: Backend
  /** Most bound parameters per statement. */
  readonly maxParams: number
  /** About the most bytes of values per multi-row statement. */
  readonly maxStatementBytes: number
  /** Statements may be issued while the previous one on the connection runs (they queue). */
  readonly queuesStatements: boolean
  readonly insert: (rows: ReadonlyArray<Row>) => Effect.Effect<void, BackendError>
  /**
   * Inserts one row and answers it as stored, where the backend can say so in the same statement
   * (`RETURNING` on PostgreSQL and MariaDB, the memory store's own row); `None` elsewhere, where
   * the caller reads it back.
   */
  readonly insertReturning: (row: Row) => Effect.Effect<Option.Option<Row>, BackendError>
  readonly upsert: (
    row: Row,
    on: ReadonlyArray<string>,
    updates: ReadonlyArray<string>
  ) => Effect.Effect<void, BackendError>
  /**
   * With `forUpdate`, a locking read that locks only the rows it finds (by primary key where the
   * dialect would lock gaps too): called only inside a transaction.
   */
  readonly select: (
    where: Where,
    sort: ReadonlyArray<Sort>,
    window?: Statements.Window,
    forUpdate?: boolean
  ) => Effect.Effect<ReadonlyArray<Row>, BackendError>
  /** The rows matching `where`, and of them those whose `exact` column equals its value exactly. */
  readonly count: (
    where: Where,
    exact?: Statements.ExactMatch
  ) => Effect.Effect<{ readonly total: number; readonly exact: number }, BackendError>
  readonly update: (set: Row, where: Where) => Effect.Effect<void, BackendError>
  /**
   * Updates the one row `where` selects and answers it as stored, where the backend can say so in
   * the same statement (`RETURNING` on PostgreSQL, the memory store's own row); `None` elsewhere.
   */
  readonly updateReturning: (set: Row, where: Where) => Effect.Effect<Option.Option<Row>, BackendError>
  readonly remove: (where: Where) => Effect.Effect<void, BackendError>
  readonly estimate: Effect.Effect<Option.Option<number>, BackendError>
  /**
   * Loads rows in one bulk statement (PostgreSQL's `COPY ... FROM STDIN`) on a connection of its
   * own, outside any transaction; answers the rows loaded. Absent where the backend has none.
   */
  readonly copy?:
    | (<E>(rows: Stream.Stream<ReadonlyArray<Row>, E>) => Effect.Effect<number, E | BackendError>)
    | undefined
}

/**
 * A store per table, and transactions across them.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stores {
  readonly backend: Backend
  readonly store: (
    table: string,
    columns: ReadonlyArray<string>,
    unique: ReadonlyArray<ReadonlyArray<string>>
  ) => Store
  readonly transaction: <X, E, R>(effect: Effect.Effect<X, E, R>) => Effect.Effect<X, E | BackendError, R>
  /**
   * Whether the current fiber runs inside a transaction. Its point reads are then not shared with
   * other fibers: they must see the transaction's own writes and nothing may run on its connection
   * from outside.
   */
  readonly inTransaction: Effect.Effect<boolean>
}

// ---------------------------------------------------------------------------------------------
// The shared implementation
// ---------------------------------------------------------------------------------------------

/**
 * Resumes after the event loop's pending work (`setImmediate`), not through `Clock`: a statement
 * forked just before has then been compiled and sent.
 */
const nextMacrotask: Effect.Effect<void> = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

/** Below this the planner's estimate is not worth its imprecision. */
const estimateThreshold = 10_000

/**
 * Records encoded and written to a bulk load at a time: about 45 KB of text for 8 columns. Larger
 * chunks keep more of themselves alive across young-generation collections, which then cost more.
 */
const copyChunkRows = 500

const auditColumns = (audit: RepositoryConfig<unknown, unknown>["audit"]): AuditColumns =>
  audit === true
    ? { createdAt: "created_at", updatedAt: "updated_at", createdBy: "created_by", updatedBy: "updated_by" }
    : audit ?? {}

interface FindById {
  readonly id: Id
  readonly tenant: string | null
  readonly includeDeleted: boolean
}

/** A failure that a value of the statement caused (the server would not take it), not the backend. */
const refusesValue = (error: BackendError | AccessDenied): boolean =>
  error._tag === "DataAccessError" && error.reason === "InvalidValue"

/** The rows a keyset walk reads: tenant, filters, a total order (the primary key last), a page size. */
interface KeysetScan {
  readonly tenant: string | null
  readonly where: Where
  readonly sort: ReadonlyArray<Sort>
  readonly limit: number
  /** The positions in `sort` of date fields, whose positions are taken from their text (`Window.exact`). */
  readonly exact: ReadonlyArray<number>
}

/** One page of a keyset walk, and the position after it when more rows follow. */
interface KeysetPage<A> {
  readonly items: Array<A>
  readonly next: ReadonlyArray<Cursor.CursorValue> | undefined
}

const cursorValue = (value: unknown): Cursor.CursorValue => {
  if (value === null || value === undefined) return null
  if (value instanceof Date || typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return value
  }
  return String(value)
}

/**
 * The fields whose stored values are dates: on the schema's encoded side they take a `Date` and
 * refuse a date string (`DateFromSelf`, nullable or optional or not).
 */
const dateFieldsOf = <A, I>(schema: Schema.Schema<A, I>): ReadonlySet<string> => {
  const encoded = AST.encodedAST(schema.ast)
  const fields = new Set<string>()
  if (!AST.isTypeLiteral(encoded)) return fields
  for (const signature of encoded.propertySignatures) {
    const accepts = Schema.is(Schema.make(signature.type))
    if (accepts(new Date(0)) && !accepts("1970-01-01T00:00:00.000Z")) fields.add(String(signature.name))
  }
  return fields
}

/**
 * The fields a schema may leave out but whose values take no `null` (`Schema.optional(X)`): a
 * column holds NULL for what was left out, which is read back as the field left out. Read as a
 * value, a record created without such a field (a managed `deleted_at`, say) was written, and
 * then failed to decode on every backend.
 */
const absentWhenNullOf = <A, I>(schema: Schema.Schema<A, I>): ReadonlyArray<string> => {
  const encoded = AST.encodedAST(schema.ast)
  if (!AST.isTypeLiteral(encoded)) return []
  return encoded.propertySignatures.flatMap((signature) =>
    signature.isOptional && !Schema.is(Schema.make(signature.type))(null) ? [String(signature.name)] : []
  )
}

/** What an untyped argument is, for a message: its type, never its value. */
const describeType = (value: unknown): string =>
  value === null || value === undefined
    ? String(value)
    : Array.isArray(value)
    ? "an array"
    : typeof value === "object"
    ? "an object"
    : `a ${typeof value}`

/**
 * The `CurrentActor` written to the audit columns, checked as any written text is (`unstorableText`):
 * a NUL failed the INSERT on PostgreSQL and a lone surrogate was stored as U+FFFD on the servers,
 * and an actor that is no string, from untyped code, was text on the servers and failed every read
 * of the row in memory.
 */
const currentActor: Effect.Effect<string | null, ValidationError> = Effect.flatMap(
  Effect.serviceOption(CurrentActor),
  (actor) => {
    const given: unknown = Option.getOrNull(actor)
    if (given === null || given === undefined) return Effect.succeed(null)
    if (typeof given !== "string") {
      return Effect.fail(new ValidationError({ field: "actor", detail: `${describeType(given)}, not a string` }))
    }
    const why = unstorableText(given)
    return why === undefined ? Effect.succeed(given) : Effect.fail(new ValidationError({ field: "actor", detail: why }))
  }
)

/** What a filter value or an id is, as far as a column's type can tell it apart. */
type Kind = "string" | "number" | "boolean" | "date"

const kindOfValue = (value: unknown): Kind | undefined => {
  if (value instanceof Date) return "date"
  switch (typeof value) {
    case "string":
      return "string"
    case "number":
    case "bigint":
      return "number"
    case "boolean":
      return "boolean"
    default:
      return undefined
  }
}

/** The kinds of value a type on a schema's encoded side takes; `undefined` when it could be any. */
const kindsOfType = (ast: AST.AST): ReadonlySet<Kind> | undefined => {
  switch (ast._tag) {
    case "StringKeyword":
    case "TemplateLiteral":
      return new Set(["string"])
    case "NumberKeyword":
    case "BigIntKeyword":
      return new Set(["number"])
    case "BooleanKeyword":
      return new Set(["boolean"])
    case "Literal":
      return ast.literal === null ? new Set() : new Set([kindOfValue(ast.literal)!])
    case "Enums":
      return new Set(ast.enums.map(([, value]) => kindOfValue(value)!))
    case "UndefinedKeyword":
    case "VoidKeyword":
      return new Set()
    case "Refinement":
      return kindsOfType(ast.from)
    case "Union": {
      const kinds = new Set<Kind>()
      for (const member of ast.types) {
        const of = kindsOfType(member)
        if (of === undefined) return undefined
        of.forEach((kind) => kinds.add(kind))
      }
      return kinds
    }
    case "Declaration": {
      const accepts = Schema.is(Schema.make(ast))
      return accepts(new Date(0)) && !accepts("1970-01-01T00:00:00.000Z") ? new Set(["date"]) : undefined
    }
    default:
      return undefined
  }
}

/**
 * The kinds of value each field's column holds, for the fields whose type tells (strings, numbers,
 * booleans, dates, their literals, unions and refinements). A filter value or an id of another
 * kind is refused before any statement: MySQL/MariaDB compare `'xyz'` with an integer column as
 * 0 and `'true'` with a boolean one as false, PostgreSQL fails on the server, the memory store
 * matches nothing, and `delete("xyz")` on MariaDB deleted the row of id 0.
 */
const fieldKindsOf = <A, I>(schema: Schema.Schema<A, I>): ReadonlyMap<string, ReadonlySet<Kind>> => {
  const encoded = AST.encodedAST(schema.ast)
  const fields = new Map<string, ReadonlySet<Kind>>()
  if (!AST.isTypeLiteral(encoded)) return fields
  for (const signature of encoded.propertySignatures) {
    const kinds = kindsOfType(signature.type)
    if (kinds !== undefined) fields.set(String(signature.name), kinds)
  }
  return fields
}

const isNames = (value: unknown): boolean => Array.isArray(value) && value.every((name) => typeof name === "string")

/**
 * What is wrong with a configuration from untyped code (JSON, a cast), if anything: read as
 * one, `unique: ["email"]` (a key, not a list of keys) died on `key.map`, and so did a `null`
 * configuration, table or schema.
 */
const unfitConfig = (config: unknown): string | undefined => {
  if (typeof config !== "object" || config === null) return `expected an object, got ${describeType(config)}`
  const { id, schema, softDelete, table, tenant, unique } = config as Record<string, unknown>
  if (typeof table !== "string") return `table: expected a string, got ${describeType(table)}`
  // A schema is a function (a class), with its fields as a property.
  if (typeof schema !== "function" || typeof (schema as { fields?: unknown }).fields !== "object") {
    return "schema: expected a Schema.Struct (a schema with fields)"
  }
  if (typeof id !== "string") return `id: expected a field name, got ${describeType(id)}`
  for (const [name, value] of [["tenant", tenant], ["softDelete", softDelete]] as const) {
    if (value !== undefined && typeof value !== "string") {
      return `${name}: expected a field name, got ${describeType(value)}`
    }
  }
  if (unique !== undefined && !(Array.isArray(unique) && unique.every(isNames))) {
    return "unique: expected a list of keys, each a list of field names ([[\"email\"]])"
  }
  return undefined
}

/** Whether two key values are the same where both are text: exactly, whatever a collation would match. */
const sameText = (a: unknown, b: unknown): boolean => typeof a !== "string" || typeof b !== "string" || a === b

/** Whether two encoded values are the same: dates by instant, bytes by content, JSON by its text. */
const sameEncoded = (a: unknown, b: unknown): boolean => {
  if (Object.is(a, b)) return true
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime()
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((byte, i) => byte === b[i])
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  try {
    return JSON.stringify(a) === JSON.stringify(b)
  } catch {
    return false
  }
}

/** A part of a unique key as the memory store compares it: a date to the millisecond, as SQL does. */
const keyPart = (value: unknown): string => value instanceof Date ? `date:${value.getTime()}` : String(value)

/**
 * A repository over a store: the one implementation of the contract.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeRepository = <A, I>(
  stores: Stores,
  config: RepositoryConfig<A, I>
): Effect.Effect<Repository<A>, AccessDenied | ValidationError, AccessPolicy> =>
  Effect.gen(function*() {
    const unfit = unfitConfig(config)
    if (unfit !== undefined) return yield* new ValidationError({ field: "config", detail: unfit })
    const policy = yield* AccessPolicy
    const table = config.table
    const columns = Object.keys(config.schema.fields)
    const audit = auditColumns(config.audit as RepositoryConfig<unknown, unknown>["audit"])
    const managed = [
      config.tenant,
      config.softDelete,
      audit.createdAt,
      audit.updatedAt,
      audit.createdBy,
      audit.updatedBy
    ]
      .filter((c): c is string => c !== undefined)
    const unique = [[config.id as string], ...(config.unique ?? []).map((key) => key.map(String))]
    yield* policy.table(table)
    yield* policy.columns(table, columns)
    const missing = [config.id, ...managed, ...unique.flat()].find((c) => !columns.includes(c))
    if (missing !== undefined) {
      return yield* Effect.fail(
        new ValidationError({ field: "schema", detail: `${table} has no field ${missing} in its schema` })
      )
    }
    const store = stores.store(table, columns, unique)
    const idColumn = config.id as string
    const tiebreak: Sort = { field: idColumn, direction: "asc", nulls: "last" }
    // No stack trace per span: capturing one costs more than a batched point read itself.
    const span = (name: string) =>
      Effect.withSpan(`Repository.${name}`, { attributes: { table }, captureStackTrace: false })

    // Rows are decoded and encoded synchronously (an `Either` per row, not an effect): on reads of
    // many rows and on `createMany` the effect per row cost more than the codec itself.
    const decodeValues = Decoder.decodeUnknownEither(config.schema)
    const absentWhenNull = absentWhenNullOf(config.schema)
    const decodeRow = absentWhenNull.length === 0 ? decodeValues : (row: Row) => {
      if (!absentWhenNull.some((field) => row[field] === null)) return decodeValues(row)
      const present: Record<string, unknown> = { ...row }
      for (const field of absentWhenNull) if (present[field] === null) delete present[field]
      return decodeValues(present)
    }
    const dateFields = dateFieldsOf(config.schema)
    const fieldKinds = fieldKindsOf(config.schema)

    /**
     * `value` as compared with `field`'s column: refused when the column holds another kind of
     * value, and when it is no finite number (NaN equals nothing; MariaDB read it as 0).
     */
    const fits = <V>(field: string, value: V, what: string): Either.Either<V, ValidationError> => {
      const unfit = typeof value === "number" && !Number.isFinite(value)
        ? "is not a finite number"
        : unstorableValue(value)
      if (unfit !== undefined) return Either.left(new ValidationError({ field: what, detail: `${field}: ${unfit}` }))
      const kinds = fieldKinds.get(field)
      const kind = kindOfValue(value)
      // A date against text stays allowed: `Schema.Date` fields are text on the encoded side.
      if (kinds === undefined || kind === undefined || kinds.has(kind) || (kind === "date" && kinds.has("string"))) {
        return Either.right(value)
      }
      const holds = kinds.size === 0 ? "only NULL" : `${[...kinds].join(" or ")} values`
      return Either.left(
        new ValidationError({ field: what, detail: `${field}: a ${kind}, where the column holds ${holds}` })
      )
    }
    /**
     * A list argument from untyped code (JSON, `as any`) that is no array fails here, typed: read
     * as one, `null` died and a string was taken for its characters.
     */
    const listOf = <V>(value: ReadonlyArray<V>, field: string): Either.Either<ReadonlyArray<V>, ValidationError> =>
      Array.isArray(value)
        ? Either.right(value)
        : Either.left(new ValidationError({ field, detail: `${table}: expected an array, got ${describeType(value)}` }))
    /** An id, checked as a value of the key column; one of no id's type (`undefined` from untyped code) first. */
    const checkId = (id: Id): Either.Either<Id, ValidationError> =>
      typeof id === "string" || typeof id === "number"
        ? fits(idColumn, id, "id")
        : Either.left(
          new ValidationError({ field: "id", detail: `${idColumn}: a ${typeof id}, not a string or number` })
        )
    const decodeFailure = (error: ParseResult.ParseError) =>
      new DataAccessError({
        backend: stores.backend,
        operation: `Repository decode`,
        reason: "Decode",
        table,
        detail: ParseIssue.describe(error)
      })
    const decode = (row: Row): Either.Either<A, DataAccessError> => Either.mapLeft(decodeRow(row), decodeFailure)
    /**
     * Decodes the first `count` rows of a read (all by default), then empties the read's array. The
     * array belongs to the repository, and the spans, scopes and fibers that carried the statement's
     * result can still hold it after the statement: on a streamed export, raw pages held that way
     * were promoted to V8's old generation, which only a full collection empties.
     */
    const decodeAll = (
      rows: ReadonlyArray<Row>,
      count: number = rows.length
    ): Effect.Effect<Array<A>, DataAccessError> =>
      Effect.suspend(() => {
        const size = Math.min(count, rows.length)
        const decoded: Array<A> = new Array(size)
        for (let i = 0; i < size; i++) {
          const one = decode(rows[i] as Row)
          if (Either.isLeft(one)) return Effect.fail(one.left)
          decoded[i] = one.right
        }
        ;(rows as Array<Row>).length = 0
        return Effect.succeed(decoded)
      })
    const encodeRecord = Decoder.encodeUnknownEither(config.schema)
    // PostgreSQL's floating-point columns (and the memory store) hold NaN and the infinities;
    // MySQL/MariaDB stored 0 for them, and SQL Server's FLOAT has none.
    const finiteOnly = stores.backend === "mysql" || stores.backend === "mariadb" || stores.backend === "mssql"
    // An upsert there updates the row that clashes on any unique key, not only on its `on` key.
    const firesOnAnyKey = stores.backend === "mysql" || stores.backend === "mariadb"
    /**
     * The record through its schema: a fresh object of its encoded fields. No closures per record:
     * on bulk paths their creation showed in profiles.
     */
    const encodeFields = (record: A): Either.Either<Record<string, unknown>, ValidationError> => {
      const encoded = encodeRecord(record)
      if (Either.isLeft(encoded)) {
        return Either.left(new ValidationError({ field: table, detail: ParseIssue.describe(encoded.left) }))
      }
      const fields = encoded.right as Record<string, unknown>
      for (const field in fields) {
        const value = fields[field]
        const unfit = finiteOnly && typeof value === "number" && !Number.isFinite(value)
          ? `is not a finite number, which ${stores.backend} cannot store`
          : unstorableValue(value)
        if (unfit !== undefined) return Either.left(new ValidationError({ field, detail: unfit }))
      }
      return Either.right(fields)
    }
    /** Every column once, NULL where the record has none: `sql.insert` takes its columns from the first row. */
    const complete = (fields: Record<string, unknown>): Record<string, unknown> => {
      const row: Record<string, unknown> = {}
      for (const c of columns) row[c] = fields[c] ?? null
      return row
    }
    /**
     * A bulk load reads rows by column name (an absent value is NULL), so the schema's output serves
     * as it is: copied only when managed columns are to be set on it.
     */
    const loadable = managed.length === 0
      ? (fields: Record<string, unknown>) => fields
      : (fields: Record<string, unknown>) => ({ ...fields })
    const encode = (record: A): Either.Either<Record<string, unknown>, ValidationError> => {
      const fields = encodeFields(record)
      return Either.isLeft(fields) ? fields : Either.right(complete(fields.right))
    }

    const currentTenant: Effect.Effect<string | null, AccessDenied | ValidationError> = config.tenant === undefined
      ? Effect.succeed(null)
      : requireTenant(table)

    const scope = (tenant: string | null, includeDeleted: boolean): Array<Filter> => [
      ...(config.tenant !== undefined && tenant !== null
        ? [{ field: config.tenant, op: "eq" as const, value: tenant }]
        : []),
      ...(config.softDelete !== undefined && !includeDeleted
        ? [{ field: config.softDelete, op: "isNull" as const }]
        : [])
    ]

    // Read (and checked) only where it is written.
    const actor = audit.createdBy !== undefined || audit.updatedBy !== undefined ? currentActor : Effect.succeed(null)
    const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))

    const mismatch = (detail: string) => new AccessDenied({ reason: "TenantMismatch", table, detail })

    /** Who, when and for which tenant records are created: read once per create call. */
    const creation = Effect.all({ tenant: currentTenant, at: now, by: actor })

    /**
     * The row as it will be written by a create: tenant checked and set, audit filled. `shape`
     * makes the schema's output a row: every column for an INSERT, as it is for a bulk load.
     */
    const fill = (
      record: A,
      { at, by, tenant }: Effect.Effect.Success<typeof creation>,
      shape: (fields: Record<string, unknown>) => Record<string, unknown> = complete
    ): Either.Either<Row, ValidationError | AccessDenied> => {
      const fields = encodeFields(record)
      if (Either.isLeft(fields)) return fields
      const row = shape(fields.right)
      if (config.tenant !== undefined) {
        const given = row[config.tenant] ?? null
        if (given !== null && given !== tenant) return Either.left(mismatch("record belongs to another tenant"))
        row[config.tenant] = tenant
      }
      if (audit.createdAt) row[audit.createdAt] = at
      if (audit.updatedAt) row[audit.updatedAt] = at
      if (audit.createdBy) row[audit.createdBy] = by
      if (audit.updatedBy) row[audit.updatedBy] = by
      if (config.softDelete) row[config.softDelete] = null
      return Either.right(row as Row)
    }

    const prepare = (record: A) => Effect.flatMap(creation, (context) => fill(record, context))

    const fillAll = (
      records: ReadonlyArray<A>,
      context: Effect.Effect.Success<typeof creation>,
      shape: (fields: Record<string, unknown>) => Record<string, unknown> = complete
    ) =>
      Effect.suspend(() => {
        const rows: Array<Row> = []
        for (const record of records) {
          const row = fill(record, context, shape)
          if (Either.isLeft(row)) return Effect.fail(row.left)
          rows.push(row.right)
        }
        return Effect.succeed(rows)
      })

    /**
     * Inserts the chunks, encoding each next chunk while the previous one is with the database.
     * Where the driver queues statements on a connection, the next INSERT is also compiled and
     * queued behind the running one, so the connection never waits for the client; the
     * statements still run one after the other, on the transaction's connection.
     */
    const insertChunks = (
      chunks: ReadonlyArray<ReadonlyArray<A>>,
      context: Effect.Effect.Success<typeof creation>
    ) =>
      Effect.gen(function*() {
        const depth = store.queuesStatements ? 2 : 1
        const outstanding: Array<Fiber.RuntimeFiber<void, BackendError>> = []
        for (const records of chunks) {
          const rows = yield* fillAll(records, context)
          for (const part of Statements.splitBySize(rows, store.maxStatementBytes)) {
            while (outstanding.length >= depth) yield* Fiber.join(outstanding.shift()!)
            outstanding.push(yield* Effect.fork(store.insert(part)))
            // Let the insert compile and go out before the next chunk is encoded.
            yield* nextMacrotask
          }
        }
        for (const fiber of outstanding) yield* Fiber.join(fiber)
      })

    /** Inserts every record in chunks under the parameter and size limits, in one transaction; answers the count. */
    const insertAll = (records: ReadonlyArray<A>, context: Effect.Effect.Success<typeof creation>) =>
      stores.transaction(insertChunks(Statements.chunk(records, columns.length, store.maxParams), context)).pipe(
        Effect.as(records.length)
      )

    const idFilter = (id: Id): Filter => ({ field: idColumn, op: "eq", value: id })

    /** Rows in a soft-delete state: live ones, or deleted ones. */
    const visibility = (deleted: boolean): Array<Filter> =>
      config.softDelete === undefined ? [] : [{ field: config.softDelete, op: deleted ? "isNotNull" : "isNull" }]

    /** Rows read to be changed belong to the tenant, or the change is refused. */
    const owned = (rows: ReadonlyArray<Row>, tenant: string | null): Effect.Effect<void, AccessDenied> =>
      config.tenant !== undefined && rows.some((row) => row[config.tenant as string] !== tenant)
        ? Effect.fail(mismatch("the row belongs to another tenant"))
        : Effect.void

    /**
     * The row to change, locked until the caller's transaction ends: `NotFound` if absent,
     * `AccessDenied` if it is another tenant's.
     */
    const locate = (id: Id, deleted: boolean | "either") =>
      Effect.gen(function*() {
        yield* checkId(id)
        const tenant = yield* currentTenant
        const where: Where = { filters: [idFilter(id), ...(deleted === "either" ? [] : visibility(deleted))] }
        const [row] = yield* store.select(where, [tiebreak], { limit: 1 }, true)
        // Compared once more: a PAD SPACE or case-insensitive collation (MySQL/MariaDB, SQL Server)
        // matched `p1 ` and `P1` with `p1`, and the write went to that row.
        if (row === undefined || String(row[idColumn]) !== String(id)) {
          return yield* Effect.fail(new NotFound({ table, id: String(id) }))
        }
        yield* owned([row], tenant)
        return { row, tenant }
      })

    const exactly = (tenant: string | null, id: Id): Where => ({ filters: [idFilter(id), ...scope(tenant, true)] })

    /**
     * A record just written, as a later read decodes it (a column's precision and rounding): the
     * row as stored where the schema reads it back, else as written. The write has happened by
     * then, and a schema that encodes what it cannot decode (`parseJson` over a JSON column the
     * driver answers as an object) must not turn it into a failure.
     */
    const storedOr = (stored: Option.Option<Row>, written: Row): Either.Either<A, DataAccessError> =>
      Option.match(Option.flatMap(stored, (row) => Either.getRight(decodeRow(row))), {
        onNone: () => decode(written),
        onSome: Either.right
      })

    /** A row just written, as stored, read by its primary key (`None` if it is gone already). */
    const readBack = (row: Row): Effect.Effect<Option.Option<Row>, BackendError> => {
      const id = row[idColumn]
      if (id === null || id === undefined) return Effect.succeedNone
      return Effect.map(
        store.select({ filters: [{ field: idColumn, op: "eq", value: id as Query.Scalar }] }, [tiebreak], { limit: 1 }),
        (rows) => Option.fromNullable(rows[0])
      )
    }

    /**
     * Deletes the rows `where` selects, as `delete` does: soft when configured, and then a change
     * like any other, stamped in the audit columns (`updated_at` is the deletion's instant).
     */
    const removeWhere = (where: Where) =>
      Effect.gen(function*() {
        if (config.softDelete === undefined) return yield* store.remove(where)
        const at = yield* now
        const set: Record<string, unknown> = { [config.softDelete]: at }
        if (audit.updatedAt) set[audit.updatedAt] = at
        if (audit.updatedBy) set[audit.updatedBy] = yield* actor
        yield* store.update(set, where)
      })

    /** A locking read must run inside a transaction, where its locks last until the end. */
    const lockable = (options: ReadOptions | undefined): Effect.Effect<boolean, ValidationError> =>
      options?.forUpdate !== true ? Effect.succeed(false) : Effect.filterOrFail(
        stores.inTransaction,
        (inTransaction) => inTransaction,
        () =>
          new ValidationError({
            field: "forUpdate",
            detail: `a locking read of ${table} outside a transaction would hold no lock: run it inside withTransaction`
          })
      )

    const listQuery = (input: unknown) =>
      Effect.gen(function*() {
        const decoded = yield* Query.decode(Query.ListQuery, "query")(input ?? {})
        yield* policy.filters(table, decoded.filters)
        yield* policy.sort(table, decoded.sort)
        const query = { ...decoded, filters: yield* Effect.forEach(decoded.filters, typed) }
        const tenant = yield* currentTenant
        return { query, tenant, where: { filters: [...scope(tenant, query.includeDeleted), ...query.filters] } }
      })

    /**
     * A filter with its values checked against the column's kind (`fits`), and on a date column its
     * date strings turned into dates (`onDateColumn`): MariaDB would read
     * `2024-01-01T05:00:00+05:00` as 05:00 in the session's zone, dropping the offset, and a
     * string that is no date would fail on the server (or match nothing) instead of here.
     */
    const typed = (filter: Filter): Either.Either<Filter, ValidationError> =>
      Either.flatMap(
        dateFields.has(filter.field) ? onDateColumn(filter) : Either.right(filter),
        (checked) => mapScalars(checked, (value) => fits(checked.field, value, "filters"))
      )

    /**
     * Reads confined to a tenant, checked once more on the rows themselves: a tenant column whose
     * collation ignores case or trailing spaces (MariaDB's defaults) would let `ACME` rows answer
     * for `acme`. Such a result fails rather than leaks.
     */
    const confined =
      (tenant: string | null) => (rows: ReadonlyArray<Row>): Effect.Effect<ReadonlyArray<Row>, AccessDenied> =>
        config.tenant === undefined || tenant === null || rows.every((row) => row[config.tenant as string] === tenant)
          ? Effect.succeed(rows)
          : Effect.fail(mismatch("the backend matched another tenant's rows: the tenant column must compare exactly"))

    /**
     * The rows of a tenant's read counted, checked as `confined` checks rows: a count that the
     * tenant column matched loosely (`ACME` rows for `acme`) fails rather than tells of them.
     */
    const countFor = (tenant: string | null, where: Where): Effect.Effect<number, BackendError | AccessDenied> =>
      Effect.flatMap(
        store.count(
          where,
          config.tenant === undefined || tenant === null ? undefined : { column: config.tenant, value: tenant }
        ),
        ({ exact, total }) =>
          exact === total
            ? Effect.succeed(total)
            : Effect.fail(mismatch("the backend counted another tenant's rows: the tenant column must compare exactly"))
      )

    const withTiebreak = (sort: ReadonlyArray<Sort>): ReadonlyArray<Sort> =>
      sort.some((s) => s.field === idColumn) ? sort : [...sort, tiebreak]

    /** The rows of point reads of one tenant and visibility, by one `IN (...)` query (locking with `forUpdate`). */
    const readMany = (group: ReadonlyArray<FindById>, forUpdate: boolean = false) => {
      const first = group[0] as FindById
      const ids = Array.from(new Set(group.map((r) => r.id)))
      return store.select(
        { filters: [{ field: idColumn, op: "in", values: ids }, ...scope(first.tenant, first.includeDeleted)] },
        [tiebreak],
        {},
        forUpdate
      ).pipe(
        Effect.flatMap(confined(first.tenant)),
        Effect.map((rows) => {
          const byId = new Map(rows.map((row) => [String(row[idColumn]), row]))
          // Callers of one id share a row: each after the first gets a copy, so that one changing a
          // `Date` it got back does not change another's.
          const handed = new Set<string>()
          return group.map((request) => {
            const key = String(request.id)
            const row = byId.get(key)
            if (row === undefined) return Option.none()
            if (!handed.has(key)) {
              handed.add(key)
              return Option.some(row)
            }
            return Option.some(copyRow(row))
          })
        }),
        Effect.withSpan("Repository.findById.batch", { attributes: { table }, captureStackTrace: false })
      )
    }

    /**
     * Concurrent point reads, from any fibers, share one `IN (...)` query per tenant and
     * visibility. Two queries are kept in flight once each has 16 keys, on two connections: the
     * server answers one while the callers of the other come back (bench/RESULTS.md).
     */
    const pointReads = Batcher.make({
      // Visibility, then the tenant after a ":" (none for no tenant): one string per pair.
      group: (request: FindById) =>
        request.tenant === null
          ? (request.includeDeleted ? "1" : "0")
          : `${request.includeDeleted ? "1" : "0"}:${request.tenant}`,
      maxBatchSize: Query.maxMembers,
      overlap: 16,
      // An id the server refuses (PostgreSQL's `integer` key takes no `1.5` and no `2 ** 40`, a
      // `uuid` key no other text) fails only its own read, not the reads batched with it.
      isolate: refusesValue,
      execute: readMany
    })

    /** A point read's row, decoded: a plain function, applied as the caller resumes from its batch. */
    const decodeFound = (row: Option.Option<Row>): Either.Either<Option.Option<A>, DataAccessError> =>
      Option.isSome(row) ? Either.map(decode(row.value), Option.some) : Either.right(Option.none())

    /**
     * Inside a transaction a point read runs on the transaction's own connection, alone, in a
     * span that parents its statement's. Outside, it joins a batch whose query runs in the
     * batch's fiber, so its span is a leaf (`leafSpan`: no context copy per call). A chain, not a
     * generator: this is the hottest path of the repository.
     */
    const findById: Repository<A>["findById"] = (id, options) => {
      // Checked before the batch: a bad id would otherwise fail every read batched with it.
      const checked = checkId(id)
      if (Either.isLeft(checked)) return Effect.fail(checked.left)
      return Effect.flatMap(stores.inTransaction, (inTransaction) => {
        const read = (request: FindById): Effect.Effect<Option.Option<A>, BackendError | AccessDenied> =>
          inTransaction
            ? Effect.flatMap(
              readMany([request], options?.forUpdate === true),
              (rows) => decodeFound(rows[0] ?? Option.none())
            )
            : pointReads.loadThen(request, decodeFound)
        const found = Effect.flatMap(
          currentTenant,
          (tenant) => read({ id, tenant, includeDeleted: options?.includeDeleted ?? false })
        )
        if (inTransaction) return span("findById")(found)
        // Outside a transaction a locking read is refused; a plain one is batched.
        if (options?.forUpdate === true) return span("findById")(Effect.zipRight(lockable(options), found))
        return leafSpan("Repository.findById", () => ({ table }))(found)
      })
    }

    /** The keyset request of a walk over every row matching `queryInput`, `chunkSize` rows a page. */
    const pageScan = (
      queryInput: ListQueryInput | undefined,
      chunkSize: number
    ): typeof Query.CursorRequest.Encoded => ({
      limit: chunkSize,
      sort: (queryInput?.sort ?? []) as Array<Sort>
    })

    /** A keyset walk, checked once: the request and the policy, the tenant's filters, the total order. */
    const keysetScan = (input: typeof Query.CursorRequest.Encoded, queryInput: unknown) =>
      Effect.gen(function*() {
        const request = yield* Query.decode(Query.CursorRequest, "cursor")(input)
        yield* policy.sort(table, request.sort)
        const { query, tenant, where } = yield* listQuery(queryInput)
        const sort = withTiebreak(request.sort)
        const exact = sort.flatMap((s, i) => dateFields.has(s.field) ? [i] : [])
        // A walk that stops at the query's limit reads no page larger than that.
        const limit = Math.min(request.limit, query.limit ?? request.limit)
        const scan: KeysetScan = { tenant, where, sort, limit, exact }
        return { request, scan, total: query.limit }
      })

    /**
     * The page of a scan after a position (from the start without one): its rows decoded, and the
     * position of its last row when more rows follow.
     */
    const keysetPage = (
      scan: KeysetScan,
      after: ReadonlyArray<Cursor.CursorValue> | undefined
    ): Effect.Effect<KeysetPage<A>, BackendError | AccessDenied> =>
      store.select(
        { ...scan.where, keyset: after === undefined ? undefined : { sort: scan.sort, values: after } },
        scan.sort,
        { limit: scan.limit + 1, exact: scan.exact }
      ).pipe(
        Effect.flatMap(confined(scan.tenant)),
        Effect.flatMap((rows) => {
          const last = rows.length > scan.limit ? rows[scan.limit - 1] : undefined
          const next = last === undefined ? undefined : scan.sort.map((s, i) => {
            const exact = last[Statements.exactAlias(i)]
            return typeof exact === "string" ? exact : cursorValue(last[s.field])
          })
          return Effect.map(decodeAll(rows, scan.limit), (items) => ({ items, next }))
        })
      )

    const listCursor: Repository<A>["listCursor"] = (input, queryInput) =>
      Effect.gen(function*() {
        const { request, scan, total } = yield* keysetScan(input, queryInput)
        // A page's size is the request's `limit`; no cursor carries how many rows came before it.
        if (total !== undefined) {
          return yield* new ValidationError({
            field: "query",
            detail: "listCursor takes no query limit: a page holds the request's limit rows"
          })
        }
        const after = request.after === undefined ? undefined : yield* Cursor.decode(table, scan.sort, request.after)
        const { items, next } = yield* keysetPage(scan, after)
        const nextCursor = next === undefined ? null : yield* Cursor.encode(table, scan.sort, next)
        return { items, nextCursor } satisfies CursorPage<A>
      }).pipe(span("listCursor"))

    const count: Repository<A>["count"] = (queryInput) =>
      Effect.flatMap(listQuery(queryInput), ({ tenant, where }) => countFor(tenant, where)).pipe(span("count"))

    const repository: Repository<A> = {
      table,

      create: (record) =>
        Effect.gen(function*() {
          const row = yield* prepare(record)
          const returned = yield* store.insertReturning(row)
          return yield* storedOr(Option.isSome(returned) ? returned : yield* readBack(row), row)
        }).pipe(span("create")),

      createMany: (records) =>
        Effect.flatMap(listOf(records, "records"), (checked) =>
          Effect.flatMap(creation, (context) => insertAll(checked, context))).pipe(span("createMany")),

      loadMany: (input) =>
        Effect.gen(function*() {
          const records = yield* listOf(input, "records")
          const context = yield* creation
          const copy = store.copy
          // A transaction's connection belongs to @effect/sql: there the load joins it as INSERTs.
          if (copy === undefined || (yield* stores.inTransaction)) {
            yield* Effect.annotateCurrentSpan("db.operation.name", "INSERT")
            return yield* insertAll(records, context)
          }
          yield* Effect.annotateCurrentSpan("db.operation.name", "COPY")
          if (records.length === 0) {
            return 0
          }
          // Each chunk is encoded while the previous one is on its way: the first bad record
          // aborts the copy, and the one statement leaves nothing behind. Chunks are sliced as
          // they are needed (`Array.chunksOf` copies the rest of the array at every split).
          const starts = Array.from({ length: Math.ceil(records.length / copyChunkRows) }, (_, i) =>
            i * copyChunkRows)
          const rows = Stream.fromIterable(starts).pipe(
            Stream.mapEffect((start) => fillAll(records.slice(start, start + copyChunkRows), context, loadable))
          )
          return yield* copy(rows)
        }).pipe(span("loadMany")),

      upsert: (record, options) =>
        Effect.gen(function*() {
          const on = (yield* listOf(options?.on ?? [idColumn], "on")).map(String)
          // Exactly the columns of one declared key: `[]`, or a column twice, matched any row.
          const declared = new Set(on).size === on.length &&
            unique.some((key) => key.length === on.length && on.every((c) => key.includes(c)))
          if (!declared) {
            return yield* Effect.fail(
              new ValidationError({ field: "on", detail: `not a declared unique key of ${table}: ${on.join(", ")}` })
            )
          }
          const row = yield* prepare(record)
          const key: Array<Filter> = on.map((c) => ({ field: c, op: "eq", value: row[c] as Query.Scalar }))
          const kept = new Set([idColumn, ...on, config.tenant, audit.createdAt, audit.createdBy])
          const updates = columns.filter((c) => !kept.has(c))
          /** The upsert refused as the server refuses a duplicate key: `columns` belong to another row. */
          const taken = (key: ReadonlyArray<string>, detail: string) =>
            Effect.fail(
              new DataAccessError({
                backend: stores.backend,
                operation: "Repository.upsert",
                reason: "UniqueViolation",
                table,
                constraint: key.join(","),
                detail: `(${key.join(", ")}) ${detail}`
              })
            )
          /** Each unique key of the row that some row holds leads to `target`, a row of this tenant. */
          const keysLeadTo = (target: Row | undefined, keys: ReadonlyArray<ReadonlyArray<string>>) =>
            Effect.gen(function*() {
              for (const other of keys) {
                const values = other.map((c) => row[c])
                if (values.some((v) => v === null || v === undefined)) continue
                const [existing] = yield* store.select(
                  { filters: other.map((c, i) => ({ field: c, op: "eq", value: values[i] as Query.Scalar })) },
                  [tiebreak],
                  { limit: 1 }
                )
                if (existing === undefined) continue
                if (config.tenant !== undefined && existing[config.tenant] !== row[config.tenant]) {
                  return yield* Effect.fail(mismatch("the row belongs to another tenant"))
                }
                if (target === undefined || String(existing[idColumn]) !== String(target[idColumn])) {
                  return yield* taken(other, "already belongs to another row")
                }
              }
            })
          return yield* stores.transaction(Effect.gen(function*() {
            // Every unique key is checked first, not only `on`: MySQL's ON DUPLICATE KEY fires on
            // any of them, which could otherwise update a different (or another tenant's) row.
            const [target] = yield* store.select({ filters: key }, [tiebreak], { limit: 1 })
            // A row the key matches only by the collation (`p2` for `p2 `, PAD SPACE on MySQL/MariaDB
            // and SQL Server) is another row, which the write would overwrite: the key is taken.
            if (target !== undefined && on.some((c) => !sameText(target[c], row[c]))) {
              return yield* taken(on, "matches another row's key as the column's collation compares it")
            }
            yield* keysLeadTo(target, unique)
            yield* store.upsert(row, on, updates)
            // A row committed after those reads (or, on MySQL/MariaDB, after the snapshot they read)
            // takes the write in their place: checked again, a row of another tenant or another
            // row under one of the keys fails the transaction, which undoes the write.
            const [written] = yield* store.select({ filters: key }, [tiebreak], { limit: 1 })
            if (firesOnAnyKey) yield* keysLeadTo(written, unique)
            else if (
              config.tenant !== undefined && written !== undefined && written[config.tenant] !== row[config.tenant]
            ) {
              return yield* Effect.fail(mismatch("the row belongs to another tenant"))
            }
            return yield* decode(written ?? row)
          }))
        }).pipe(span("upsert")),

      findById,

      findByField: (field, value, options) =>
        Effect.gen(function*() {
          const filter: Filter = { field, op: "eq", value }
          const { tenant, where } = yield* listQuery({ filters: [filter] })
          const forUpdate = yield* lockable(options)
          return yield* decodeAll(
            yield* store.select(where, [tiebreak], {}, forUpdate).pipe(Effect.flatMap(confined(tenant)))
          )
        }).pipe(span("findByField")),

      update: (id, patch) =>
        stores.transaction(Effect.gen(function*() {
          if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
            return yield* new ValidationError({
              field: "patch",
              detail: `${table}: expected an object, got ${describeType(patch)}`
            })
          }
          const { row, tenant } = yield* locate(id, false)
          const current = yield* decode(row)
          const before = yield* encode(current)
          const merged = yield* encode({ ...current, ...patch })
          // The primary key is kept by an update: a patch that changes it was answered as applied.
          if (String(merged[idColumn]) !== String(row[idColumn])) {
            return yield* new ValidationError({ field: idColumn, detail: "an update cannot change the primary key" })
          }
          if (config.tenant !== undefined && merged[config.tenant] !== tenant) {
            return yield* Effect.fail(mismatch("a row cannot move to another tenant"))
          }
          // Only the columns the patch changes are written: the others keep what the server holds,
          // which the decoded row may not (a decimal past a double's precision, microseconds).
          const fixed = new Set([idColumn, config.tenant, config.softDelete, audit.createdAt, audit.createdBy])
          const set: Record<string, unknown> = {}
          for (const c of columns) if (!fixed.has(c) && !sameEncoded(before[c], merged[c])) set[c] = merged[c]
          if (audit.updatedAt) set[audit.updatedAt] = yield* now
          if (audit.updatedBy) set[audit.updatedBy] = yield* actor
          if (Object.keys(set).length === 0) return current
          const returned = yield* store.updateReturning(set, exactly(tenant, id))
          const written = { ...row, ...set }
          return yield* storedOr(Option.isSome(returned) ? returned : yield* readBack(written), written)
        })).pipe(span("update")),

      delete: (id) =>
        stores.transaction(Effect.gen(function*() {
          const { tenant } = yield* locate(id, false)
          yield* removeWhere(exactly(tenant, id))
        })).pipe(span("delete")),

      purge: (id) =>
        stores.transaction(Effect.gen(function*() {
          const { tenant } = yield* locate(id, "either")
          yield* store.remove(exactly(tenant, id))
        })).pipe(span("purge")),

      deleteMany: (ids) =>
        Effect.gen(function*() {
          const tenant = yield* currentTenant
          const wanted = Array.from(new Set(yield* listOf(ids, "ids")))
          for (const id of wanted) yield* checkId(id)
          if (wanted.length === 0) return []
          return yield* stores.transaction(Effect.gen(function*() {
            const deleted: Array<Id> = []
            // An UPDATE carries a list, the tenant and at most a value per column.
            const size = Math.min(Query.maxMembers, store.maxParams - columns.length)
            for (let i = 0; i < wanted.length; i += size) {
              const chunk = wanted.slice(i, i + size)
              const rows = yield* store.select(
                { filters: [{ field: idColumn, op: "in", values: chunk }, ...visibility(false)] },
                [tiebreak],
                {},
                true
              )
              yield* owned(rows, tenant)
              // Compared here once more: a PAD SPACE collation matches `a ` with `a`.
              const found = new Set(rows.map((row) => String(row[idColumn])))
              const hit = chunk.filter((id) => found.has(String(id)))
              if (hit.length === 0) continue
              yield* removeWhere({ filters: [{ field: idColumn, op: "in", values: hit }, ...scope(tenant, true)] })
              deleted.push(...hit)
            }
            return deleted
          }))
        }).pipe(span("deleteMany")),

      restore: (id) =>
        stores.transaction(Effect.gen(function*() {
          if (config.softDelete === undefined) {
            return yield* Effect.fail(new ValidationError({ field: "restore", detail: `${table} has no soft delete` }))
          }
          const { row, tenant } = yield* locate(id, true)
          const set: Record<string, unknown> = { [config.softDelete]: null }
          if (audit.updatedAt) set[audit.updatedAt] = yield* now
          if (audit.updatedBy) set[audit.updatedBy] = yield* actor
          const returned = yield* store.updateReturning(set, exactly(tenant, id))
          const written = { ...row, ...set }
          return yield* storedOr(Option.isSome(returned) ? returned : yield* readBack(written), written)
        })).pipe(span("restore")),

      list: (queryInput) =>
        Effect.gen(function*() {
          const { query, tenant, where } = yield* listQuery(queryInput)
          const rows = yield* store.select(where, withTiebreak(query.sort), { limit: query.limit }).pipe(
            Effect.flatMap(confined(tenant))
          )
          return yield* decodeAll(rows)
        }).pipe(span("list")),

      listPage: (input, queryInput) =>
        Effect.gen(function*() {
          const request = yield* Query.decode(Query.PageRequest, "page")(input)
          const { query, tenant, where } = yield* listQuery(queryInput)
          const total = yield* countFor(tenant, where)
          const rows = yield* store.select(where, withTiebreak(query.sort), {
            limit: request.perPage,
            offset: (request.page - 1) * request.perPage
          }).pipe(Effect.flatMap(confined(tenant)))
          return Query.page(yield* decodeAll(rows), total, request)
        }).pipe(span("listPage")),

      listCursor,
      count,

      countEstimate: () =>
        Effect.gen(function*() {
          const estimated = config.tenant === undefined ? yield* store.estimate : Option.none()
          if (Option.isSome(estimated) && estimated.value >= estimateThreshold) return estimated.value
          return yield* count()
        }).pipe(span("countEstimate")),

      forEachPage: (f, queryInput, chunkSize = 500) =>
        Effect.gen(function*() {
          if (typeof f !== "function") {
            return yield* new ValidationError({
              field: "f",
              detail: `expected a function of a page, got ${describeType(f)}`
            })
          }
          const { scan, total } = yield* keysetScan(pageScan(queryInput, chunkSize), queryInput)
          const most = total ?? Infinity
          let after: ReadonlyArray<Cursor.CursorValue> | undefined = undefined
          let rows = 0
          do {
            const page: KeysetPage<A> = yield* keysetPage(scan, after)
            // The query's limit ends the walk, within the page that reaches it.
            const items = rows + page.items.length > most ? page.items.slice(0, most - rows) : page.items
            rows += items.length
            yield* f(items)
            after = rows < most ? page.next : undefined
          } while (after !== undefined)
          return rows
        }).pipe(Effect.withSpan("Repository.forEachPage", { attributes: { table }, captureStackTrace: false })),

      // The request and the policy are checked once; the pages follow each other by the last row's
      // values, with no cursor signed and verified between two pages of one stream.
      stream: (queryInput, chunkSize = 500) =>
        Stream.unwrap(
          Effect.map(
            keysetScan(pageScan(queryInput, chunkSize), queryInput),
            ({ scan, total }) => {
              const rows = Stream.paginateChunkEffect(
                undefined as ReadonlyArray<Cursor.CursorValue> | undefined,
                (after) =>
                  Effect.map(
                    keysetPage(scan, after),
                    ({ items, next }) => [Chunk.unsafeFromArray(items), Option.fromNullable(next)] as const
                  )
              )
              // The query's limit ends the stream, as it ends a `list`: no page is read past it.
              return total === undefined ? rows : Stream.take(rows, total)
            }
          )
        ).pipe(Stream.withSpan("Repository.stream", { attributes: { table }, captureStackTrace: false }))
    }
    return repository
  })

/** What to run once the outermost `withTransaction` around the fiber commits (`afterCommit`). */
const afterCommits = FiberRef.unsafeMake<Array<Effect.Effect<void>> | undefined>(undefined)

const repositories = (stores: Stores): RepositoriesService => ({
  backend: stores.backend,
  make: (config) => makeRepository(stores, config),
  withTransaction: (effect) =>
    Effect.flatMap(FiberRef.get(afterCommits), (outer) => {
      if (outer !== undefined) return stores.transaction(effect)
      // Shared by the fibers the work forks, and by every attempt: an extra run does no harm.
      const pending: Array<Effect.Effect<void>> = []
      return stores.transaction(Effect.locally(effect, afterCommits, pending)).pipe(
        Effect.tap(() => Effect.suspend(() => Effect.all(pending, { discard: true })))
      )
    }),
  afterCommit: (effect) =>
    Effect.flatMap(
      FiberRef.get(afterCommits),
      (pending) => pending === undefined ? effect : Effect.sync(() => void pending.push(effect))
    ),
  inTransaction: Effect.map(FiberRef.get(afterCommits), (pending) => pending !== undefined)
})

// ---------------------------------------------------------------------------------------------
// SQL
// ---------------------------------------------------------------------------------------------

/**
 * Stores over the `SqlClient` in context: every statement through `run` (timeout, typed errors,
 * breaker, retry of idempotent reads, span), inserts chunked under the dialect's parameter limit.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSqlStores: Effect.Effect<Stores, never, SqlClient.SqlClient | SqlBackend> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const backend = yield* SqlBackend
  const provide = <X, E>(effect: Effect.Effect<X, E, SqlBackend>) => Effect.provideService(effect, SqlBackend, backend)
  const copyFrom = backend.copyFrom
  const store = (
    table: string,
    columns: ReadonlyArray<string>,
    unique: ReadonlyArray<ReadonlyArray<string>>
  ): Store => {
    const key = unique[0]?.[0] as string
    const exec = (operation: string, idempotent: boolean) => <X, E>(effect: Effect.Effect<X, E>) =>
      provide(run({ operation: `Repository.${operation}`, table, idempotent })(effect))
    const insertValues = (rows: ReadonlyArray<Row>) =>
      Statements.insert(sql, table, rows).pipe(Effect.asVoid, exec("insert", false))
    // PostgreSQL: many rows go as one JSON parameter (`Statements.insertRecordset`), cast to the
    // column types read once from the catalog. A table the catalog does not know, or a column
    // it lacks, takes the plain statement, which reports the problem as the server words it.
    const known = new Map<string, string>()
    const typed = (names: ReadonlyArray<string>) =>
      names.every((name) => known.has(name))
        ? Option.some(names.map((name) => ({ name, type: known.get(name)! })))
        : Option.none()
    const typedColumns = (names: ReadonlyArray<string>) =>
      Effect.suspend(() => {
        const cached = typed(names)
        return Option.isSome(cached) ? Effect.succeed(cached) : Statements.columnTypes(sql, table).pipe(
          exec("columnTypes", true),
          Effect.map((found) => {
            for (const { name, type } of found) known.set(name, type)
            return typed(names)
          })
        )
      })
    // PostgreSQL fails a statement comparing an integer column with a number it cannot hold
    // (`id = 1.5`, `age > 1e12` on an INTEGER), where the other backends and memory compare
    // numbers: such filters become their integer equivalents (`ColumnKinds.onIntegerColumns`), the
    // column widths read once from the catalog when a filter first has such a number.
    const kindsOf = ColumnKinds.fromCatalog(sql, () => exec("columns", true))
    const holdable = (where: Where): Effect.Effect<Where, BackendError> =>
      backend.dialect.name !== "pg" || ColumnKinds.fitEveryInteger(where.filters)
        ? Effect.succeed(where)
        : Effect.map(
          kindsOf(table),
          (kinds) => ({ ...where, filters: ColumnKinds.onIntegerColumns(kinds, where.filters) })
        )
    // node-postgres sends a JS array as a PostgreSQL array literal, which a JSON column refuses
    // ("invalid input syntax for type json", where MariaDB and memory stored it): on a `json` or
    // `jsonb` column an array goes as its JSON text, as an object does.
    const jsonArrays = (rows: ReadonlyArray<Row>): Effect.Effect<ReadonlyArray<Row>, BackendError> => {
      if (backend.dialect.name !== "pg") return Effect.succeed(rows)
      const arrays = new Set<string>()
      for (const row of rows) for (const name in row) if (Array.isArray(row[name])) arrays.add(name)
      if (arrays.size === 0) return Effect.succeed(rows)
      return Effect.map(typedColumns([...arrays]), (typed) => {
        const json = Option.match(typed, {
          onNone: () => [],
          onSome: (found) => found.filter((c) => c.type === "json" || c.type === "jsonb").map((c) => c.name)
        })
        if (json.length === 0) return rows
        return rows.map((row) => {
          let written: Record<string, unknown> | undefined
          for (const name of json) {
            if (Array.isArray(row[name])) (written ??= { ...row })[name] = JSON.stringify(row[name])
          }
          return written ?? row
        })
      })
    }
    const jsonArraysOf = (row: Row) => Effect.map(jsonArrays([row]), (rows) => rows[0] ?? row)
    const insertRecordset = (rows: ReadonlyArray<Row>) => {
      const names = Object.keys(rows[0]!)
      return Effect.flatMap(typedColumns(names), (typed) => {
        if (Option.isNone(typed)) return insertValues(rows)
        const texts = rows.map((row) => {
          const text: Record<string, string | null> = {}
          for (const name of names) text[name] = Copy.text(row[name])
          return text
        })
        return Statements.insertRecordset(sql, table, typed.value, JSON.stringify(texts)).pipe(
          Effect.asVoid,
          exec("insert", false)
        )
      })
    }
    return {
      backend: backend.backend,
      maxParams: backend.dialect.maxParams,
      maxStatementBytes: backend.dialect.maxStatementBytes,
      queuesStatements: backend.dialect.queuesStatements,
      insert: (given) =>
        Effect.flatMap(
          jsonArrays(given),
          (rows) => rows.length > 1 && backend.dialect.name === "pg" ? insertRecordset(rows) : insertValues(rows)
        ),
      insertReturning: (given) =>
        Effect.flatMap(jsonArraysOf(given), (row) =>
          backend.backend === "postgres" || backend.backend === "mariadb"
            ? Statements.insertReturning(sql, table, row, columns).pipe(
              exec("insert", false),
              Effect.map((rows) => Option.fromNullable(rows[0]))
            )
            : Effect.as(insertValues([row]), Option.none())),
      upsert: (given, on, updates) =>
        Effect.flatMap(
          jsonArraysOf(given),
          (row) => Statements.upsert(sql, table, row, on, updates).pipe(Effect.asVoid, exec("upsert", false))
        ),
      select: (given, sort, window, forUpdate) =>
        Effect.flatMap(holdable(given), (where) => {
          const read = (lock: boolean) =>
            Statements.select(sql, table, columns, where, sort, window, lock).pipe(exec("select", true))
          if (forUpdate !== true || !backend.dialect.locksGaps) return read(forUpdate === true)
          // A locking read here would also lock the gaps next to what it scans and the keys it did
          // not find, and transactions inserting there would deadlock. The rows are read plainly,
          // then locked by their primary keys (record locks only), still matching the same conditions.
          return Effect.flatMap(read(false), (found) => {
            if (found.length === 0) return Effect.succeed(found)
            const byKey: Where = {
              ...where,
              filters: [
                { field: key, op: "in", values: found.map((row) => row[key] as Query.Scalar) },
                ...where.filters
              ]
            }
            return Statements.select(sql, table, columns, byKey, sort, { limit: window?.limit }, true).pipe(
              exec("select", true)
            )
          })
        }),
      count: (given, exact) =>
        Effect.flatMap(holdable(given), (where) =>
          Statements.count(sql, table, where, exact).pipe(
            Effect.map((rows) => {
              const total = Number(rows[0]?.n ?? 0)
              return { total, exact: exact === undefined ? total : Number(rows[0]?.e ?? 0) }
            }),
            exec("count", true)
          )),
      update: (values, given) =>
        Effect.flatMap(
          Effect.zip(jsonArraysOf(values), holdable(given)),
          ([set, where]) => Statements.update(sql, table, set, where).pipe(Effect.asVoid, exec("update", false))
        ),
      updateReturning: (values, given) =>
        Effect.flatMap(
          Effect.zip(jsonArraysOf(values), holdable(given)),
          ([set, where]) =>
            backend.backend === "postgres"
              ? Statements.update(sql, table, set, where, columns).pipe(
                exec("update", false),
                Effect.map((rows) => Option.fromNullable(rows[0]))
              )
              : Effect.as(Statements.update(sql, table, set, where).pipe(exec("update", false)), Option.none())
        ),
      remove: (given) =>
        Effect.flatMap(
          holdable(given),
          (where) => Statements.remove(sql, table, where).pipe(Effect.asVoid, exec("delete", false))
        ),
      // The column types are read before the copy takes its connection (read during it, on a pool
      // of one they would wait for the copy's own connection); a failure to read them is the
      // copy's to report.
      copy: copyFrom &&
        ((rows) =>
          Effect.zipRight(
            Effect.ignore(typedColumns(columns)),
            copyFrom(table, columns, Stream.mapEffect(rows, jsonArrays)).pipe(exec("copy", false))
          )),
      estimate: Effect.suspend(() => {
        const statement = Statements.estimate(sql, table)
        return statement === undefined
          ? Effect.succeed(Option.none<number>())
          : statement.pipe(
            Effect.map((rows) => {
              const n = Number(rows[0]?.n ?? -1)
              return n >= 0 ? Option.some(n) : Option.none()
            }),
            exec("countEstimate", true)
          )
      })
    }
  }
  return {
    backend: backend.backend,
    store,
    transaction: (effect) =>
      transaction({ backend: backend.backend, operation: "Repository.transaction", target: backend.target })(effect)
        .pipe(Effect.provideService(SqlClient.SqlClient, sql)),
    inTransaction: Effect.map(Effect.serviceOption(SqlClient.TransactionConnection), Option.isSome)
  }
})

/**
 * Repositories over the SQL backend in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const RepositoryLive: Layer.Layer<Repositories, never, SqlClient.SqlClient | SqlBackend> = Layer.effect(
  Repositories,
  Effect.map(makeSqlStores, repositories)
)

// ---------------------------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------------------------

const copyRow = (row: Row): Row => {
  const copied: Record<string, unknown> = {}
  for (const column in row) copied[column] = copyValue(row[column])
  return copied as Row
}

/**
 * Stores in memory with the semantics of the SQL ones: unique keys enforced (a duplicate is
 * `DataAccessError` UniqueViolation), transactions undone on failure. Transactions run one at a
 * time (a nested one joins the one it is in), so a locking read inside one holds its rows as a
 * SQL one does: no other transaction writes them before this one ends. A write outside a
 * transaction waits for the one running to end, since undoing that one restores the tables as
 * they were when it began: a write let in meanwhile was lost with it, which a server never does.
 * Reads outside a transaction do not wait, and see what was committed (the tables as the running
 * transaction found them), never its writes before it commits, as a server's reads do.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemoryStores: Effect.Effect<Stores> = Effect.sync(() => {
  const tables = new Map<string, Array<Row>>()
  const running = Effect.unsafeMakeSemaphore(1)
  // Per store, and inherited by the fibers a transaction forks: they work inside it.
  const inTransaction = FiberRef.unsafeMake(false)
  /** The tables as the running transaction found them: what reads outside it see. */
  let committed: Map<string, Array<Row>> | undefined
  /** A write: inside a transaction, part of it; outside, a statement of its own, after the one running. */
  const write = <X, E>(statement: Effect.Effect<X, E>): Effect.Effect<X, E> =>
    Effect.flatMap(FiberRef.get(inTransaction), (inside) => inside ? statement : running.withPermits(1)(statement))
  const rowsOf = (table: string) => {
    const found = tables.get(table)
    if (found) return found
    const created: Array<Row> = []
    tables.set(table, created)
    return created
  }
  const store = (
    table: string,
    _columns: ReadonlyArray<string>,
    unique: ReadonlyArray<ReadonlyArray<string>>
  ): Store => {
    const violation = (operation: string, key: ReadonlyArray<string>) =>
      new DataAccessError({
        backend: "memory",
        operation: `Repository.${operation}`,
        reason: "UniqueViolation",
        table,
        constraint: key.join(","),
        detail: `duplicate key (${key.join(", ")})`
      })
    /** A unique key's value in a row; `undefined` when a part is NULL (NULLs never clash). */
    const keyOf = (key: ReadonlyArray<string>, row: Row): string | undefined =>
      key.some((c) => row[c] === null || row[c] === undefined)
        ? undefined
        : JSON.stringify(key.map((c) => keyPart(row[c])))
    const same = (key: ReadonlyArray<string>, a: Row, b: Row) =>
      key.every((c) => a[c] !== null && a[c] !== undefined && keyPart(a[c]) === keyPart(b[c]))
    const conflict = (row: Row, others: ReadonlyArray<Row>) =>
      unique.find((key) => others.some((other) => other !== row && same(key, row, other)))
    const matching = (where: Where) => rowsOf(table).filter(wherePredicate(where))
    /** The rows a read sees: inside a transaction its own writes, outside it what was committed. */
    const readable = (where: Where) =>
      Effect.map(FiberRef.get(inTransaction), (inside) =>
        !inside && committed !== undefined
          ? (committed.get(table) ?? []).filter(wherePredicate(where))
          : matching(where))
    const update = (set: Row, where: Where): Effect.Effect<void, BackendError> =>
      Effect.suspend(() => {
        const all = rowsOf(table)
        const predicate = wherePredicate(where)
        const copied = copyRow(set)
        const next = all.map((row) => predicate(row) ? { ...row, ...copied } : row)
        const key = next.map((row) => conflict(row, next)).find((k) => k !== undefined)
        if (key) return Effect.fail(violation("update", key))
        all.splice(0, all.length, ...next)
        return Effect.void
      })
    const insert = (rows: ReadonlyArray<Row>): Effect.Effect<void, BackendError> =>
      Effect.suspend(() => {
        const all = rowsOf(table)
        const taken = unique.map((key) => new Set(all.map((row) => keyOf(key, row))))
        const added: Array<Row> = []
        for (const row of rows) {
          const clash = unique.findIndex((key, i) => {
            const value = keyOf(key, row)
            return value !== undefined && taken[i]?.has(value)
          })
          if (clash >= 0) return Effect.fail(violation("insert", unique[clash] ?? []))
          unique.forEach((key, i) => taken[i]?.add(keyOf(key, row)))
          added.push(copyRow(row))
        }
        all.push(...added)
        return Effect.void
      })
    return {
      backend: "memory",
      maxParams: 65_535,
      maxStatementBytes: 32 * 1024 * 1024,
      queuesStatements: true,
      insert: (rows) => write(insert(rows)),
      insertReturning: (row) => write(Effect.as(insert([row]), Option.some(copyRow(row)))),
      upsert: (row, on, updates) =>
        write(Effect.suspend(() => {
          const all = rowsOf(table)
          const index = all.findIndex((other) => same(on, row, other))
          if (index < 0) return insert([row])
          const current = all[index] as Row
          const next = { ...current, ...Object.fromEntries(updates.map((c) => [c, copyValue(row[c])])) }
          const key = conflict(next, all.filter((_, i) => i !== index))
          if (key) return Effect.fail(violation("upsert", key))
          all[index] = next
          return Effect.void
        })),
      select: (where, sort, window = {}) =>
        Effect.map(readable(where), (rows) => {
          const offset = window.offset ?? 0
          const sorted = rows.sort(comparator(sort))
          return sorted.slice(offset, window.limit === undefined ? undefined : offset + window.limit)
            .map(copyRow)
        }),
      count: (where, exact) =>
        Effect.map(readable(where), (rows) => {
          return {
            total: rows.length,
            exact: exact === undefined ? rows.length : rows.filter((row) => row[exact.column] === exact.value).length
          }
        }),
      update: (set, where) => write(update(set, where)),
      updateReturning: (set, where) =>
        write(Effect.map(
          update(set, where),
          () => Option.map(Option.fromNullable(matching(where)[0]), copyRow)
        )),
      remove: (where) =>
        write(Effect.sync(() => {
          const all = rowsOf(table)
          const predicate = wherePredicate(where)
          const kept = all.filter((row) => !predicate(row))
          all.splice(0, all.length, ...kept)
        })),
      estimate: Effect.succeed(Option.none())
    }
  }
  const snapshot = () => new Map(Array.from(tables, ([name, rows]): [string, Array<Row>] => [name, [...rows]]))
  /**
   * Undone on failure, as a whole transaction or as a savepoint inside one; a whole one's starting
   * tables are also what reads outside it see until it ends (`committed`). Rows are never changed
   * in place (an update makes new ones), so the arrays copied hold the rows as they were.
   */
  const undoable = <X, E, R>(effect: Effect.Effect<X, E, R>, outermost: boolean) =>
    Effect.suspend(() => {
      const before = snapshot()
      if (outermost) committed = before
      const undone = Effect.onError(effect, () =>
        Effect.sync(() => {
          tables.clear()
          before.forEach((rows, name) => tables.set(name, [...rows]))
        }))
      return outermost ? Effect.ensuring(undone, Effect.sync(() => void (committed = undefined))) : undone
    })
  return {
    backend: "memory",
    store,
    transaction: <X, E, R>(effect: Effect.Effect<X, E, R>) =>
      Effect.flatMap(
        FiberRef.get(inTransaction),
        (nested) =>
          nested
            ? undoable(effect, false)
            : running.withPermits(1)(Effect.locally(undoable(effect, true), inTransaction, true))
      ),
    inTransaction: FiberRef.get(inTransaction)
  }
})

/**
 * Repositories in memory, for unit tests: the same contract as `RepositoryLive`.
 *
 * @since 0.1.0
 * @category layers
 */
export const RepositoryTest: Layer.Layer<Repositories> = Layer.effect(
  Repositories,
  Effect.map(makeMemoryStores, repositories)
)

/**
 * A DAO layer on SQL, over repositories of its own. Layers are memoized by reference, so a shared
 * `RepositoryLive` would be built once, over whichever `SqlClient` came first: two DAOs on
 * different databases in one program must each get a fresh one.
 *
 * @since 0.1.0
 * @category layers
 */
export const provideLive = <A, E, R>(
  dao: Layer.Layer<A, E, R | Repositories>
): Layer.Layer<A, E, Exclude<R, Repositories> | SqlClient.SqlClient | SqlBackend> =>
  dao.pipe(Layer.provide(Layer.fresh(RepositoryLive)))

/**
 * A DAO layer in memory, over a store of its own.
 *
 * @since 0.1.0
 * @category layers
 */
export const provideTest = <A, E, R>(
  dao: Layer.Layer<A, E, R | Repositories>
): Layer.Layer<A, E, Exclude<R, Repositories>> => dao.pipe(Layer.provide(Layer.fresh(RepositoryTest)))
