/**
 * The users DAO over the generic repository and the cache: `UsersLive` (SQL + Redis cache) and
 * `UsersTest` (both in memory) run the same code.
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { NotFound } from "../errors.js"
import * as KeyPattern from "../schemas/KeyPattern.js"
import { decode } from "../schemas/Query.js"
import type { User, UserRow as UserRowType } from "../schemas/User.js"
import { CachedUser, Email, userColumns, UserCreate, UserRow, UserUpdate } from "../schemas/User.js"
import type { AccessPolicy } from "../services/AccessPolicy.js"
import { Cache } from "../services/Cache.js"
import * as Repository from "../services/Repository.js"
import type { UsersService } from "../services/Users.js"
import { Users } from "../services/Users.js"
import type { PolicyTables } from "./AccessPolicy.js"
import { CacheTest } from "./Cache.js"
import { provideLive, provideTest } from "./Repository.js"
import type { SqlBackend } from "./Sql.js"

/**
 * The table this DAO needs on the access policy.
 *
 * @since 0.1.0
 * @category models
 */
export const tables: PolicyTables = { users: userColumns }

const decodeCreate = decode(UserCreate, "user")
const decodeUpdate = decode(UserUpdate, "user")
const decodeEmail = decode(Email, "email")

const toUser = ({ hashed_password: _, ...user }: UserRowType): User => user

const span = (name: string) => Effect.withSpan(`Users.${name}`, { attributes: { table: "users" } })

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const users = yield* Repository.make({
    table: "users",
    schema: UserRow,
    id: "id",
    unique: [["username"], ["email"]],
    softDelete: "deleted_at",
    audit: { createdAt: "created_at", updatedAt: "updated_at" }
  })
  const cache = yield* Cache
  const key = (id: string) => KeyPattern.user({ user_id: id })

  const repositories = yield* Repository.Repositories

  /** A stale copy lives at most its TTL; a failed invalidation is worth a warning, not a failed write. */
  const dropCached = (id: string) =>
    cache.invalidate(key(id)).pipe(
      Effect.catchAll((error) => Effect.logWarning(`Users: cached copy of a user not dropped (${error._tag})`))
    )
  /**
   * Dropped now, and inside the caller's `withTransaction` again once it commits: a read in
   * between finds the row as it was before the commit and caches it again, for the TTL.
   */
  const forget = (id: string) =>
    Effect.zipRight(
      dropCached(id),
      Effect.flatMap(repositories.inTransaction, (inside) =>
        inside ? repositories.afterCommit(dropCached(id)) : Effect.void)
    )

  const load = (id: string) =>
    Effect.flatMap(
      users.findById(id),
      Option.match({
        onNone: () => Effect.fail(new NotFound({ table: "users", id })),
        onSome: (row) => Effect.succeed(toUser(row))
      })
    )

  const service: UsersService = {
    create: (input) =>
      Effect.gen(function*() {
        const user = yield* decodeCreate(input)
        const row = yield* users.create({ ...user, id: crypto.randomUUID(), is_active: true })
        return toUser(row)
      }).pipe(span("create")),

    findById: (id) =>
      cache.getOrSet(key(id), CachedUser, load(id), { ttl: "30 minutes" }).pipe(
        Effect.map(Option.some),
        Effect.catchTag("NotFound", () => Effect.succeed(Option.none())),
        span("findById")
      ),

    findByEmail: (email) =>
      Effect.gen(function*() {
        const normalised = yield* decodeEmail(email)
        const [row] = yield* users.findByField("email", normalised)
        return Option.map(Option.fromNullable(row), toUser)
      }).pipe(span("findByEmail")),

    update: (id, patch) =>
      Effect.gen(function*() {
        const changes = yield* decodeUpdate(patch)
        const row = yield* users.update(id, changes)
        yield* forget(id)
        return toUser(row)
      }).pipe(span("update")),

    delete: (id) => users.delete(id).pipe(Effect.zipLeft(forget(id)), span("delete")),

    listPage: (request) =>
      users.listPage(request, { sort: [{ field: "created_at", direction: "asc" }, { field: "id", direction: "asc" }] })
        .pipe(
          Effect.map((page) => ({ ...page, items: page.items.map(toUser) })),
          span("listPage")
        )
  }
  return service
})

/**
 * The DAO over whichever `Repositories` and `Cache` are provided.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = Layer.effect(Users, make)

/**
 * On SQL (the `users` table from `migrations`), with the `Cache` provided by the program.
 *
 * @since 0.1.0
 * @category layers
 */
export const UsersLive: Layer.Layer<
  Users,
  Effect.Effect.Error<typeof make>,
  AccessPolicy | Cache | SqlClient.SqlClient | SqlBackend
> = provideLive(layer)

/**
 * In memory, cache included, for users' tests.
 *
 * @since 0.1.0
 * @category layers
 */
export const UsersTest: Layer.Layer<Users, Effect.Effect.Error<typeof make>, AccessPolicy> = provideTest(
  layer.pipe(Layer.provide(CacheTest))
)
