import { assert, it } from "@effect/vitest"
import { Redis } from "ioredis"
import { describeLive, pgUrl, redisUrl, uniqueName } from "../support/services.js"
import { runProgram } from "./run.js"

await describeLive("postgres", "npm start with DATABASE_URL and REDIS_URL", () => {
  it("uses the configured servers and exits 0", async () => {
    const namespace = uniqueName("main")
    const run = await runProgram({
      DATABASE_URL: pgUrl,
      REDIS_URL: redisUrl,
      CACHE_NAMESPACE: namespace,
      REDIS_SOURCE_NAMESPACE: namespace
    })
    const redis = new Redis(redisUrl)
    const keys = await redis.keys(`${namespace}:*`).finally(() => undefined)
    if (keys.length > 0) await redis.unlink(...keys)
    await redis.quit()
    assert.isAbove(keys.length, 0, "the program wrote its demo data under the namespace")
    assert.strictEqual(run.code, 0, run.output)
    assert.include(run.output, "SQL: PostgreSQL (configured)")
    assert.include(run.output, "Redis: server at 127.0.0.1:6379/0")
    assert.match(run.output, /site-\w+: 2 cycles in progress \(cached: yes\)/)
    assert.match(run.output, /health sql: \w+ .* up/)
    assert.include(run.output, "truck-123: 3 regions (crusher-1 v2, haul-road-a v1, pit-north v3); 6 versions in all")
    assert.notInclude(run.output, "embedded")
  }, 120_000)

  it("exits non-zero with a typed error when the configured database is unreachable", async () => {
    const run = await runProgram({ DATABASE_URL: "postgres://app:Main-Secret-6620@127.0.0.1:1/test" })
    assert.notStrictEqual(run.code, 0)
    assert.include(run.output, "ConnectionError")
    assert.notInclude(run.output, "Main-Secret-6620")
  }, 120_000)
})
