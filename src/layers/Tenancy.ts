/**
 * The tenant of the context (`CurrentTenant`), checked once for every layer that confines data to
 * it: the repositories and PostgreSQL's row-level security.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { AccessDenied, ValidationError } from "../errors.js"
import { CurrentTenant } from "../services/Repository.js"
import { unstorableText } from "./Query.js"

/**
 * The `CurrentTenant`: missing or empty is `AccessDenied` MissingTenant, text no backend keeps as
 * it is (a lone surrogate, a NUL) is a `ValidationError` of the field `tenant`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const requireTenant = (table?: string): Effect.Effect<string, AccessDenied | ValidationError> =>
  Effect.flatMap(
    Effect.serviceOption(CurrentTenant),
    (tenant): Effect.Effect<string, AccessDenied | ValidationError> => {
      if (Option.isNone(tenant) || tenant.value.length === 0) {
        return Effect.fail(new AccessDenied({ reason: "MissingTenant", table, detail: "no CurrentTenant in context" }))
      }
      // A lone surrogate was kept as U+FFFD: `acme\uD800` and `acme\uDFFF` were one tenant.
      const why = unstorableText(tenant.value)
      return why === undefined
        ? Effect.succeed(tenant.value)
        : Effect.fail(new ValidationError({ field: "tenant", detail: why }))
    }
  )
