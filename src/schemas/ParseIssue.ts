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

/** The texts a value holds, as written and as JSON escapes them, to a few levels of nesting. */
const textsOf = (value: unknown, depth = 0, into: Array<string> = []): Array<string> => {
  if (into.length > 200) return into
  if (typeof value === "string") {
    if (value.length > 0) into.push(value, JSON.stringify(value).slice(1, -1))
  } else if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    into.push(String(value))
  } else if (typeof value === "object" && value !== null && depth < 3) {
    for (const inner of Array.isArray(value) ? value : Object.values(value)) textsOf(inner, depth + 1, into)
  }
  return into
}

/** Runs this long of a value found in a message are taken for a copy of it (a quoted snippet). */
const snippet = 9

/** The shortest text inside a structure whose copy in a message is looked for (`t`, `at` are in any). */
const nestedText = 4

/**
 * Whether a message leaves out the value it is about. Effect's own messages often hold it, whole,
 * escaped (`Unable to decode "a\nb" into a number`) or cut short (`JSON.parse`'s
 * `"tok_live_9f"... is not valid JSON`): a message holding the value (of a structure, any text of
 * 4 characters or more in it), or any 9 characters of one in a row, is not used.
 */
const valueFree = (message: string, actual: unknown): boolean => {
  const nested = typeof actual === "object" && actual !== null
  // Effect's default messages print a structure after "actual".
  if (nested && message.includes("actual")) return false
  return textsOf(actual).every((text) => {
    if ((!nested || text.length >= nestedText) && message.includes(text)) return false
    for (let i = 0; i + snippet <= message.length; i++) {
      if (text.includes(message.slice(i, i + snippet))) return false
    }
    return true
  })
}

/** The message the schema itself gives for a failure (a filter's, or a `message` annotation), when it holds no value. */
const ownMessage = (issue: ParseResult.ParseIssue, ast: AST.AST | undefined): string | undefined => {
  const candidates: Array<unknown> = []
  if (issue._tag === "Type" && issue.message !== undefined) candidates.push(issue.message)
  if (ast !== undefined) {
    const annotation = AST.getMessageAnnotation(ast)
    if (Option.isSome(annotation)) {
      try {
        const given: unknown = annotation.value(issue)
        candidates.push(typeof given === "object" && given !== null && "message" in given ? given.message : given)
      } catch {
        // A message annotation that throws says nothing.
      }
    }
  }
  const actual = "actual" in issue ? issue.actual : undefined
  return candidates.find((c): c is string => typeof c === "string" && c.length > 0 && valueFree(c, actual))
}

/**
 * Each failure of the tree at its path, said from the schema: its own messages where they hold
 * no value, else what was expected. Effect's default messages hold the value
 * (`Expected string, actual "..."`, `Unable to decode "..." into a number`), so none is used.
 */
const leaves = (issue: ParseResult.ParseIssue, path: Path): Array<string> => {
  switch (issue._tag) {
    case "Pointer":
      return leaves(issue.issue, [...path, ...(Array.isArray(issue.path) ? issue.path : [issue.path])])
    case "Composite": {
      const inner = Array.isArray(issue.issues) ? issue.issues : [issue.issues]
      // A value that matched no member of a union of plain types: one line for the union.
      if (AST.isUnion(issue.ast) && inner.every((member) => member._tag === "Type")) {
        return [at(path, ownMessage(issue, issue.ast) ?? expected(issue.ast))]
      }
      return inner.flatMap((member) => leaves(member, path))
    }
    case "Refinement": {
      if (issue.kind === "From") return leaves(issue.issue, path)
      // The filter's own words, at the path it gave (a filter of a struct can point at a field).
      if (issue.issue._tag === "Pointer") return leaves(issue.issue, path)
      return [at(path, ownMessage(issue.issue, issue.ast) ?? expected(issue.ast))]
    }
    case "Transformation":
      return issue.kind === "Transformation"
        ? [at(path, ownMessage(issue.issue, issue.ast) ?? expected(issue.ast))]
        : leaves(issue.issue, path)
    case "Type":
      return [at(path, ownMessage(issue, issue.ast) ?? expected(issue.ast))]
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
