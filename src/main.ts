/**
 * The program: reads configuration, builds the backends (embedded ones when none is configured),
 * applies the migrations, runs a day at a mining site through the DAOs, reports health, and
 * releases everything however it ends.
 *
 * @since 0.1.0
 */
import { NodeRuntime } from "@effect/platform-node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { seedDemoRegions } from "./fixtures/DemoRegions.js"
import * as AccessPolicy from "./layers/AccessPolicy.js"
import { RedisLive, SqlLive } from "./layers/App.js"
import * as AssetCyclesLayer from "./layers/AssetCycles.js"
import * as CacheLayer from "./layers/Cache.js"
import * as Health from "./layers/Health.js"
import * as RedisSourceLayer from "./layers/RedisSource.js"
import { RetryPolicy } from "./layers/Resilience.js"
import { migrate } from "./migrations/index.js"
import * as KeyPattern from "./schemas/KeyPattern.js"
import { AssetCycles } from "./services/AssetCycles.js"
import { Cache } from "./services/Cache.js"
import { Health as HealthTag } from "./services/Health.js"
import { RedisSource } from "./services/RedisSource.js"

const SiteSummary = Schema.Struct({ site: Schema.String, inProgress: Schema.Number })

const program = Effect.gen(function*() {
  const cycles = yield* AssetCycles
  const cache = yield* Cache
  const site = `site-${Date.now().toString(36)}`

  const started = yield* Effect.forEach(
    ["truck-101", "truck-102", "loader-7"],
    (asset) => cycles.insert({ asset_guid: asset, site_guid: site, current_work_state_id: 1 })
  )
  const [first, second] = started
  if (first && second) {
    yield* cycles.advance(first.cycle_id, 2)
    yield* cycles.complete(second.cycle_id)
  }

  // Cache-aside: the first read loads from the database, the second is served by the cache.
  const summaryKey = KeyPattern.make("site:{site_id}:summary")({ site_id: site })
  const loadSummary = Effect.map(
    cycles.inProgress({ page: 1, perPage: 1 }, site),
    (page) => ({ site, inProgress: page.total })
  )
  const summary = yield* cache.getOrSet(summaryKey, SiteSummary, loadSummary, { ttl: "1 minute" })
  const cached = yield* cache.get(summaryKey, SiteSummary)
  yield* Effect.logInfo(
    `${site}: ${summary.inProgress} cycles in progress (cached: ${cached._tag === "Some" ? "yes" : "no"})`
  )

  // Region data from Redis: only the latest version of each region unless all are asked for.
  const source = yield* RedisSource
  yield* seedDemoRegions
  const latest = yield* source.assetRegions("truck-123")
  const all = yield* source.assetRegions("truck-123", { includeAllVersions: true })
  yield* Effect.logInfo(
    `truck-123: ${latest.length} regions (${
      latest.map((r) => `${r.regionId} v${r.version}`).join(", ")
    }); ${all.length} versions in all`
  )

  const health = yield* Effect.flatMap(HealthTag, (h) => h.check)
  for (const backend of health.backends) {
    yield* Effect.logInfo(
      `health ${backend.component}: ${backend.backend} ${backend.target} ${backend.status}` +
        (backend.latencyMillis !== undefined ? ` in ${backend.latencyMillis.toFixed(1)} ms` : "")
    )
  }
})

const Backends = Layer.mergeAll(SqlLive, RedisLive)

// The cache's and the source's settings are read before the schema is touched: a bad one fails the
// program before any migration runs.
const Migrated = Layer.effectDiscard(
  Effect.flatMap(
    Effect.zipRight(Effect.all([CacheLayer.cacheConfig, RedisSourceLayer.redisSourceConfig]), migrate),
    (applied) =>
      Effect.logInfo(
        applied.length > 0 ? `migrations applied: ${applied.map(([, name]) => name).join(", ")}` : "schema up to date"
      )
  )
)

const App = Layer.mergeAll(
  AssetCyclesLayer.AssetCyclesLive.pipe(Layer.provide(AccessPolicy.layer(AssetCyclesLayer.tables))),
  CacheLayer.CacheLive,
  RedisSourceLayer.RedisSourceLive,
  Health.layer()
).pipe(
  Layer.provide(Migrated),
  Layer.provideMerge(Backends),
  Layer.provideMerge(RetryPolicy.layerConfig)
)

program.pipe(
  Effect.provide(App),
  NodeRuntime.runMain
)
