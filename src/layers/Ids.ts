/**
 * Ids that sort as they were made: UUID version 7 (RFC 9562), the first 48 bits the time in
 * milliseconds, the next 12 a counter within the millisecond, the rest random. Rows keyed by them
 * and sorted by time then id come back in the order they were written, within one process, where
 * random UUIDs put the rows of one millisecond in any order (the seeds' auto-increment ids kept
 * it); B-tree inserts land at the end of the index rather than anywhere in it.
 *
 * @since 0.1.0
 */
import { getRandomValues } from "node:crypto"

let lastMillis = -1
let counter = 0

const hex = (bytes: Uint8Array, from: number, to: number): string =>
  Array.from(bytes.subarray(from, to), (byte) => byte.toString(16).padStart(2, "0")).join("")

/**
 * A UUID version 7 for the instant `millis` (the caller's clock, so that `TestClock` drives it):
 * never before the last one made, and after it when made in the same millisecond (its counter
 * starts at a random value under 2048 each millisecond, and a full counter borrows the next one).
 *
 * @since 0.1.0
 * @category constructors
 */
export const timeOrdered = (millis: number): string => {
  const bytes = getRandomValues(new Uint8Array(16))
  let at = Math.max(Math.floor(millis), lastMillis, 0)
  if (at === lastMillis) {
    counter += 1
    if (counter > 0xfff) {
      at += 1
      counter = 0
    }
  } else {
    counter = ((bytes[6] ?? 0) << 8 | (bytes[7] ?? 0)) & 0x7ff
  }
  lastMillis = at
  // 48 bits of milliseconds, big-endian (past 2^32, so no bit operators on the whole).
  for (let i = 5, rest = at; i >= 0; i--, rest = Math.floor(rest / 256)) bytes[i] = rest % 256
  bytes[6] = 0x70 | (counter >> 8)
  bytes[7] = counter & 0xff
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f)
  return `${hex(bytes, 0, 4)}-${hex(bytes, 4, 6)}-${hex(bytes, 6, 8)}-${hex(bytes, 8, 10)}-${hex(bytes, 10, 16)}`
}
