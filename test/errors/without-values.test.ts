import { describe, expect, it } from "@effect/vitest"
import { withoutValues } from "../../src/errors.js"

describe("withoutValues", () => {
  it("cuts the values MySQL and MariaDB quote from a statement, keeping keys and columns", () => {
    expect(withoutValues("Duplicate entry 'tok-1234' for key 'api_key'")).toBe(
      "Duplicate entry '***' for key 'api_key'"
    )
    expect(withoutValues("Duplicate entry 'a' for key 'b' for key 'email'")).toBe(
      "Duplicate entry '***' for key 'email'"
    )
    expect(withoutValues("Incorrect integer value: 'abc' for column `test`.`t`.`n` at row 1")).toBe(
      "Incorrect integer value: '***' for column `test`.`t`.`n` at row 1"
    )
    expect(withoutValues("Incorrect datetime value: '2026-13-40' for column `test`.`t`.`d` at row 1")).toBe(
      "Incorrect datetime value: '***' for column `test`.`t`.`d` at row 1"
    )
    expect(withoutValues("Truncated incorrect DOUBLE value: 'x1'")).toBe("Truncated incorrect DOUBLE value: '***'")
    expect(withoutValues("Variable 'sql_mode' can't be set to the value of 'NOPE'")).toBe(
      "Variable 'sql_mode' can't be set to the value of '***'"
    )
  })

  it("cuts the values PostgreSQL quotes, keeping its quoted identifiers", () => {
    expect(withoutValues(`invalid input syntax for type integer: "hunter2"`)).toBe(
      `invalid input syntax for type integer: "***"`
    )
    expect(withoutValues(`invalid input value for enum mood: "a \\"b\\""`)).toBe(
      `invalid input value for enum mood: "***"`
    )
    expect(withoutValues(`value "99999999999" is out of range for type integer`)).toBe(
      `value "***" is out of range for type integer`
    )
    const identifiers = `duplicate key value violates unique constraint "users_email_key"`
    expect(withoutValues(identifiers)).toBe(identifiers)
    expect(withoutValues(`column "x" of relation "y" does not exist`)).toBe(`column "x" of relation "y" does not exist`)
  })

  it("cuts the values SQL Server quotes", () => {
    expect(withoutValues(
      "Violation of UNIQUE KEY constraint 'UQ_users'. Cannot insert duplicate key in object 'dbo.users'. The duplicate key value is (a@b.example)."
    )).toBe(
      "Violation of UNIQUE KEY constraint 'UQ_users'. Cannot insert duplicate key in object 'dbo.users'. The duplicate key value is (***)."
    )
    expect(withoutValues("Conversion failed when converting the varchar value 'abc' to data type int.")).toBe(
      "Conversion failed when converting the varchar value '***' to data type int."
    )
    expect(withoutValues(
      "String or binary data would be truncated in table 'test.dbo.t', column 'name'. Truncated value: 'xxxxx'."
    )).toBe("String or binary data would be truncated in table 'test.dbo.t', column 'name'. Truncated value: '***'.")
  })
})
