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

describe("scrub, with no secret registered", () => {
  it("hides the values of prefixed keys: PGPASSWORD, DB_PASSWORD, MYSQL_PWD, client_secret", () => {
    expect(scrub("env PGPASSWORD=hunter2xyz psql", [])).toBe("env PGPASSWORD=*** psql")
    expect(scrub("DB_PASSWORD=hunter2xyz, MYSQL_PWD=hunter2xyz", [])).toBe("DB_PASSWORD=***, MYSQL_PWD=***")
    expect(scrub("client_secret: hunter2xyz", [])).toBe("client_secret: ***")
    // Words that only hold a key's letters are left.
    const message = "postgres connect: AuthFailed: password authentication failed for user \"app\" (author: ops)"
    expect(scrub(message, [])).toBe(message)
  })

  it("hides a quoted key's value, as JSON writes it", () => {
    expect(scrub(`{"user":"app","password":"hunter2xyz"}`, [])).toBe(`{"user":"app","password":***}`)
    expect(scrub(`{ "password" : "hunter2xyz" }`, [])).toBe(`{ "password" : *** }`)
  })

  it("hides the arguments of a Redis AUTH", () => {
    expect(scrub("command AUTH hunter2xyz failed", [])).not.toContain("hunter2xyz")
    expect(scrub("AUTH default hunter2xyz", [])).toBe("AUTH ***")
  })

  it("hides a URL password holding an unencoded '@' whole", () => {
    expect(scrub("postgres://u:hun@ter2xyz@host/db", [])).toBe("postgres://u:***@host/db")
  })
})
