import * as Layer from "effect/Layer"
import * as CacheLayer from "../../src/layers/Cache.js"
import * as Redis from "../../src/layers/Redis.js"
import { layerPg } from "../../src/layers/Sql.js"
import { suite } from "../contracts/Users.js"
import { describeLive, pgOptions, redisOptions, uniqueName } from "../support/services.js"
import { onSql } from "./layers.js"

// PostgreSQL with the cache on live Redis, under a namespace of its own.
const cache = CacheLayer.layer({ namespace: uniqueName("users"), defaultTtl: "5 minutes" }).pipe(
  Layer.provide(Redis.layer(redisOptions))
)

await describeLive("postgres", "Users (postgres + redis)", () => suite("contract", onSql(layerPg(pgOptions), cache)))
