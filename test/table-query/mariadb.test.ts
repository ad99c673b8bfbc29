import * as Layer from "effect/Layer"
import { layerMysql } from "../../src/layers/Sql.js"
import { sqlFixture, suite } from "../contracts/TableQuery.js"
import { describeLive, mysqlOptions } from "../support/services.js"

await describeLive(
  "mariadb",
  "TableQuery (mariadb)",
  () => suite("contract", sqlFixture.pipe(Layer.provide(layerMysql(mysqlOptions))))
)
