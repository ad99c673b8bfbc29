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
 * The `CurrentTenant`: missing, empty (or, from untyped code, `null`) is `AccessDenied`
 * MissingTenant; no string, or text no backend keeps as it is (a lone surrogate, a NUL), is a
 * `ValidationError` of the field `tenant`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const requireTenant = (table?: string): Effect.Effect<string, AccessDenied | ValidationError> =>
  Effect.flatMap(
    Effect.serviceOption(CurrentTenant),
    (tenant): Effect.Effect<string, AccessDenied | ValidationError> => {
      // Untyped code can provide anything (a claim read as a number, a null): typed, never a defect.
      const given: unknown = Option.getOrUndefined(tenant)
      if (given === undefined || given === null || given === "") {
        return Effect.fail(new AccessDenied({ reason: "MissingTenant", table, detail: "no CurrentTenant in context" }))
      }
      if (typeof given !== "string") {
        const kind = Array.isArray(given) ? "an array" : typeof given === "object" ? "an object" : `a ${typeof given}`
        return Effect.fail(new ValidationError({ field: "tenant", detail: `${kind}, not a string` }))
      }
      // A lone surrogate was kept as U+FFFD: `acme\uD800` and `acme\uDFFF` were one tenant.
      const why = unstorableText(given)
      return why === undefined
        ? Effect.succeed(given)
        : Effect.fail(new ValidationError({ field: "tenant", detail: why }))
    }
  )
