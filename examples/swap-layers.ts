import { Effect, Layer } from "effect"
import * as AccessPolicy from "../src/layers/AccessPolicy.js"
import { AssetCyclesLive, AssetCyclesTest, tables } from "../src/layers/AssetCycles.js"
import * as Sql from "../src/layers/Sql.js"
import { migrate } from "../src/migrations/index.js"
import { AssetCycles } from "../src/services/AssetCycles.js"

// The program only names the service it needs.
export const program = Effect.gen(function*() {
  const cycles = yield* AssetCycles
  const cycle = yield* cycles.insert({ asset_guid: "truck-123", site_guid: "site-456", current_work_state_id: 3 })
  return yield* cycles.complete(cycle.cycle_id)
})

const Policy = AccessPolicy.layer(tables)
const Postgres = Sql.layerPgConfig.pipe(Layer.tap((context) => Effect.orDie(Effect.provide(migrate, context))))

// Live: PostgreSQL from DATABASE_URL / PGSQL_*. Tests: the same program, in memory.
export const Live = AssetCyclesLive.pipe(Layer.provide(Policy), Layer.provide(Postgres))
export const Test = AssetCyclesTest.pipe(Layer.provide(Policy))

// Effect.runPromise(program.pipe(Effect.provide(Live)))
