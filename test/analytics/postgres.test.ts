import * as Layer from "effect/Layer"
import { layerPg } from "../../src/layers/Sql.js"
import { sqlFixture, suite } from "../contracts/Analytics.js"
import { describeLive, pgOptions } from "../support/services.js"

await describeLive(
  "postgres",
  "Analytics (postgres)",
  () => suite("contract", sqlFixture.pipe(Layer.provide(layerPg(pgOptions))))
)
