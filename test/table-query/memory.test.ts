import { memoryFixture, suite } from "../contracts/TableQuery.js"

suite("TableQuery (memory)", memoryFixture)
