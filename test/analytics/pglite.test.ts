import * as Layer from "effect/Layer"
import * as Embedded from "../../src/layers/Embedded.js"
import { sqlFixture, suite } from "../contracts/Analytics.js"

suite("Analytics (pglite)", sqlFixture.pipe(Layer.provide(Embedded.layer())))
