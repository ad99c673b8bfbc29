/**
 * Describing a Schema failure without echoing the value that failed: stored values and values
 * handed to a cache may be sensitive, and error details end up in logs and spans.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as AST from "effect/SchemaAST"

type Path = ReadonlyArray<PropertyKey>

/** What a schema takes, in its description's words when it has one ("a string at least 20 character(s) long"). */
const expected = (ast: AST.AST): string =>
  `Expected ${Option.getOrElse(AST.getDescriptionAnnotation(ast), () => String(ast))}`

const at = (path: Path, what: string): string =>
  `${path.length === 0 ? "the value" : path.map(String).join(".")}: ${what}`

/**
 * Each failure of the tree at its path, said from the schema alone: Effect's own messages can
 * hold the value (`Expected string, actual "..."`, `Unable to decode "..." into a number`), so
 * none is used.
 */
const leaves = (issue: ParseResult.ParseIssue, path: Path): Array<string> => {
  switch (issue._tag) {
    case "Pointer":
      return leaves(issue.issue, [...path, ...(Array.isArray(issue.path) ? issue.path : [issue.path])])
    case "Composite":
      return (Array.isArray(issue.issues) ? issue.issues : [issue.issues]).flatMap((inner) => leaves(inner, path))
    case "Refinement":
      return issue.kind === "From" ? leaves(issue.issue, path) : [at(path, expected(issue.ast))]
    case "Transformation":
      return issue.kind === "Transformation" ? [at(path, expected(issue.ast))] : leaves(issue.issue, path)
    case "Type":
      return [at(path, expected(issue.ast))]
    case "Missing":
      return [at(path, "is missing")]
    case "Unexpected":
      return [at(path, "is unexpected")]
    case "Forbidden":
      return [at(path, "is forbidden")]
  }
}

/**
 * Where and how a value failed its schema, without the value, e.g.
 * `version: Expected number; name: is missing`.
 *
 * @since 0.1.0
 * @category errors
 */
export const describe = (error: ParseResult.ParseError): string => leaves(error.issue, []).join("; ")
