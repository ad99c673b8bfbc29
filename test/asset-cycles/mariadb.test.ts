import { layerMysql } from "../../src/layers/Sql.js"
import { suite } from "../contracts/AssetCycles.js"
import { describeLive, mysqlOptions } from "../support/services.js"
import { onSql } from "./layers.js"

await describeLive("mariadb", "AssetCycles (mariadb)", () => suite("contract", onSql(layerMysql(mysqlOptions))))
