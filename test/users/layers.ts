import type * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as AccessPolicy from "../../src/layers/AccessPolicy.js"
import * as CacheLayer from "../../src/layers/Cache.js"
import { RepositoryLive, RepositoryTest } from "../../src/layers/Repository.js"
import type { SqlBackend } from "../../src/layers/Sql.js"
import * as Users from "../../src/layers/Users.js"
import { migrate } from "../../src/migrations/index.js"
import type { Cache } from "../../src/services/Cache.js"

const policy = AccessPolicy.layer(Users.tables)

/** Users in memory, with the repositories it uses exposed to the suite. */
export const inMemory = Users.layer.pipe(
  Layer.provideMerge(Layer.mergeAll(RepositoryTest, CacheLayer.CacheTest, policy))
)

/** Users on a SQL backend (after the migrations) with the given cache. */
export const onSql = <E, E2>(
  backend: Layer.Layer<SqlClient.SqlClient | SqlBackend, E>,
  cache: Layer.Layer<Cache, E2>
) =>
  Users.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(RepositoryLive, cache, policy)),
    Layer.provide(Layer.effectDiscard(Effect.orDie(migrate)).pipe(Layer.provideMerge(backend)))
  )
