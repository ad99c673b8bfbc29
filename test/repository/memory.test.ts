import * as Layer from "effect/Layer"
import { RepositoryTest } from "../../src/layers/Repository.js"
import { memoryTables, suite } from "../contracts/Repository.js"

suite("Repository (memory)", Layer.merge(RepositoryTest, memoryTables))
