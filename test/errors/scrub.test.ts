import { describe, expect, it } from "@effect/vitest"
import { scrub } from "../../src/errors.js"

describe("scrub", () => {
  it("hides URL passwords and password= values, keeps the rest", () => {
    expect(scrub("connect postgres://app:hunter22@db:5432/x failed", [])).toBe(
      "connect postgres://app:***@db:5432/x failed"
    )
    expect(scrub("password=hunter22; host=db", [])).toBe("password=***; host=db")
    expect(scrub(`auth: "a b c" denied`, [])).toBe(`auth: *** denied`)
  })

  it("keeps MySQL's (using password: YES) and (using password: NO), which hold no password", () => {
    const message = "Access denied for user 'root'@'localhost' (using password: YES)"
    expect(scrub(message, [])).toBe(message)
    expect(scrub("(using password: NO)", [])).toBe("(using password: NO)")
  })

  it("cuts a known secret out whole, even one with '@' in it that a URL pattern would split", () => {
    const out = scrub("postgres://admin:p@ssw0rd@db/x", ["p@ssw0rd"])
    expect(out).not.toContain("ssw0rd")
    expect(out).toBe("postgres://admin:***@db/x")
  })

  it("cuts a secret under four characters out where it stands alone, leaving words that hold it", () => {
    expect(scrub("login with pw failed (pw), pwd and xpw kept", ["pw"])).toBe(
      "login with *** failed (***), pwd and xpw kept"
    )
    expect(scrub("secret a+ given, a+b kept", ["a+"])).toBe("secret *** given, a+b kept")
  })
})
