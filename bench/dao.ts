/**
 * The DAO side of the benchmarks: a runtime holding the repositories over a SQL backend (or the
 * Redis client), built once per benchmark and disposed after.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Schema from "effect/Schema"
import * as AccessPolicyLayer from "../src/layers/AccessPolicy.js"
import { RepositoryLive } from "../src/layers/Repository.js"
import * as Sql from "../src/layers/Sql.js"
import type { AccessPolicy } from "../src/services/AccessPolicy.js"
import type { Repository } from "../src/services/Repository.js"
import * as Repositories from "../src/services/Repository.js"
import * as Servers from "./servers.js"

/** A boolean column: PostgreSQL returns a boolean, MariaDB a TINYINT 0 or 1. */
const Flag = Schema.Union(
  Schema.Boolean,
  Schema.transform(Schema.Literal(0, 1), Schema.Boolean, {
    strict: true,
    decode: (n) => n === 1,
    encode: (b) => (b ? 1 : 0)
  })
)

/**
 * The benchmark row: eight columns of the usual kinds.
 *
 * @since 0.1.0
 * @category models
 */
export const Item = Schema.Struct({
  id: Schema.Number,
  name: Schema.String,
  email: Schema.String,
  score: Schema.Number,
  amount: Schema.Number,
  active: Flag,
  note: Schema.NullOr(Schema.String),
  created_at: Schema.DateFromSelf
})

/**
 * @since 0.1.0
 * @category models
 */
export type Item = typeof Item.Type

/**
 * The benchmark table's columns, in order.
 *
 * @since 0.1.0
 */
export const columns = Object.keys(Item.fields) as ReadonlyArray<keyof Item & string>

/**
 * `CREATE TABLE` of the benchmark table for a dialect.
 *
 * @since 0.1.0
 */
export const createTable = (dialect: "pg" | "mysql", table: string): string =>
  dialect === "pg"
    ? `CREATE TABLE ${table} (id integer PRIMARY KEY, name text NOT NULL, email text NOT NULL, score integer NOT NULL, amount double precision NOT NULL, active boolean NOT NULL, note text NULL, created_at timestamptz NOT NULL)`
    : `CREATE TABLE ${table} (id int PRIMARY KEY, name varchar(100) NOT NULL, email varchar(200) NOT NULL, score int NOT NULL, amount double NOT NULL, active boolean NOT NULL, note varchar(200) NULL, created_at datetime(3) NOT NULL)`

/**
 * A server-side `INSERT ... SELECT` of `count` rows (ids 1..count) for a dialect.
 *
 * @since 0.1.0
 */
export const fillTable = (dialect: "pg" | "mysql", table: string, count: number): string =>
  dialect === "pg"
    ? `INSERT INTO ${table} SELECT g, 'user ' || g, 'user' || g || '@example.com', g % 1000, g * 0.25, g % 2 = 0, CASE WHEN g % 3 = 0 THEN NULL ELSE 'note ' || g END, timestamptz '2026-01-01' + g * interval '1 second' FROM generate_series(1, ${count}) g`
    : `INSERT INTO ${table} SELECT seq, CONCAT('user ', seq), CONCAT('user', seq, '@example.com'), seq % 1000, seq * 0.25, seq % 2 = 0, IF(seq % 3 = 0, NULL, CONCAT('note ', seq)), TIMESTAMP '2026-01-01 00:00:00' + INTERVAL seq SECOND FROM seq_1_to_${count}`

/**
 * `count` rows as the application would hand them to `createMany`.
 *
 * @since 0.1.0
 */
export const makeItems = (count: number, offset = 0): ReadonlyArray<Item> =>
  Array.from({ length: count }, (_, i) => {
    const id = offset + i + 1
    return {
      id,
      name: `user ${id}`,
      email: `user${id}@example.com`,
      score: id % 1000,
      amount: id * 0.25,
      active: id % 2 === 0,
      note: id % 3 === 0 ? null : `note ${id}`,
      created_at: new Date(Date.UTC(2026, 0, 1) + id * 1000)
    }
  })

/**
 * The SQL layers a benchmark runs the DAO on.
 *
 * @since 0.1.0
 */
export const sqlLayer = (dialect: "pg" | "mysql") =>
  dialect === "pg" ? Sql.layerPg(Servers.pgOptions) : Sql.layerMysql(Servers.mysqlOptions)

/**
 * A runtime with the repositories and an access policy allowing `table`, and the repository of
 * `table` built in it.
 *
 * @since 0.1.0
 */
export const repositoryOf = async (dialect: "pg" | "mysql", table: string) => {
  const layer = Layer.mergeAll(
    RepositoryLive,
    AccessPolicyLayer.layer({ [table]: { readable: [...columns] } })
  ).pipe(Layer.provideMerge(sqlLayer(dialect)))
  const runtime = ManagedRuntime.make(layer)
  const repository: Repository<Item> = await runtime.runPromise(
    Repositories.make({ table, schema: Item, id: "id" }) as Effect.Effect<Repository<Item>, unknown, AccessPolicy>
  )
  return { runtime, repository }
}

/**
 * Runs `total` calls from `concurrency` independent fibers, each taking the next index, as
 * `harness.callers` does with promises.
 *
 * @since 0.1.0
 */
export const fibers = <E, R>(
  total: number,
  concurrency: number,
  f: (index: number) => Effect.Effect<unknown, E, R>
): Effect.Effect<void, E, R> =>
  Effect.suspend(() => {
    let next = 0
    const worker = Effect.whileLoop({
      while: () => next < total,
      body: () => f(next++),
      step: () => {}
    })
    return Effect.forEach(Array.from({ length: concurrency }), () => worker, {
      concurrency: "unbounded",
      discard: true
    })
  })
