/**
 * Describing a Schema failure without echoing the value that failed: stored values and values
 * handed to a cache may be sensitive, and error details end up in logs and spans.
 *
 * @since 0.1.0
 */
import * as ParseResult from "effect/ParseResult"

/**
 * Where and how a value failed its schema, e.g. `Type at version, Missing at name`.
 *
 * @since 0.1.0
 * @category errors
 */
export const describe = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) =>
    issue.path.length === 0 ? `${issue._tag} at the root` : `${issue._tag} at ${issue.path.map(String).join(".")}`
  ).join(", ")
