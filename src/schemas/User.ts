/**
 * Users of the analysis services (seed: microservices database module): validated and
 * normalised on the way in, never handing out their password hash.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * A boolean as stored: PostgreSQL answers `true`/`false`, MySQL's `BOOLEAN` answers `1`/`0`.
 *
 * @since 0.1.0
 * @category models
 */
export const Flag = Schema.transform(Schema.Union(Schema.Boolean, Schema.Literal(0, 1)), Schema.Boolean, {
  strict: true,
  decode: (stored) => stored === true || stored === 1,
  encode: (flag) => flag
})

/**
 * Letters, digits, `.`, `_`, `-`; 3 to 32 characters; stored lower-case.
 *
 * @since 0.1.0
 * @category models
 */
export const Username = Schema.Trim.pipe(
  Schema.compose(Schema.Lowercase),
  Schema.pattern(/^[a-z0-9._-]{3,32}$/, { message: () => "3 to 32 letters, digits, '.', '_' or '-'" })
)

/**
 * An e-mail address, trimmed and lower-cased; at most 254 characters.
 *
 * @since 0.1.0
 * @category models
 */
export const Email = Schema.Trim.pipe(
  Schema.compose(Schema.Lowercase),
  Schema.maxLength(254),
  Schema.pattern(/^[^\s@<>()[\]\\,;:"]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/, { message: () => "not an e-mail address" })
)

const fields = {
  id: Schema.String,
  username: Schema.String,
  email: Schema.String,
  is_active: Flag,
  created_at: Schema.optionalWith(Schema.DateFromSelf, { nullable: true }),
  updated_at: Schema.optionalWith(Schema.DateFromSelf, { nullable: true }),
  deleted_at: Schema.optionalWith(Schema.DateFromSelf, { nullable: true })
}

/**
 * A row of `users`, as the repository reads and writes it.
 *
 * @since 0.1.0
 * @category models
 */
export const UserRow = Schema.Struct({ ...fields, hashed_password: Schema.String })

/**
 * @since 0.1.0
 * @category models
 */
export type UserRow = typeof UserRow.Type

/**
 * A user as the DAO hands it out: everything but the password hash.
 *
 * @since 0.1.0
 * @category models
 */
export const User = Schema.Struct(fields)

/**
 * @since 0.1.0
 * @category models
 */
export type User = typeof User.Type

/**
 * A user as cached: dates as ISO strings.
 *
 * @since 0.1.0
 * @category models
 */
export const CachedUser = Schema.Struct({
  ...fields,
  is_active: Schema.Boolean,
  created_at: Schema.optionalWith(Schema.Date, { nullable: true }),
  updated_at: Schema.optionalWith(Schema.Date, { nullable: true }),
  deleted_at: Schema.optionalWith(Schema.Date, { nullable: true })
})

/**
 * What `create` accepts.
 *
 * @since 0.1.0
 * @category models
 */
export const UserCreate = Schema.Struct({
  username: Username,
  email: Email,
  hashed_password: Schema.String.pipe(Schema.minLength(20), Schema.maxLength(255))
})

/**
 * What `update` accepts: any of these.
 *
 * @since 0.1.0
 * @category models
 */
export const UserUpdate = Schema.Struct({
  username: Schema.optionalWith(Username, { exact: true }),
  email: Schema.optionalWith(Email, { exact: true }),
  is_active: Schema.optionalWith(Schema.Boolean, { exact: true })
})

/**
 * The columns of `users` for the access policy: the hash is readable by the repository only
 * (it is never filterable or sortable).
 *
 * @since 0.1.0
 * @category models
 */
export const userColumns = {
  readable: Object.keys(UserRow.fields),
  filterable: ["id", "username", "email", "is_active", "created_at", "deleted_at"],
  sortable: ["id", "username", "email", "created_at"]
}
