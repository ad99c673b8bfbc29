/**
 * SQL Server parameters without a server: the number type the layer binds with picks INT,
 * BIGINT or FLOAT per value, down to the bytes tedious writes.
 */
import { assert, describe, it } from "@effect/vitest"
import { mssqlNumber } from "../../src/layers/MssqlParameters.js"

const parameter = (value: unknown) => {
  const validated = mssqlNumber.validate(value, undefined)
  const param = { value: validated, type: mssqlNumber, name: "p" }
  const chunks = Array.from(mssqlNumber.generateParameterData(param as never, {} as never) as Iterable<Buffer>)
  return { declaration: mssqlNumber.declaration(param as never), data: Buffer.concat(chunks) }
}

describe("SQL Server number parameters", () => {
  it("an integer that fits is INT", () => {
    const { data, declaration } = parameter(7)
    assert.strictEqual(declaration, "int")
    assert.strictEqual(data.readInt32LE(0), 7)
  })

  it("a fraction is FLOAT and keeps its fraction (the driver's default would send 10)", () => {
    const { data, declaration } = parameter(10.5)
    assert.strictEqual(declaration, "float")
    assert.strictEqual(data.readDoubleLE(0), 10.5)
  })

  it("an integer past 2^31 is BIGINT instead of overflowing", () => {
    const { data, declaration } = parameter(3_000_000_000)
    assert.strictEqual(declaration, "bigint")
    assert.strictEqual(data.readBigInt64LE(0), 3_000_000_000n)
    assert.strictEqual(parameter(-2_147_483_649).declaration, "bigint")
    assert.strictEqual(parameter(-2_147_483_648).declaration, "int")
  })

  it("an integer past BIGINT's range is FLOAT (tedious refused it as BIGINT)", () => {
    const { data, declaration } = parameter(1e19)
    assert.strictEqual(declaration, "float")
    assert.strictEqual(data.readDoubleLE(0), 1e19)
    assert.strictEqual(parameter(2 ** 63).declaration, "float")
    assert.strictEqual(parameter(-(2 ** 63)).declaration, "bigint")
    assert.strictEqual(parameter(-(2 ** 63) - 4096).declaration, "float")
  })
})
