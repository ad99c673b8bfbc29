import * as Layer from "effect/Layer"
import * as AccessPolicy from "../../src/layers/AccessPolicy.js"
import { AssetCyclesTest, tables } from "../../src/layers/AssetCycles.js"
import { suite } from "../contracts/AssetCycles.js"

suite("AssetCycles (memory)", AssetCyclesTest.pipe(Layer.provide(AccessPolicy.layer(tables))))
