/**
 * Dates inside array parameters on live PostgreSQL, in a zone whose offset had seconds (Amsterdam's
 * local mean time, +00:17:30 before 1892): sent in UTC and read back to the millisecond, where
 * node-postgres sent the local time with the offset cut to whole minutes; and `TIMESTAMP[]` and
 * `DATE[]` read as UTC wall times and days, as single values are.
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { assert, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Copy from "../../src/layers/Copy.js"
import * as Sql from "../../src/layers/Sql.js"
import { describeLive, pgOptions, uniqueName } from "../support/services.js"
import { inZone } from "../support/zone.js"

await describeLive("postgres", "dates in arrays on PostgreSQL", () => {
  it.live("an array of dates is stored and read back exactly, as a parameter and as COPY text", () =>
    inZone(
      "Europe/Amsterdam",
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const table = uniqueName("date_arrays")
        const dates = [new Date("1850-06-01T12:34:56.789Z"), new Date("2026-06-01T12:00:00.000Z")]
        // The COPY text of an array holds the instants in UTC.
        assert.strictEqual(Copy.text(dates), `{"1850-06-01T12:34:56.789+00:00","2026-06-01T12:00:00.000+00:00"}`)
        yield* sql`CREATE TABLE ${sql(table)} (id INTEGER PRIMARY KEY, ats TIMESTAMPTZ[] NOT NULL)`
        yield* Effect.gen(function*() {
          yield* sql`INSERT INTO ${sql(table)} (id, ats) VALUES (${1}, ${dates as never})`
          yield* sql`INSERT INTO ${sql(table)} (id, ats) VALUES (${2}, ${Copy.text(dates)}::timestamptz[])`
          const rows = yield* sql<{ readonly id: number; readonly ats: ReadonlyArray<Date> }>`
            SELECT id, ats FROM ${sql(table)} ORDER BY id`
          assert.deepStrictEqual(
            rows.map((row) => [row.id, row.ats.map((at) => at.toISOString())]),
            [1, 2].map((id) => [id, dates.map((at) => at.toISOString())])
          )
          const [naive] = yield* sql<{ readonly ats: ReadonlyArray<Date>; readonly days: ReadonlyArray<Date | null> }>`
            SELECT ${dates as never}::timestamp[] AS ats, ARRAY['2026-01-02'::date, NULL] AS days`
          assert.deepStrictEqual(naive?.ats.map((at) => at.toISOString()), dates.map((at) => at.toISOString()))
          assert.deepStrictEqual(naive?.days.map((day) => day?.toISOString() ?? null), [
            "2026-01-02T00:00:00.000Z",
            null
          ])
        }).pipe(Effect.ensuring(Effect.ignore(sql`DROP TABLE IF EXISTS ${sql(table)}`)))
      }).pipe(Effect.provide(Sql.layerPg(pgOptions)))
    ))
})
