import type * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AccessPolicy from "../../src/layers/AccessPolicy.js"
import * as HashStoreLayer from "../../src/layers/HashStore.js"
import type { SqlBackend } from "../../src/layers/Sql.js"
import { createTables, dropTables } from "../../src/migrations/HashStore.js"
import type { HashStoreTables } from "../../src/schemas/HashRecord.js"
import { uniqueName } from "../support/services.js"

/** Table names no other test file (or run) uses. */
export const freshTables = (): HashStoreTables => {
  const base = uniqueName("hs")
  return { records: `${base}_records`, logs: `${base}_logs` }
}

/** The tables, created for the layer's lifetime and dropped after it. */
export const ownTables = (names: HashStoreTables) =>
  Layer.scopedDiscard(Effect.acquireRelease(Effect.orDie(createTables(names)), () => Effect.orDie(dropTables(names))))

/** The store in memory. */
export const inMemory = () => {
  const names = freshTables()
  return HashStoreLayer.layerTest(names).pipe(Layer.provide(AccessPolicy.layer(HashStoreLayer.tablesFor(names))))
}

/** The store on a SQL backend, on tables of its own. */
export const onSql = <E>(
  backend: Layer.Layer<SqlClient.SqlClient | SqlBackend, E>,
  names: HashStoreTables = freshTables()
) =>
  HashStoreLayer.layerLive(names).pipe(
    Layer.provide(AccessPolicy.layer(HashStoreLayer.tablesFor(names))),
    Layer.provide(ownTables(names).pipe(Layer.provideMerge(backend)))
  )
