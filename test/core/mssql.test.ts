import { layerMssql } from "../../src/layers/Sql.js"
import { suite } from "../contracts/Core.js"
import { describeLive, mssqlOptions } from "../support/services.js"
import { onSql } from "./layers.js"

await describeLive("mssql", "Core (mssql)", () => suite("contract", () => onSql(layerMssql(mssqlOptions ?? {}))))
