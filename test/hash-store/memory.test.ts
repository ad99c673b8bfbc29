import { suite } from "../contracts/HashStore.js"
import { inMemory } from "./layers.js"

suite("HashStore (memory)", inMemory())
