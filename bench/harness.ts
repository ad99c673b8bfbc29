/**
 * The benchmark harness: warm-up, interleaved rounds, medians, and the DAO/raw ratio of one
 * process in one run.
 *
 * A ratio is the DAO's speed over the raw driver's (raw median time / DAO median time): 1.0 is
 * parity, above 1.0 the DAO is faster.
 *
 * @since 0.1.0
 */
import { performance } from "node:perf_hooks"

/**
 * One side of a comparison: a label and one round of the work.
 *
 * @since 0.1.0
 * @category models
 */
export interface Side {
  readonly label: string
  readonly round: () => Promise<void>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CompareOptions {
  /** What is measured, e.g. `point read, PostgreSQL`. */
  readonly title: string
  readonly dao: Side
  readonly raw: Side
  /** Operations (or rows) in one round, for the per-second figure. */
  readonly units?: number | undefined
  readonly unitName?: string | undefined
  readonly warmup?: number | undefined
  readonly rounds?: number | undefined
  /** The lowest DAO/raw ratio that meets the target, when there is one. */
  readonly target?: number | undefined
  /** Runs before each round of either side (not timed), e.g. to empty a table. */
  readonly beforeRound?: (() => Promise<void>) | undefined
}

/**
 * A line of the results table.
 *
 * @since 0.1.0
 * @category models
 */
export interface Row {
  readonly title: string
  readonly dao: string
  readonly raw: string
  readonly ratio: string
  readonly target: string
}

const rows: Array<Row> = []

/**
 * The rows recorded so far in this process.
 *
 * @since 0.1.0
 */
export const results = (): ReadonlyArray<Row> => rows

/**
 * @since 0.1.0
 */
export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/**
 * Times one call in milliseconds.
 *
 * @since 0.1.0
 */
export const time = async (f: () => Promise<void>): Promise<number> => {
  const start = performance.now()
  await f()
  return performance.now() - start
}

const ms = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(2)) + " ms"

const figure = (millis: number, units: number | undefined, unitName: string | undefined): string =>
  units === undefined
    ? ms(millis)
    : `${ms(millis)} (${Math.round((units * 1000) / millis).toLocaleString("en-US")} ${unitName ?? "ops"}/s)`

/**
 * Records a free-form line (a figure with no raw counterpart, or a pair of related figures).
 *
 * @since 0.1.0
 */
export const record = (row: Row): void => {
  rows.push(row)
  console.log(`  ${row.title}: ${row.dao} | ${row.raw} | ${row.ratio} ${row.target}`)
}

/**
 * Runs `warmup` rounds of each side, then `rounds` rounds alternating which side goes first,
 * and prints and records the medians and the ratio.
 *
 * @since 0.1.0
 */
export const compare = async (options: CompareOptions): Promise<number> => {
  const warmup = options.warmup ?? 1
  const rounds = options.rounds ?? 5
  const once = async (side: Side) => {
    if (options.beforeRound) await options.beforeRound()
    return time(side.round)
  }
  for (let i = 0; i < warmup; i++) {
    await once(options.raw)
    await once(options.dao)
  }
  const dao: Array<number> = []
  const raw: Array<number> = []
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      raw.push(await once(options.raw))
      dao.push(await once(options.dao))
    } else {
      dao.push(await once(options.dao))
      raw.push(await once(options.raw))
    }
  }
  const daoMedian = median(dao)
  const rawMedian = median(raw)
  const ratio = rawMedian / daoMedian
  const met = options.target === undefined ? "" : ratio >= options.target ? "met" : "missed"
  record({
    title: options.title,
    dao: `${options.dao.label} ${figure(daoMedian, options.units, options.unitName)}`,
    raw: `${options.raw.label} ${figure(rawMedian, options.units, options.unitName)}`,
    ratio: `${ratio.toFixed(2)}x`,
    target: options.target === undefined ? "" : `(target >= ${Number(options.target.toFixed(2))}x: ${met})`
  })
  return ratio
}

/**
 * Runs `total` calls of `f` from `callers` concurrent callers, each taking the next index.
 *
 * @since 0.1.0
 */
export const callers = async (
  total: number,
  concurrency: number,
  f: (index: number) => Promise<unknown>
): Promise<void> => {
  let next = 0
  const worker = async () => {
    while (next < total) {
      const index = next++
      await f(index)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

/**
 * A table name no other run uses.
 *
 * @since 0.1.0
 */
export const uniqueName = (prefix: string): string =>
  `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`
