import * as Layer from "effect/Layer"
import { RepositoryLive } from "../../src/layers/Repository.js"
import { layerMssql } from "../../src/layers/Sql.js"
import { sqlTables, suite } from "../contracts/Repository.js"
import { describeLive, mssqlOptions } from "../support/services.js"

await describeLive("mssql", "Repository (mssql)", () =>
  suite(
    "contract",
    Layer.merge(RepositoryLive, sqlTables).pipe(Layer.provide(layerMssql(mssqlOptions ?? {}))),
    { sideBySide: true, readsBeside: true }
  ))
