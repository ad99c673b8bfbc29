import type * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AccessPolicy from "../../src/layers/AccessPolicy.js"
import { AssetCyclesLive, tables } from "../../src/layers/AssetCycles.js"
import type { SqlBackend } from "../../src/layers/Sql.js"
import { migrate } from "../../src/migrations/index.js"

/** The SQL DAO on a backend, after the migrations (which are idempotent). */
export const onSql = <E>(backend: Layer.Layer<SqlClient.SqlClient | SqlBackend, E>) =>
  AssetCyclesLive.pipe(
    Layer.provide(AccessPolicy.layer(tables)),
    Layer.provide(Layer.effectDiscard(Effect.orDie(migrate)).pipe(Layer.provideMerge(backend)))
  )
