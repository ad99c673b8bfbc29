import * as CacheLayer from "../../src/layers/Cache.js"
import { suite } from "../contracts/Cache.js"

suite("Cache contract: in-memory test layer", CacheLayer.CacheTest, { clock: "test" })
suite("Cache contract: in-memory test layer with a namespace", CacheLayer.layerTest({ namespace: "app:v2" }), {
  clock: "test"
})
