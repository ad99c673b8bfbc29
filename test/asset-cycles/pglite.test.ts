import * as Embedded from "../../src/layers/Embedded.js"
import { suite } from "../contracts/AssetCycles.js"
import { onSql } from "./layers.js"

suite("AssetCycles (pglite)", onSql(Embedded.layer()))
