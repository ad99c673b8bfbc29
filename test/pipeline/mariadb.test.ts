import { layerMysql } from "../../src/layers/Sql.js"
import { suite } from "../contracts/Pipeline.js"
import { describeLive, mysqlOptions } from "../support/services.js"
import { onSql } from "./layers.js"

await describeLive("mariadb", "Pipeline (mariadb)", () => suite("contract", () => onSql(layerMysql(mysqlOptions))))
