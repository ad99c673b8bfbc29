import * as Layer from "effect/Layer"
import { layerMssql } from "../../src/layers/Sql.js"
import { sqlFixture, suite } from "../contracts/Analytics.js"
import { describeLive, mssqlOptions } from "../support/services.js"

await describeLive(
  "mssql",
  "Analytics (mssql)",
  () => suite("contract", sqlFixture.pipe(Layer.provide(layerMssql(mssqlOptions ?? {}))))
)
