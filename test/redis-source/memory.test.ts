import * as RedisSourceLayer from "../../src/layers/RedisSource.js"
import { suite } from "../contracts/RedisSource.js"

suite("RedisSource contract: in-memory test layer", RedisSourceLayer.RedisSourceTest, { clock: "test" })
suite(
  "RedisSource contract: in-memory test layer with a namespace",
  RedisSourceLayer.layerTest({ namespace: "mine:site-7" }),
  { clock: "test" }
)
