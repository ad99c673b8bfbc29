import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { program, Test } from "../../examples/swap-layers.js"

it.effect("the README example runs on the test layer", () =>
  Effect.gen(function*() {
    const completed = yield* program.pipe(Effect.provide(Test))
    assert.strictEqual(completed.cycle_status, "COMPLETE")
    assert.strictEqual(completed.asset_guid, "truck-123")
  }))
