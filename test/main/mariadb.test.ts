import { assert, it } from "@effect/vitest"
import { describeLive, mysqlUrl } from "../support/services.js"
import { runProgram } from "./run.js"

await describeLive("mariadb", "npm start with MYSQL_URL", () => {
  it("runs the migrations and the work on MariaDB and exits 0", async () => {
    const run = await runProgram({ MYSQL_URL: mysqlUrl })
    assert.strictEqual(run.code, 0, run.output)
    assert.include(run.output, "SQL: MySQL/MariaDB (configured)")
    assert.match(run.output, /site-\w+: 2 cycles in progress \(cached: yes\)/)
    assert.include(run.output, "health sql: mariadb 127.0.0.1:3306/test up")
  }, 120_000)
})
