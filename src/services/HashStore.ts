/**
 * The hash-store DAO, remote tier (seed: hash-store database client): hash records of a directory
 * tree with their history, the paths whose target hash is not reached yet, a scan log, and the
 * integrity checks between records and the listings of their parents.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Stream from "effect/Stream"
import type { HashLog, LogQuery } from "../schemas/HashLog.js"
import type { HashField, HashRecord } from "../schemas/HashRecord.js"
import type { RepositoryError } from "./Repository.js"

/**
 * What `deleteLogs` did.
 *
 * @since 0.1.0
 * @category models
 */
export interface DeletedLogs {
  readonly deleted: number
  /** The ids that had no entry (each given id once). */
  readonly notFound: ReadonlyArray<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface HashStoreService {
  /** The record of a path; a malformed path is `ValidationError`. */
  readonly getRecord: (path: string) => Effect.Effect<Option.Option<HashRecord>, RepositoryError>
  /**
   * Inserts or updates a path's record in one transaction. A new hash moves the old one to
   * `prev_hash` / `prev_dtg_latest` and restarts `current_dtg_first`; the same hash only moves
   * `current_dtg_latest`. Times come from the `Clock`. Concurrent puts of one path apply one after
   * the other: the existing record is read with a lock, so each put's `prev_hash` is the hash the
   * put before it wrote, and none is lost. Two first puts that race to insert both succeed: the
   * second runs again and updates the first's record.
   */
  readonly putHash: (input: unknown) => Effect.Effect<HashRecord, RepositoryError>
  /** One field of a path's record; `None` when there is no record or the field is empty. */
  readonly getField: <F extends HashField>(
    path: string,
    field: F
  ) => Effect.Effect<Option.Option<NonNullable<HashRecord[F]>>, RepositoryError>
  /** The paths whose target hash is set and differs from the current one, in path order. */
  readonly priorityUpdates: () => Effect.Effect<ReadonlyArray<string>, RepositoryError>
  /** Validates a log entry (`HashLogInput`), stamps it with the `Clock`'s time and stores it; returns its id. */
  readonly putLog: (entry: unknown) => Effect.Effect<string, RepositoryError>
  /** Log entries: a window, a sort column allowed by the access policy, filters by session and age. */
  readonly getLogs: (query?: LogQuery) => Effect.Effect<ReadonlyArray<HashLog>, RepositoryError>
  /**
   * Deletes entries by id (at most 1,000 at once), in one transaction: a locking read of the
   * entries and one `DELETE` (`Repository.deleteMany`).
   */
  readonly deleteLogs: (ids: ReadonlyArray<string>) => Effect.Effect<DeletedLogs, RepositoryError>
  /**
   * Records whose parent has a record that does not list them (in dirs, files or links). Records
   * whose parent has no record are roots, not orphans. Read in pages, never the whole table at once.
   */
  readonly orphans: () => Stream.Stream<string, RepositoryError>
  /** Paths a record lists in `dirs` that have no record of their own. Read in pages. */
  readonly untrackedChildren: () => Stream.Stream<string, RepositoryError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class HashStore extends Context.Tag("effect-dao/HashStore")<HashStore, HashStoreService>() {}
