import { layerMysql } from "../../src/layers/Sql.js"
import { suite } from "../contracts/Core.js"
import { describeLive, mysqlOptions } from "../support/services.js"
import { onSql } from "./layers.js"

await describeLive("mariadb", "Core (mariadb)", () => suite("contract", () => onSql(layerMysql(mysqlOptions))))
