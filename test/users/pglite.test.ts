import { CacheTest } from "../../src/layers/Cache.js"
import * as Embedded from "../../src/layers/Embedded.js"
import { suite } from "../contracts/Users.js"
import { onSql } from "./layers.js"

suite("Users (pglite)", onSql(Embedded.layer(), CacheTest))
