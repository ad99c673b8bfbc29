import { assert, describe, it } from "@effect/vitest"
import { runProgram } from "./run.js"

describe("npm start with nothing configured", () => {
  it("runs on the embedded defaults and exits 0", async () => {
    const run = await runProgram({})
    assert.strictEqual(run.code, 0, run.output)
    assert.include(run.output, "using embedded PGlite")
    assert.include(run.output, "using in-memory")
    assert.match(run.output, /site-\w+: 2 cycles in progress \(cached: yes\)/)
    assert.include(run.output, "truck-123: 3 regions (crusher-1 v2, haul-road-a v1, pit-north v3)")
    assert.match(run.output, /health sql: \w+ .* up/)
  }, 120_000)

  it("refuses bad configuration with a clear error and a non-zero exit", async () => {
    const run = await runProgram({ SQL_RETRIES: "abc" })
    assert.notStrictEqual(run.code, 0)
    assert.include(run.output, "SQL_RETRIES")
  }, 120_000)

  it("refuses a bad cache setting before any migration runs", async () => {
    const run = await runProgram({ CACHE_DEFAULT_TTL: "0 seconds" })
    assert.notStrictEqual(run.code, 0)
    assert.include(run.output, "CACHE_DEFAULT_TTL")
    assert.notInclude(run.output, "migrations applied")
    assert.notInclude(run.output, "schema up to date")
  }, 120_000)
})
