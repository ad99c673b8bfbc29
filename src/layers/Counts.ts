/**
 * Whole-number options given in code (a port, a pool size, a breaker threshold), checked before a
 * layer connects: a port of 70,000 made node-postgres throw inside its pool, whose release then
 * never ended, and mysql2 died with `ERR_SOCKET_BAD_PORT`; `NaN` connected to the default port.
 * Options read from the environment are checked by their `Config` already.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import type { Backend } from "../errors.js"
import { ConnectionError } from "../errors.js"

/**
 * What a count must lie within, inclusive.
 *
 * @since 0.1.0
 * @category models
 */
export type Range = readonly [min: number, max: number]

/**
 * A TCP port.
 *
 * @since 0.1.0
 * @category ranges
 */
export const port: Range = [1, 65_535]

/**
 * A pool's size, as `<PREFIX>_POOL_SIZE` takes it.
 *
 * @since 0.1.0
 * @category ranges
 */
export const poolSize: Range = [1, 1_000]

/**
 * A Redis db index (the server's `databases` is at most 2^31 - 1).
 *
 * @since 0.1.0
 * @category ranges
 */
export const dbIndex: Range = [0, 2_147_483_647]

/**
 * Consecutive failures before a circuit breaker opens.
 *
 * @since 0.1.0
 * @category ranges
 */
export const threshold: Range = [1, 1_000_000]

/**
 * Checks each option that is set: a whole number within its range, or the layer fails with
 * `ConnectionError` `InvalidOption` naming the option.
 *
 * @since 0.1.0
 * @category constructors
 */
export const checkCounts = (
  backend: Backend,
  counts: Readonly<Record<string, readonly [value: number | undefined, range: Range]>>
): Either.Either<void, ConnectionError> => {
  for (const [name, [value, [min, max]]] of Object.entries(counts)) {
    if (value === undefined || (Number.isInteger(value) && value >= min && value <= max)) continue
    return Either.left(
      new ConnectionError({
        backend,
        operation: "connect",
        reason: "InvalidOption",
        detail: `${name} must be a whole number from ${min} to ${max}`
      })
    )
  }
  return Either.right(undefined)
}
