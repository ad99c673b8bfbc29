import { suite } from "../contracts/Core.js"
import { inMemory } from "./layers.js"

suite("Core (memory)", inMemory)
