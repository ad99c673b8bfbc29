/**
 * The generic repository contract: one schema-driven constructor giving create, read, update,
 * delete (soft when configured), lists with filters and sorts, offset and keyset pages, counts
 * and streams, with tenant isolation and audit fields. `RepositoryLive` (SQL) and
 * `RepositoryTest` (memory) in `layers/Repository.ts` implement it with the same semantics.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
import type { AccessDenied, Backend, ConnectionError, DataAccessError, NotFound, ValidationError } from "../errors.js"
import type { CursorPage, CursorRequest, ListQueryInput, Page, PageRequest, Scalar } from "../schemas/Query.js"
import type { AccessPolicy } from "./AccessPolicy.js"

/**
 * The tenant the current work is done for. Repositories with a tenant column refuse to run
 * without it (`AccessDenied` MissingTenant), they never fall back to all tenants.
 *
 * @since 0.1.0
 * @category tags
 */
export class CurrentTenant extends Context.Tag("effect-dao/CurrentTenant")<CurrentTenant, string>() {}

/**
 * Who is doing the current work; written to `created_by` / `updated_by` when audit is on.
 *
 * @since 0.1.0
 * @category tags
 */
export class CurrentActor extends Context.Tag("effect-dao/CurrentActor")<CurrentActor, string>() {}

/**
 * Audit column names; each may be left out.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuditColumns {
  readonly createdAt?: string | undefined
  readonly updatedAt?: string | undefined
  readonly createdBy?: string | undefined
  readonly updatedBy?: string | undefined
}

/**
 * A primary key value.
 *
 * @since 0.1.0
 * @category models
 */
export type Id = string | number

/**
 * How a repository maps a table. The schema's field names are the column names; the columns the
 * repository manages (tenant, soft delete, audit) should be optional in it, they are filled in.
 *
 * @since 0.1.0
 * @category models
 */
export interface RepositoryConfig<A, I> {
  readonly table: string
  readonly schema: Schema.Schema<A, I> & { readonly fields: Schema.Struct.Fields }
  /** The primary key column (values are supplied by the caller). */
  readonly id: keyof I & string
  /** Other unique keys, e.g. `[["email"]]`: conflict targets for `upsert`, enforced in memory. */
  readonly unique?: ReadonlyArray<ReadonlyArray<keyof I & string>> | undefined
  /** The tenant column: every statement is confined to `CurrentTenant`. */
  readonly tenant?: (keyof I & string) | undefined
  /** A nullable timestamp column: `delete` sets it, `restore` clears it, reads skip such rows. */
  readonly softDelete?: (keyof I & string) | undefined
  /** `true` for `created_at`, `updated_at`, `created_by`, `updated_by`, or chosen names. */
  readonly audit?: true | AuditColumns | undefined
}

/**
 * Failures of a repository call.
 *
 * @since 0.1.0
 * @category errors
 */
export type RepositoryError = AccessDenied | ValidationError | DataAccessError | ConnectionError

/**
 * How a read is made.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReadOptions {
  /**
   * A locking read: the rows found stay locked until the enclosing `withTransaction` ends, so
   * another transaction that writes them, or reads them with `forUpdate`, waits until then and
   * then sees what this one wrote (`SELECT ... FOR UPDATE` on PostgreSQL and MySQL/MariaDB,
   * `WITH (UPDLOCK, ROWLOCK)` on SQL Server; the memory layer runs its transactions one at a
   * time). Outside a transaction a lock would end with its statement, so such a read is refused
   * with `ValidationError` (field `forUpdate`).
   *
   * A locking read locks only the rows it finds, on every backend: two transactions that both
   * found nothing may both insert, and the second fails with `UniqueViolation`. (MySQL/MariaDB at
   * REPEATABLE READ would also lock the gaps beside what a locking read scans, so that
   * transactions inserting there deadlock whatever their keys: there the rows are read plainly,
   * then locked by their primary keys. That plain read is the transaction's snapshot if it is its
   * first read: its later plain reads do not see what others committed while it waited for a
   * lock, though the rows it locked are always current.)
   */
  readonly forUpdate?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Repository<A> {
  readonly table: string
  /** Inserts one record; a duplicate key is `DataAccessError` UniqueViolation. */
  readonly create: (record: A) => Effect.Effect<A, RepositoryError>
  /** Inserts many records in statements that stay under the dialect's parameter limit; returns the count. */
  readonly createMany: (records: ReadonlyArray<A>) => Effect.Effect<number, RepositoryError>
  /**
   * Bulk-loads many records, all or nothing, and returns the count: records are encoded and
   * checked as by `createMany` (a bad one is `ValidationError`, and nothing is written). On
   * PostgreSQL, outside a transaction, they stream through one `COPY ... FROM STDIN` on a pooled
   * connection of its own; inside `withTransaction`, and on every other backend, it is `createMany`,
   * so it joins the caller's transaction.
   *
   * @example
   * const loaded = yield* people.loadMany(records) // one COPY on PostgreSQL
   */
  readonly loadMany: (records: ReadonlyArray<A>) => Effect.Effect<number, RepositoryError>
  /** Inserts, or updates the row with the same key (`on`, default the primary key). */
  readonly upsert: (
    record: A,
    options?: { readonly on?: ReadonlyArray<string> | undefined }
  ) => Effect.Effect<A, RepositoryError>
  /**
   * One row by primary key; concurrent calls are batched into one `IN (...)` query. With
   * `forUpdate` it is a locking read (see `ReadOptions`), run alone on the transaction's connection.
   *
   * @example
   * yield* Repository.withTransaction(Effect.gen(function*() {
   *   const account = yield* accounts.findById("a1", { forUpdate: true }) // others wait here
   *   if (Option.isSome(account)) yield* accounts.update("a1", { balance: account.value.balance + 10 })
   * }))
   */
  readonly findById: (
    id: Id,
    options?: ReadOptions & { readonly includeDeleted?: boolean | undefined }
  ) => Effect.Effect<Option.Option<A>, RepositoryError>
  /** Rows whose column equals a value (the column must be filterable); `forUpdate` locks them. */
  readonly findByField: (
    field: string,
    value: Scalar,
    options?: ReadOptions
  ) => Effect.Effect<ReadonlyArray<A>, RepositoryError>
  /**
   * Changes some columns of one row; `NotFound` if it does not exist for this tenant. The row is
   * read with a lock and written in one transaction, so concurrent updates of one row apply one
   * after the other and none undoes another's columns. Only the columns whose encoded value the
   * patch changes are written (with the audit columns): the others keep what the server holds,
   * finer than the schema may read it. A patch that changes nothing, without audit, writes nothing.
   */
  readonly update: (id: Id, patch: Partial<A>) => Effect.Effect<A, RepositoryError | NotFound>
  /** Deletes one row: soft when configured. */
  readonly delete: (id: Id) => Effect.Effect<void, RepositoryError | NotFound>
  /**
   * Deletes one row for good, soft-deleted or not, even where soft delete is configured (the
   * seed's `delete(id, soft_delete=False)`): `NotFound` when there is no row, `AccessDenied`
   * TenantMismatch when it is another tenant's.
   */
  readonly purge: (id: Id) => Effect.Effect<void, RepositoryError | NotFound>
  /**
   * Deletes the rows of the given ids as `delete` does (soft when configured, audit fields set,
   * another tenant's row `AccessDenied` TenantMismatch), all in one transaction, and answers the
   * ids it deleted. Ids with no row, or whose row is already soft-deleted, are left out of the
   * answer rather than failing it. Ids go in `IN (...)` lists of at most `maxMembers` values, a
   * locking read and one `UPDATE` (or `DELETE`) per list.
   */
  readonly deleteMany: (ids: ReadonlyArray<Id>) => Effect.Effect<ReadonlyArray<Id>, RepositoryError>
  /** Brings back a soft-deleted row. */
  readonly restore: (id: Id) => Effect.Effect<A, RepositoryError | NotFound>
  /** Rows matching the filters, in the sort order then by primary key. */
  readonly list: (query?: ListQueryInput) => Effect.Effect<ReadonlyArray<A>, RepositoryError>
  /** An offset page (`page` from 1, `perPage` up to 1,000) with the total and page count. */
  readonly listPage: (
    request: typeof PageRequest.Encoded,
    query?: ListQueryInput
  ) => Effect.Effect<Page<A>, RepositoryError>
  /**
   * A keyset page in `request.sort` order (the primary key breaks ties); `query` adds filters (its
   * own `sort` is not used, and a `limit` in it is a `ValidationError`: a page holds
   * `request.limit` rows). Pass `nextCursor` back as `after` with the same sort.
   */
  readonly listCursor: (
    request: typeof CursorRequest.Encoded,
    query?: ListQueryInput
  ) => Effect.Effect<CursorPage<A>, RepositoryError>
  readonly count: (query?: ListQueryInput) => Effect.Effect<number, RepositoryError>
  /** The planner's estimate on PostgreSQL for big tables without tenant; an exact count elsewhere. */
  readonly countEstimate: () => Effect.Effect<number, RepositoryError>
  /** Every matching row (the first `query.limit` of them), read in keyset pages of `chunkSize` (default 500). */
  readonly stream: (query?: ListQueryInput, chunkSize?: number) => Stream.Stream<A, RepositoryError>
  /**
   * Every matching row (the first `query.limit` of them), in the order `stream` gives, handed to
   * `f` a keyset page (`chunkSize` rows, default 500) at a time; the next page is read once `f`
   * is done with this one. Answers the number of rows. For exports whose consumer runs effects (writes a file, sends a batch):
   * each page is garbage once `f` returns, whereas a `Stream` drained into an effectful `Sink`
   * keeps the chunks it was given alive until the next full collection (an export of 1,000,000
   * rows peaks at about 182 MB through one, 118 MB through this).
   *
   * @example
   * const written = yield* people.forEachPage((page) => writeCsv(page), { sort: [{ field: "name" }] }, 1000)
   */
  readonly forEachPage: <X, E, R>(
    f: (page: ReadonlyArray<A>) => Effect.Effect<X, E, R>,
    query?: ListQueryInput,
    chunkSize?: number
  ) => Effect.Effect<number, RepositoryError | E, R>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RepositoriesService {
  readonly backend: Backend
  /** A repository for one table; the table and its columns must be on the access policy. */
  readonly make: <A, I>(
    config: RepositoryConfig<A, I>
  ) => Effect.Effect<Repository<A>, AccessDenied | ValidationError, AccessPolicy>
  /** Runs work across repositories in one transaction, retried whole on transient failures. */
  readonly withTransaction: <X, E, R>(
    effect: Effect.Effect<X, E, R>
  ) => Effect.Effect<X, E | ConnectionError | DataAccessError, R>
  /**
   * Runs `effect` once the `withTransaction` it is called in has committed (nothing if it fails),
   * or at once outside one: for what must follow the change, such as dropping a cached copy, which
   * a reader in between would otherwise cache again from the rows as they were before the commit.
   */
  readonly afterCommit: (effect: Effect.Effect<void>) => Effect.Effect<void>
  /** Whether the current fiber runs inside a `withTransaction`. */
  readonly inTransaction: Effect.Effect<boolean>
}

/**
 * Where repositories come from: SQL (`RepositoryLive`) or memory (`RepositoryTest`).
 *
 * @since 0.1.0
 * @category tags
 */
export class Repositories extends Context.Tag("effect-dao/Repositories")<Repositories, RepositoriesService>() {}

/**
 * Builds a repository with the `Repositories` in context.
 *
 * @example
 * const people = yield* Repository.make({ table: "people", schema: Person, id: "id", tenant: "tenant_id" })
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <A, I>(
  config: RepositoryConfig<A, I>
): Effect.Effect<Repository<A>, AccessDenied | ValidationError, Repositories | AccessPolicy> =>
  Effect.flatMap(Repositories, (repositories) => repositories.make(config))

/**
 * Runs work across repositories in one transaction.
 *
 * @since 0.1.0
 * @category constructors
 */
export const withTransaction = <X, E, R>(
  effect: Effect.Effect<X, E, R>
): Effect.Effect<X, E | ConnectionError | DataAccessError, R | Repositories> =>
  Effect.flatMap(Repositories, (repositories) => repositories.withTransaction(effect))
