/**
 * Durations given as options or read from the environment, checked once where they enter:
 * `Duration.decode` throws on text that type-checks but is no duration (`"1e3 seconds"`), Node's
 * timers fire at once (with a warning) past 2^31 - 1 milliseconds, and Redis refuses an expiry
 * it cannot add to its clock, after the other commands of a transaction have been applied.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type { Backend } from "../errors.js"
import { ConnectionError, ValidationError } from "../errors.js"

/**
 * The longest wait of a Node timer: 2^31 - 1 milliseconds, about 24.8 days.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxTimerMillis = 2 ** 31 - 1

/**
 * The longest TTL of a key, in milliseconds: the largest whole number a JavaScript number holds
 * exactly (about 285,000 years), which Redis adds to its clock without overflow.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxTtlMillis = Number.MAX_SAFE_INTEGER

const ttlDetail = "must be a duration of at least 1 millisecond and at most 285,000 years"

const isTtl = (millis: number) => millis >= 1 && Math.ceil(millis) <= maxTtlMillis

const timeoutDetail = "must be a duration of more than 0 and at most 24 days"

const isTimeout = (millis: number) => millis > 0 && millis <= maxTimerMillis

/** The milliseconds of a duration given in code, `NaN` for input that is no duration. */
const millisOf = (input: Duration.DurationInput): number => {
  const decoded = Duration.decodeUnknown(input)
  return Option.isSome(decoded) ? Duration.toMillis(decoded.value) : Number.NaN
}

/** The milliseconds of `input` when `valid` takes them, else a `ValidationError` naming `field`. */
const checked = (
  millis: number,
  field: string,
  valid: (millis: number) => boolean,
  detail: string
): Either.Either<number, ValidationError> =>
  valid(millis) ? Either.right(millis) : Either.left(new ValidationError({ field, detail }))

/**
 * A TTL in whole milliseconds (rounded up), or a `ValidationError` naming `field` for input that
 * is no duration, is under a millisecond or is longer than `maxTtlMillis`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ttlMillis = (input: Duration.DurationInput, field = "ttl"): Either.Either<number, ValidationError> =>
  Either.map(checked(millisOf(input), field, isTtl, ttlDetail), Math.ceil)

/**
 * A timeout given in code as a `Duration`, or a `ValidationError` naming `field` for input that is
 * no duration, is nothing, or is longer than `maxTimerMillis`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const timeout = (
  input: Duration.DurationInput,
  field: string
): Either.Either<Duration.Duration, ValidationError> =>
  Either.map(checked(millisOf(input), field, isTimeout, timeoutDetail), Duration.millis)

/**
 * A threshold given in code as a `Duration` (nothing included, as "anything slower"), or a
 * `ValidationError` naming `field` for input that is no finite duration.
 *
 * @since 0.1.0
 * @category constructors
 */
export const threshold = (
  input: Duration.DurationInput,
  field: string
): Either.Either<Duration.Duration, ValidationError> =>
  Either.map(
    // `Duration.decode` reads a negative number or NaN as nothing.
    checked(
      typeof input === "number" && !(input >= 0) ? Number.NaN : millisOf(input),
      field,
      (millis) => millis >= 0 && Number.isFinite(millis),
      "must be a finite duration"
    ),
    Duration.millis
  )

/**
 * A TTL read from the environment variable `name` (`30 minutes`), within the bounds of `ttlMillis`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ttlConfig = (name: string): Config.Config<Duration.Duration> =>
  Config.duration(name).pipe(
    Config.validate({ message: ttlDetail, validation: (ttl) => isTtl(Duration.toMillis(ttl)) })
  )

/**
 * A timeout read from the environment variable `name` (`15 seconds`): more than nothing and at
 * most `maxTimerMillis`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const timeoutConfig = (name: string): Config.Config<Duration.Duration> =>
  Config.duration(name).pipe(Config.validate({
    message: timeoutDetail,
    validation: (timeout) => isTimeout(Duration.toMillis(timeout))
  }))

/**
 * Checks the timeouts a layer was given in code (`connectTimeout: "15 seconds"`): each must be a
 * duration of more than nothing and at most `maxTimerMillis`, or the layer fails with
 * `ConnectionError` `InvalidOption` naming the option, before it connects.
 *
 * @since 0.1.0
 * @category constructors
 */
export const checkTimeouts = (
  backend: Backend,
  timeouts: Readonly<Record<string, Duration.DurationInput | undefined>>
): Either.Either<void, ConnectionError> => {
  for (const [name, input] of Object.entries(timeouts)) {
    if (input === undefined || isTimeout(millisOf(input))) continue
    return Either.left(
      new ConnectionError({
        backend,
        operation: "connect",
        reason: "InvalidOption",
        detail: `${name} ${timeoutDetail}`
      })
    )
  }
  return Either.right(undefined)
}
