import type * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AccessPolicy from "../../src/layers/AccessPolicy.js"
import * as CoreLayer from "../../src/layers/Core.js"
import type { SqlBackend } from "../../src/layers/Sql.js"
import { createCoreTables, dropCoreTables } from "../../src/migrations/HashStore.js"
import type { CoreTables } from "../../src/schemas/CoreSite.js"
import { uniqueName } from "../support/services.js"

/** Table names no other test (or run) uses. */
export const freshCoreTables = (): CoreTables => {
  const base = uniqueName("core")
  return { sites: `${base}_sites`, baselines: `${base}_baselines`, logs: `${base}_logs` }
}

/** The tables, created for the layer's lifetime and dropped after it. */
export const ownCoreTables = (names: CoreTables) =>
  Layer.scopedDiscard(
    Effect.acquireRelease(Effect.orDie(createCoreTables(names)), () => Effect.orDie(dropCoreTables(names)))
  )

/** The core in memory. */
export const inMemory = () => {
  const names = freshCoreTables()
  return CoreLayer.layerTest(names).pipe(Layer.provide(AccessPolicy.layer(CoreLayer.tablesFor(names))))
}

/** The core on a SQL backend, on tables of its own. */
export const onSql = <E>(
  backend: Layer.Layer<SqlClient.SqlClient | SqlBackend, E>,
  names: CoreTables = freshCoreTables()
) =>
  CoreLayer.layerLive(names).pipe(
    Layer.provide(AccessPolicy.layer(CoreLayer.tablesFor(names))),
    Layer.provide(ownCoreTables(names).pipe(Layer.provideMerge(backend)))
  )
