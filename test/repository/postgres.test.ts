import * as Layer from "effect/Layer"
import { RepositoryLive } from "../../src/layers/Repository.js"
import { layerPg } from "../../src/layers/Sql.js"
import { sqlTables, suite } from "../contracts/Repository.js"
import { describeLive, pgOptions } from "../support/services.js"

await describeLive(
  "postgres",
  "Repository (postgres)",
  () => suite("contract", Layer.merge(RepositoryLive, sqlTables).pipe(Layer.provide(layerPg(pgOptions))))
)
