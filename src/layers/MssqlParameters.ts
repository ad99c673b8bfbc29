/**
 * How the SQL Server layer binds parameters: @effect/sql-mssql's types, with JS numbers bound by
 * value. Kept apart from `Sql.ts` so that tedious is loaded only by programs that build the SQL
 * Server layer.
 *
 * @since 0.1.0
 */
import * as MssqlClient from "@effect/sql-mssql/MssqlClient"
import Tedious from "tedious"

type TediousType = MssqlClient.MssqlClientConfig["parameterTypes"] extends Record<string, infer T> | undefined ? T
  : never

const isInt32 = (n: number) => n >= -2_147_483_648 && n <= 2_147_483_647
const isInt64 = (n: number) => n >= -(2 ** 63) && n < 2 ** 63

/**
 * The tedious type a JS number is sent as: INT while it fits, BIGINT beyond, FLOAT for fractions
 * and for integers past BIGINT's range (`1e19`), which tedious refused to send as BIGINT.
 */
const numberType = (value: unknown): TediousType =>
  typeof value === "bigint"
    ? Tedious.TYPES.BigInt
    : typeof value === "number" && (!Number.isInteger(value) || !isInt64(value))
    ? Tedious.TYPES.Float
    : typeof value === "number" && !isInt32(value)
    ? Tedious.TYPES.BigInt
    : Tedious.TYPES.Int

/**
 * @effect/sql-mssql binds every JS number as INT, which silently truncates `10.5` to `10` and
 * overflows past 2^31. This type picks INT, BIGINT or FLOAT per value (each step of tedious'
 * parameter writing gets the value), so filters and inserts keep what the caller gave.
 *
 * @since 0.1.0
 * @category models
 */
export const mssqlNumber: TediousType = {
  ...Tedious.TYPES.Int,
  name: "Number",
  declaration: (parameter) => numberType(parameter.value).declaration(parameter),
  generateTypeInfo: (parameter, options) => numberType(parameter.value).generateTypeInfo(parameter, options),
  generateParameterLength: (parameter, options) =>
    numberType(parameter.value).generateParameterLength(parameter, options),
  generateParameterData: (parameter, options) => numberType(parameter.value).generateParameterData(parameter, options),
  validate: (value, collation) => numberType(value).validate(value, collation)
}

/**
 * The parameter types the SQL Server layer binds with: @effect/sql-mssql's, with numbers by value.
 *
 * @since 0.1.0
 * @category models
 */
export const mssqlParameterTypes = { ...MssqlClient.defaultParameterTypes, number: mssqlNumber }
