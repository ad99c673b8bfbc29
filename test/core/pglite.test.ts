import * as Embedded from "../../src/layers/Embedded.js"
import { suite } from "../contracts/Core.js"
import { onSql } from "./layers.js"

suite("Core (pglite)", () => onSql(Embedded.layer()))
