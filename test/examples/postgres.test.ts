import { assert, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import { Live, program } from "../../examples/swap-layers.js"
import { describeLive, pgUrl } from "../support/services.js"

await describeLive("postgres", "the README example on PostgreSQL", () => {
  it.live("runs on the live layer configured from DATABASE_URL", () =>
    Effect.gen(function*() {
      const completed = yield* program.pipe(Effect.provide(Live))
      assert.strictEqual(completed.cycle_status, "COMPLETE")
    }).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["DATABASE_URL", pgUrl]])))))
})
