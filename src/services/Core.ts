/**
 * The hash-store DAO, core tier (seed: hash-store database client): the central view over many
 * sites — their reports, the official baselines, the central log — and the dashboard built from
 * them. It usually lives in another database than the remote tier (`HashStore`); each is given
 * its own `SqlClient`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { Baseline, CoreSite, Dashboard } from "../schemas/CoreSite.js"
import type { HashLog } from "../schemas/HashLog.js"
import type { RepositoryError } from "./Repository.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface CoreService {
  /** A site reports in (`SiteReport`): it is seen now; a new root hash restarts `hash_dtg`. */
  readonly reportSite: (report: unknown) => Effect.Effect<CoreSite, RepositoryError>
  /** Records an official baseline made now; a known one is returned unchanged. */
  readonly putBaseline: (hash: string) => Effect.Effect<Baseline, RepositoryError>
  /** Stores a central log entry (`HashLogInput`) stamped with the `Clock`'s time; returns its id. */
  readonly putLog: (entry: unknown) => Effect.Effect<string, RepositoryError>
  /** The entries of the last 30 days, newest first, at most 1,000. */
  readonly recentLogs: () => Effect.Effect<ReadonlyArray<HashLog>, RepositoryError>
  /** The hash records the sites hold, as they last reported. */
  readonly hashRecordCount: () => Effect.Effect<number, RepositoryError>
  /** Entries of one level (DEBUG, INFO, WARNING, ERROR, CRITICAL) in the last 24 hours. */
  readonly logCountLast24h: (level: string) => Effect.Effect<number, RepositoryError>
  /** The dashboard; sites are read in pages, never all at once. */
  readonly dashboard: () => Effect.Effect<Dashboard, RepositoryError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Core extends Context.Tag("effect-dao/Core")<Core, CoreService>() {}
