/**
 * The users DAO (seed: microservices database module): CRUD with validation, soft delete, and
 * cache-aside reads under the seed's `user:{user_id}` keys, invalidated on every change.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { NotFound } from "../errors.js"
import type { Page, PageRequest } from "../schemas/Query.js"
import type { User } from "../schemas/User.js"
import type { RepositoryError } from "./Repository.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface UsersService {
  /** Validates and normalises (trimmed, lower-cased) and stores; a taken username or e-mail is UniqueViolation. */
  readonly create: (input: unknown) => Effect.Effect<User, RepositoryError>
  /** From the cache when it has the user, else from the database (then cached). */
  readonly findById: (id: string) => Effect.Effect<Option.Option<User>, RepositoryError>
  readonly findByEmail: (email: string) => Effect.Effect<Option.Option<User>, RepositoryError>
  /** Changes username, e-mail or active flag; the cached copy is dropped. */
  readonly update: (id: string, patch: unknown) => Effect.Effect<User, RepositoryError | NotFound>
  /** Soft delete; the cached copy is dropped. */
  readonly delete: (id: string) => Effect.Effect<void, RepositoryError | NotFound>
  readonly listPage: (request: typeof PageRequest.Encoded) => Effect.Effect<Page<User>, RepositoryError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Users extends Context.Tag("effect-dao/Users")<Users, UsersService>() {}
