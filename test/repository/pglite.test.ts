import * as Layer from "effect/Layer"
import * as Embedded from "../../src/layers/Embedded.js"
import { RepositoryLive } from "../../src/layers/Repository.js"
import { sqlTables, suite } from "../contracts/Repository.js"

suite("Repository (pglite)", Layer.merge(RepositoryLive, sqlTables).pipe(Layer.provide(Embedded.layer())))
