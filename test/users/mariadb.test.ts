import { CacheTest } from "../../src/layers/Cache.js"
import { layerMysql } from "../../src/layers/Sql.js"
import { suite } from "../contracts/Users.js"
import { describeLive, mysqlOptions } from "../support/services.js"
import { onSql } from "./layers.js"

await describeLive("mariadb", "Users (mariadb)", () => suite("contract", onSql(layerMysql(mysqlOptions), CacheTest)))
