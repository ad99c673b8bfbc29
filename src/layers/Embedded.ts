/**
 * The embedded PostgreSQL backend: PGlite (PostgreSQL compiled to WASM) served in-process over
 * the PostgreSQL wire protocol on a loopback port, so the ordinary pooled PostgreSQL layer is used
 * unchanged. For programs run with no database configured, demos and tests.
 *
 * @since 0.1.0
 */
import type * as PgClient from "@effect/sql-pg/PgClient"
import type * as SqlClient from "@effect/sql/SqlClient"
import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { ConnectionError } from "../errors.js"
import { atMost } from "./Deadline.js"
import type { SqlBackend } from "./Sql.js"
import { layerPg } from "./Sql.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface EmbeddedOptions {
  /** Where PGlite keeps its files; in memory when absent. */
  readonly dataDir?: string | undefined
  /** Connections the socket server accepts at once (and the pool size). Default 4. */
  readonly maxConnections?: number | undefined
}

/**
 * Starts PGlite and its socket server on 127.0.0.1 at a free port; both stop when the scope
 * closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeServer = (
  options: EmbeddedOptions = {}
): Effect.Effect<{ readonly host: string; readonly port: number }, ConnectionError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const db = await PGlite.create(options.dataDir)
        const server = new PGLiteSocketServer({
          db,
          host: "127.0.0.1",
          port: 0,
          maxConnections: options.maxConnections ?? 4
        })
        await server.start()
        return { db, server }
      },
      catch: (cause) =>
        new ConnectionError({
          backend: "postgres",
          operation: "start embedded PostgreSQL",
          reason: "Unavailable",
          detail: cause instanceof Error ? cause.message : String(cause)
        })
    }),
    ({ db, server }) => Effect.promise(() => server.stop().then(() => db.close())).pipe(atMost("5 seconds"))
  ).pipe(
    Effect.map(({ server }) => {
      const [host = "127.0.0.1", port = "0"] = server.getServerConn().split(":")
      return { host, port: Number(port) }
    })
  )

/**
 * A pooled `PgClient` / `SqlClient` / `SqlBackend` over an embedded PGlite.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: EmbeddedOptions = {}
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient | SqlBackend, ConnectionError, never> =>
  Layer.unwrapScoped(
    Effect.map(makeServer(options), ({ host, port }) =>
      layerPg({
        host,
        port,
        database: "postgres",
        username: "postgres",
        maxConnections: options.maxConnections ?? 4,
        // The socket server answers COPY FROM STDIN by dropping the connection: bulk loads insert.
        copy: false
      }))
  )
