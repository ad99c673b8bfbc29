/**
 * The Users contract: validation, uniqueness, soft delete and cache-aside reads, the same on
 * every backend. The layer must also expose the `Repositories` underneath, so the suite can change
 * a row behind the DAO's back and see the cached copy served.
 */
import { assert, layer } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { UserRow } from "../../src/schemas/User.js"
import type { AccessPolicy } from "../../src/services/AccessPolicy.js"
import * as Repository from "../../src/services/Repository.js"
import { Users } from "../../src/services/Users.js"
import { uniqueName } from "../support/services.js"

const hash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"

/**
 * The reader's read, or a second of real time: on PGlite, which serves one connection's
 * transaction at a time, the read waits for the commit.
 */
const readOrWait = (read: Deferred.Deferred<void>) =>
  Effect.race(Deferred.await(read), Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 1_000))))

const fresh = () => {
  const name = uniqueName("u").replace(/[^a-z0-9_]/g, "").slice(-24)
  return { username: name, email: `${name}@example.com`, hashed_password: hash }
}

export const suite = (
  name: string,
  users: Layer.Layer<Users | Repository.Repositories | AccessPolicy, unknown>
) =>
  layer(users, { timeout: 120_000 })(name, (it) => {
    it.effect("create trims and lower-cases, and never hands out the hash", () =>
      Effect.gen(function*() {
        const dao = yield* Users
        const input = fresh()
        const user = yield* dao.create({
          ...input,
          username: `  ${input.username.toUpperCase()} `,
          email: input.email.toUpperCase()
        })
        assert.strictEqual(user.username, input.username)
        assert.strictEqual(user.email, input.email)
        assert.isTrue(user.is_active)
        assert.notProperty(user, "hashed_password")
        const found = yield* dao.findById(user.id)
        assert.deepStrictEqual(
          Option.map(found, (u) => [u.username, u.email]),
          Option.some([input.username, input.email])
        )
        assert.isTrue(Option.isSome(found) && !("hashed_password" in found.value))
        const byEmail = yield* dao.findByEmail(` ${input.email.toUpperCase()}`)
        assert.strictEqual(Option.getOrThrow(byEmail).id, user.id)
      }))

    it.effect("bad input is a ValidationError naming the field, and stores nothing", () =>
      Effect.gen(function*() {
        const dao = yield* Users
        const input = fresh()
        const cases: ReadonlyArray<[unknown, string]> = [
          [{ ...input, email: "not-an-email" }, "email"],
          [{ ...input, username: "x" }, "username"],
          [{ ...input, username: "bob'; DROP TABLE users; --" }, "username"],
          [{ ...input, hashed_password: "short" }, "hashed_password"],
          [{ username: input.username }, "email"]
        ]
        for (const [bad, field] of cases) {
          const error = yield* Effect.flip(dao.create(bad))
          assert.strictEqual(error._tag, "ValidationError")
          assert.include(error.message, field)
        }
        assert.isTrue(Option.isNone(yield* dao.findByEmail(input.email)))
      }))

    it.effect("a taken username or e-mail is UniqueViolation", () =>
      Effect.gen(function*() {
        const dao = yield* Users
        const input = fresh()
        yield* dao.create(input)
        const sameName = yield* Effect.flip(dao.create({ ...fresh(), username: input.username }))
        const sameEmail = yield* Effect.flip(dao.create({ ...fresh(), email: input.email.toUpperCase() }))
        for (const error of [sameName, sameEmail]) {
          assert.strictEqual(error._tag, "DataAccessError")
          assert.strictEqual(error._tag === "DataAccessError" && error.reason, "UniqueViolation")
        }
      }))

    it.effect("reads are served from the cache until the DAO changes the user", () =>
      Effect.gen(function*() {
        const dao = yield* Users
        const user = yield* dao.create(fresh())
        yield* dao.findById(user.id)
        // Changed behind the DAO's back: the cached copy is still what a read returns.
        const raw = yield* Repository.make({ table: "users", schema: UserRow, id: "id", softDelete: "deleted_at" })
        yield* raw.update(user.id, { is_active: false })
        const cached = yield* dao.findById(user.id)
        assert.isTrue(Option.getOrThrow(cached).is_active)
        // A change through the DAO drops the cached copy.
        const renamed = `${user.username.slice(0, 20)}_x`
        yield* dao.update(user.id, { username: renamed })
        const fresh_ = Option.getOrThrow(yield* dao.findById(user.id))
        assert.strictEqual(fresh_.username, renamed)
        assert.isFalse(fresh_.is_active)
      }))

    it.effect("a change inside withTransaction drops the cached copy again once committed", () =>
      Effect.gen(function*() {
        const dao = yield* Users
        const user = yield* dao.create(fresh())
        yield* dao.findById(user.id)
        // A reader outside the transaction, between the change and the commit: it finds the row as
        // it was and caches it again, which stayed for the 30 minutes of the cached copy's TTL.
        const withReaderBetween = <A, E>(change: Effect.Effect<A, E>) =>
          Effect.gen(function*() {
            const changed = yield* Deferred.make<void>()
            const read = yield* Deferred.make<void>()
            const reader = yield* Effect.fork(
              Deferred.await(changed).pipe(
                Effect.zipRight(dao.findById(user.id)),
                Effect.zipRight(Deferred.succeed(read, undefined))
              )
            )
            yield* Repository.withTransaction(Effect.gen(function*() {
              yield* change
              yield* Deferred.succeed(changed, undefined)
              yield* readOrWait(read)
            }))
            yield* Fiber.join(reader)
          })
        yield* withReaderBetween(dao.update(user.id, { is_active: false }))
        assert.isFalse(Option.getOrThrow(yield* dao.findById(user.id)).is_active)
        yield* withReaderBetween(dao.delete(user.id))
        assert.isTrue(Option.isNone(yield* dao.findById(user.id)))
      }))

    it.effect("delete is soft, drops the cached copy, and a second delete is NotFound", () =>
      Effect.gen(function*() {
        const dao = yield* Users
        const user = yield* dao.create(fresh())
        assert.isTrue(Option.isSome(yield* dao.findById(user.id)))
        yield* dao.delete(user.id)
        assert.isTrue(Option.isNone(yield* dao.findById(user.id)))
        const again = yield* Effect.flip(dao.delete(user.id))
        assert.strictEqual(again._tag, "NotFound")
        const raw = yield* Repository.make({ table: "users", schema: UserRow, id: "id", softDelete: "deleted_at" })
        const kept = yield* raw.findById(user.id, { includeDeleted: true })
        assert.isTrue(Option.isSome(kept) && kept.value.deleted_at instanceof Date)
      }))

    it.effect("listPage pages the live users oldest first, without hashes, and leaves out the deleted", () =>
      Effect.gen(function*() {
        const dao = yield* Users
        // Created a second apart: users created in one millisecond are in the order of their ids.
        const first = yield* dao.create(fresh())
        yield* TestClock.adjust("1 second")
        const deleted = yield* dao.create(fresh())
        yield* TestClock.adjust("1 second")
        const last = yield* dao.create(fresh())
        yield* dao.delete(deleted.id)
        const seen: Array<string> = []
        const opening = yield* dao.listPage({ page: 1, perPage: 2 })
        assert.isAtLeast(opening.total, 2)
        assert.strictEqual(opening.pages, Math.ceil(opening.total / 2))
        // Other suites may add users meanwhile: read on until a page comes back short.
        for (let page = 1; page <= 10_000; page++) {
          const { items } = page === 1 ? opening : yield* dao.listPage({ page, perPage: 2 })
          for (const user of items) {
            assert.notProperty(user, "hashed_password")
            seen.push(user.id)
          }
          if (items.length < 2) break
        }
        const ours = seen.filter((id) => [first.id, deleted.id, last.id].includes(id))
        assert.deepStrictEqual(ours, [first.id, last.id])
        assert.strictEqual(new Set(seen).size, seen.length)
        const refused = yield* Effect.flip(dao.listPage({ page: 0, perPage: 2 }))
        assert.strictEqual(refused._tag, "ValidationError")
      }))

    it.effect("unknown ids are None; ids that could widen a cache key are ValidationError", () =>
      Effect.gen(function*() {
        const dao = yield* Users
        assert.isTrue(Option.isNone(yield* dao.findById(crypto.randomUUID())))
        const error = yield* Effect.flip(dao.findById("*"))
        assert.strictEqual(error._tag, "ValidationError")
        const missing = yield* Effect.flip(dao.update(crypto.randomUUID(), { is_active: false }))
        assert.strictEqual(missing._tag, "NotFound")
      }))
  })
