import { assert, it } from "@effect/vitest"
import { describeLive, pgUrl, redisUrl } from "../support/services.js"
import { runProgram } from "./run.js"

await describeLive("postgres", "npm start with DATABASE_URL and REDIS_URL", () => {
  it("uses the configured servers and exits 0", async () => {
    const run = await runProgram({ DATABASE_URL: pgUrl, REDIS_URL: redisUrl })
    assert.strictEqual(run.code, 0, run.output)
    assert.include(run.output, "SQL: PostgreSQL (configured)")
    assert.include(run.output, "Redis: server at 127.0.0.1:6379/0")
    assert.match(run.output, /site-\w+: 2 cycles in progress \(cached: yes\)/)
    assert.match(run.output, /health sql: \w+ .* up/)
    assert.notInclude(run.output, "embedded")
  }, 120_000)

  it("exits non-zero with a typed error when the configured database is unreachable", async () => {
    const run = await runProgram({ DATABASE_URL: "postgres://app:Main-Secret-6620@127.0.0.1:1/test" })
    assert.notStrictEqual(run.code, 0)
    assert.include(run.output, "ConnectionError")
    assert.notInclude(run.output, "Main-Secret-6620")
  }, 120_000)
})
