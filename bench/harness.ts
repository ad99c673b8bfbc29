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

/**
 * One round of a side: its time, and the CPU this process spent meanwhile (not the servers', nor
 * a child process's such as `psql`), in milliseconds.
 */
interface Round {
  readonly millis: number
  readonly user: number
  readonly system: number
}

const measure = async (f: () => Promise<void>): Promise<Round> => {
  const cpu = process.cpuUsage()
  const millis = await time(f)
  const { system, user } = process.cpuUsage(cpu)
  return { millis, user: user / 1000, system: system / 1000 }
}

const ms = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(2)) + " ms"

/** The medians of a side's rounds: time, rate, and this process's CPU (user + system). */
const figure = (rounds: ReadonlyArray<Round>, units: number | undefined, unitName: string | undefined): string => {
  const millis = median(rounds.map((round) => round.millis))
  const rate = units === undefined
    ? ""
    : `${Math.round((units * 1000) / millis).toLocaleString("en-US")} ${unitName ?? "ops"}/s; `
  const cpu = `Node CPU ${ms(median(rounds.map((round) => round.user)))} user + ${
    ms(median(rounds.map((round) => round.system)))
  } system`
  return `${ms(millis)} (${rate}${cpu})`
}

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
    return measure(side.round)
  }
  for (let i = 0; i < warmup; i++) {
    await once(options.raw)
    await once(options.dao)
  }
  const dao: Array<Round> = []
  const raw: Array<Round> = []
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      raw.push(await once(options.raw))
      dao.push(await once(options.dao))
    } else {
      dao.push(await once(options.dao))
      raw.push(await once(options.raw))
    }
  }
  const ratio = median(raw.map((round) => round.millis)) / median(dao.map((round) => round.millis))
  const met = options.target === undefined ? "" : ratio >= options.target ? "met" : "missed"
  record({
    title: options.title,
    dao: `${options.dao.label} ${figure(dao, options.units, options.unitName)}`,
    raw: `${options.raw.label} ${figure(raw, options.units, options.unitName)}`,
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
