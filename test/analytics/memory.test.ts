import { memoryFixture, suite } from "../contracts/Analytics.js"

suite("Analytics (memory)", memoryFixture)
