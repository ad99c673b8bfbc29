import * as Layer from "effect/Layer"
import { layerMysql } from "../../src/layers/Sql.js"
import { sqlFixture, suite } from "../contracts/Analytics.js"
import { describeLive, mysqlOptions } from "../support/services.js"

await describeLive(
  "mariadb",
  "Analytics (mariadb)",
  () => suite("contract", sqlFixture.pipe(Layer.provide(layerMysql(mysqlOptions))))
)
