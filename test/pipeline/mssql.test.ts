import { layerMssql } from "../../src/layers/Sql.js"
import { suite } from "../contracts/Pipeline.js"
import { describeLive, mssqlOptions } from "../support/services.js"
import { onSql } from "./layers.js"

await describeLive("mssql", "Pipeline (mssql)", () => suite("contract", () => onSql(layerMssql(mssqlOptions ?? {}))))
