import type * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AccessPolicy from "../../src/layers/AccessPolicy.js"
import * as PipelineLayer from "../../src/layers/Pipeline.js"
import type { SqlBackend } from "../../src/layers/Sql.js"
import { createTables, dropTables } from "../../src/migrations/Pipeline.js"
import type { PipelineTables } from "../../src/schemas/PipelineUpdate.js"
import { uniqueName } from "../support/services.js"

/** Table names no other test (or run) uses. */
export const freshPipelineTables = (): PipelineTables => {
  const base = uniqueName("pl")
  return { updates: `${base}_updates`, sites: `${base}_sites`, completions: `${base}_completions` }
}

/** The tables, created for the layer's lifetime and dropped after it. */
export const ownPipelineTables = (names: PipelineTables) =>
  Layer.scopedDiscard(Effect.acquireRelease(Effect.orDie(createTables(names)), () => Effect.orDie(dropTables(names))))

/** The pipeline in memory. */
export const inMemory = () => {
  const names = freshPipelineTables()
  return PipelineLayer.layerTest(names).pipe(Layer.provide(AccessPolicy.layer(PipelineLayer.tablesFor(names))))
}

/** The pipeline on a SQL backend, on tables of its own. */
export const onSql = <E>(
  backend: Layer.Layer<SqlClient.SqlClient | SqlBackend, E>,
  names: PipelineTables = freshPipelineTables()
) =>
  PipelineLayer.layerLive(names).pipe(
    Layer.provide(AccessPolicy.layer(PipelineLayer.tablesFor(names))),
    Layer.provide(ownPipelineTables(names).pipe(Layer.provideMerge(backend)))
  )
