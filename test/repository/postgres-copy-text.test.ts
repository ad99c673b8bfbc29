/**
 * The COPY text format of PostgreSQL bulk loads, checked without a server: each value written as
 * node-postgres sends it as a parameter, escaped for the text format.
 */
import { describe, expect, it } from "@effect/vitest"
import Pg from "pg"
import * as Copy from "../../src/layers/Copy.js"

const prepareValue = (Pg as unknown as { readonly utils: { readonly prepareValue: (value: unknown) => unknown } })
  .utils.prepareValue

describe("COPY text format", () => {
  it("NULL, booleans, numbers and strings, with tab, newline, carriage return and backslash escaped", () => {
    expect([null, undefined].map(Copy.field)).toEqual(["\\N", "\\N"])
    expect([true, false].map(Copy.field)).toEqual(["true", "false"])
    expect([0, -1.5, 0.1 + 0.2, 1e21, Number.NaN, 2n ** 70n].map(Copy.field)).toEqual([
      "0",
      "-1.5",
      "0.30000000000000004",
      "1e+21",
      "NaN",
      "1180591620717411303424"
    ])
    expect(Copy.field("a\tb\nc\rd\\e")).toBe("a\\tb\\nc\\rd\\\\e")
    // A string that reads like NULL or the end marker stays a string.
    expect([Copy.field("\\N"), Copy.field("\\."), Copy.field("NULL"), Copy.field("")]).toEqual([
      "\\\\N",
      "\\\\.",
      "NULL",
      ""
    ])
    expect(Copy.field("quotes ' \" and unicode é 漢字 🚀")).toBe("quotes ' \" and unicode é 漢字 🚀")
  })

  it("dates are written as node-postgres writes them, years outside 1..9999 through node-postgres itself", () => {
    const dates = [
      new Date(Date.UTC(2026, 0, 1, 0, 0, 1)),
      new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999)),
      new Date(Date.UTC(2000, 1, 29, 12, 30, 45, 7)),
      new Date("0001-01-01T00:00:00.000Z"),
      new Date("9999-12-31T23:59:59.999Z"),
      new Date("+012000-06-01T00:00:00.000Z"),
      new Date("-000100-06-01T00:00:00.000Z")
    ]
    for (const date of dates) expect(Copy.field(date)).toBe(prepareValue(date))
  })

  it("a date names the same instant whatever the process's offset", () => {
    for (const offset of [-330, -120, 0, 60, 570]) {
      const date = new Date(Date.UTC(2026, 5, 30, 23, 15, 30, 250))
      date.getTimezoneOffset = () => offset
      const text = Copy.field(date)
      expect(new Date(text).getTime()).toBe(date.getTime())
    }
  })

  it("bytes as \\x hex, arrays as array literals, objects as JSON, all escaped", () => {
    expect(Copy.field(Buffer.from([0, 1, 254, 255]))).toBe("\\\\x0001feff")
    expect(Copy.field(new Uint8Array([16, 32]))).toBe("\\\\x1020")
    expect(Copy.field([1, "a,b", null, "tab\there"])).toBe(
      String(prepareValue([1, "a,b", null, "tab\there"]))
        .replaceAll("\\", "\\\\").replaceAll("\t", "\\t")
    )
    expect(Copy.field({ note: "line\nbreak" })).toBe("{\"note\":\"line\\\\nbreak\"}")
  })

  it("rows are lines of tab-separated fields in the order of the columns; identifiers are quoted", () => {
    const rows = [{ b: 2, a: "x\ty" }, { a: null, b: 3, extra: "ignored" }]
    expect(Copy.lines(["a", "b"], rows)).toBe("x\\ty\t2\n\\N\t3\n")
    expect(Copy.statement("my table", ["id", "we\"ird"])).toBe("COPY \"my table\" (\"id\", \"we\"\"ird\") FROM STDIN")
  })
})
