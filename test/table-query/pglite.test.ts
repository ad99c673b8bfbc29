import * as Layer from "effect/Layer"
import * as Embedded from "../../src/layers/Embedded.js"
import { sqlFixture, suite } from "../contracts/TableQuery.js"

suite("TableQuery (pglite)", sqlFixture.pipe(Layer.provide(Embedded.layer())))
