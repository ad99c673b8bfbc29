import { suite } from "../contracts/Users.js"
import { inMemory } from "./layers.js"

suite("Users (memory)", inMemory)
