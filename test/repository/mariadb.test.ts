import * as Layer from "effect/Layer"
import { RepositoryLive } from "../../src/layers/Repository.js"
import { layerMysql } from "../../src/layers/Sql.js"
import { sqlTables, suite } from "../contracts/Repository.js"
import { describeLive, mysqlOptions } from "../support/services.js"

await describeLive(
  "mariadb",
  "Repository (mariadb)",
  () => suite("contract", Layer.merge(RepositoryLive, sqlTables).pipe(Layer.provide(layerMysql(mysqlOptions))))
)
