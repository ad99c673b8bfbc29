import { layerPg } from "../../src/layers/Sql.js"
import { suite } from "../contracts/Pipeline.js"
import { describeLive, pgOptions } from "../support/services.js"
import { onSql } from "./layers.js"

await describeLive("postgres", "Pipeline (postgres)", () => suite("contract", () => onSql(layerPg(pgOptions))))
