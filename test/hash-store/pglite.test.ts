import * as Embedded from "../../src/layers/Embedded.js"
import { suite } from "../contracts/HashStore.js"
import { onSql } from "./layers.js"

suite("HashStore (pglite)", onSql(Embedded.layer()))
