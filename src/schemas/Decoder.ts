/**
 * A faster `Schema.decodeUnknownEither` for the values a DAO decodes on its hot paths (cached
 * JSON, rows), and a faster `Schema.encodeUnknownEither` for the records it writes, with the
 * same results.
 *
 * Effect's parser is general: every node of a schema is a closure returning an `Either`, with
 * error bookkeeping on the way, so an 8-field struct of strings and numbers costs about twice
 * `JSON.parse` of its text (bench/RESULTS.md). Here the plain structural nodes (structs, arrays,
 * unions, refinements, string, number, boolean and literal leaves) are compiled once per schema
 * into straight-line checks that build the same output, once for each direction; any other node
 * (a transformation, a declaration such as `Date`, a suspended schema, a node carrying parse
 * options) is decoded or encoded by Effect's own parser for that node. Whenever anything fails,
 * the whole input goes again through `Schema.decodeUnknownEither` (or `encodeUnknownEither`), so
 * a failure is Effect's `ParseError`, unchanged (and the schema's own transformations and filters,
 * which Schema expects to be pure, run twice then).
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"

/** What a compiled node answers for an input it does not accept. */
const rejected: unique symbol = Symbol("effect-dao/Decoder/rejected")

type Compiled = (input: unknown) => unknown

const isRecord = (input: unknown): input is Record<PropertyKey, unknown> =>
  typeof input === "object" && input !== null && !Array.isArray(input)

const delegatedNodes = new WeakSet<Compiled>()

/** Effect's parser for one node, for what is not compiled here. */
const delegated = (ast: AST.AST, decoding: boolean): Compiled => {
  const parse = (decoding ? ParseResult.decodeUnknownEither : ParseResult.encodeUnknownEither)(Schema.make(ast))
  const compiled: Compiled = (input) => {
    const result = parse(input)
    return Either.isRight(result) ? result.right : rejected
  }
  delegatedNodes.add(compiled)
  return compiled
}

/** The side of a node that a parser going in a direction reads: the encoded one when decoding. */
const inputSide = (ast: AST.AST, decoding: boolean): AST.AST => decoding ? AST.encodedAST(ast) : AST.typeAST(ast)

/**
 * Whether Effect's parser would try a union member ahead of its declared place: members with a
 * required literal-typed field (on the side it reads) go first (its "search tree"). Unions with
 * such members are left to Effect's parser, so that members are always tried in the same order.
 */
const isTagged = (ast: AST.AST, decoding: boolean): boolean => {
  const literal = (type: AST.AST) => AST.isLiteral(inputSide(type, decoding))
  switch (ast._tag) {
    case "TypeLiteral":
      return ast.propertySignatures.some((ps) => !ps.isOptional && literal(ps.type))
    case "TupleType":
      return ast.elements.some((element) => !element.isOptional && literal(element.type))
    case "Refinement":
      return isTagged(ast.from, decoding)
    case "Transformation":
      return isTagged(decoding ? ast.from : ast.to, decoding)
    case "Declaration":
      return Option.exists(AST.getSurrogateAnnotation(ast), (surrogate) => isTagged(surrogate, decoding))
    case "Suspend":
      return true
    default:
      return false
  }
}

/**
 * A union of structs told apart by one required literal field of the same name, each value its
 * own (`Schema.TaggedStruct`s, `{ kind: "circle", ... } | { kind: "square", ... }`): Effect's
 * parser tries only the member whose value the input's own field holds, and so does this. Any
 * other union with tagged members is left to Effect's parser.
 */
const discriminated = (members: ReadonlyArray<AST.AST>, decoding: boolean): Compiled | undefined => {
  let key: string | undefined
  const byValue = new Map<unknown, Compiled>()
  const seen = new Set<string>()
  for (const member of members) {
    if (member._tag !== "TypeLiteral" || changesParsing(member)) return undefined
    const tags = member.propertySignatures.filter((ps) => !ps.isOptional && AST.isLiteral(inputSide(ps.type, decoding)))
    const tag = tags[0]
    if (tags.length !== 1 || tag === undefined || typeof tag.name !== "string") return undefined
    if (key !== undefined && tag.name !== key) return undefined
    key = tag.name
    const value = (inputSide(tag.type, decoding) as AST.Literal).literal
    // Effect's parser files members by the value's string form: "1" and 1 would share a place.
    if (seen.has(String(value))) return undefined
    seen.add(String(value))
    byValue.set(value, compile(member, decoding))
  }
  if (key === undefined) return undefined
  const name = key
  return (input) => {
    if (!isRecord(input) || !Object.prototype.hasOwnProperty.call(input, name)) return rejected
    const member = byValue.get(input[name])
    return member === undefined ? rejected : member(input)
  }
}

/** Nodes whose annotations change how Effect's parser treats them and what is below them. */
const changesParsing = (ast: AST.AST): boolean =>
  Option.isSome(AST.getParseOptionsAnnotation(ast)) || Option.isSome(AST.getDecodingFallbackAnnotation(ast))

/** A refinement's base with every refinement on top of it removed, as Effect's parser encodes it. */
const unrefined = (ast: AST.AST): AST.AST => (AST.isRefinement(ast) ? unrefined(ast.from) : ast)

const compile = (ast: AST.AST, decoding: boolean): Compiled => {
  if (changesParsing(ast)) return delegated(ast, decoding)
  switch (ast._tag) {
    case "StringKeyword":
      return (input) => (typeof input === "string" ? input : rejected)
    case "NumberKeyword":
      return (input) => (typeof input === "number" ? input : rejected)
    case "BooleanKeyword":
      return (input) => (typeof input === "boolean" ? input : rejected)
    case "UndefinedKeyword":
      return (input) => (input === undefined ? input : rejected)
    case "UnknownKeyword":
    case "AnyKeyword":
      return (input) => input
    case "Literal": {
      const literal = ast.literal
      return (input) => (input === literal ? input : rejected)
    }
    case "Refinement": {
      if (!decoding) {
        // As Effect's parser: the value is checked against the refined type, then the base is encoded.
        const checked = compile(AST.typeAST(ast), true)
        const base = compile(unrefined(ast.from), false)
        return (input) => {
          const value = checked(input)
          return value === rejected ? rejected : base(value)
        }
      }
      const from = compile(ast.from, true)
      const refinement = ast
      return (input) => {
        const value = from(input)
        if (value === rejected) return rejected
        return Option.isNone(refinement.filter(value, AST.defaultParseOption, refinement)) ? value : rejected
      }
    }
    case "Union": {
      if (ast.types.some((member) => isTagged(member, decoding))) {
        return discriminated(ast.types, decoding) ?? delegated(ast, decoding)
      }
      const members = ast.types.map((member) => compile(member, decoding))
      return (input) => {
        for (let i = 0; i < members.length; i++) {
          const value = members[i]!(input)
          if (value !== rejected) return value
        }
        return rejected
      }
    }
    case "TupleType": {
      // Arrays (`Schema.Array`): no fixed elements, one rest element.
      if (ast.elements.length > 0 || ast.rest.length !== 1) return delegated(ast, decoding)
      const element = compile(ast.rest[0]!.type, decoding)
      return (input) => {
        if (!Array.isArray(input)) return rejected
        const output: Array<unknown> = []
        for (let i = 0; i < input.length; i++) {
          const value = element(input[i])
          if (value === rejected) return rejected
          output.push(value)
        }
        return output
      }
    }
    case "TypeLiteral": {
      // Structs: string keys, no index signatures. As with Effect's parser by default, keys the
      // schema does not name are dropped, an optional key that is absent stays absent, and a
      // required one is read even when absent (so only a type admitting `undefined` accepts that).
      if (ast.indexSignatures.length > 0 || ast.propertySignatures.some((ps) => typeof ps.name !== "string")) {
        return delegated(ast, decoding)
      }
      // `Schema.Struct({})`: Effect's parser takes any value but null and undefined, as it is.
      if (ast.propertySignatures.length === 0) {
        return (input) => (input === null || input === undefined ? rejected : input)
      }
      const names = ast.propertySignatures.map((ps) => ps.name as string)
      const optional = ast.propertySignatures.map((ps) => ps.isOptional)
      const fields = ast.propertySignatures.map((ps) => compile(ps.type, decoding))
      return (input) => {
        if (!isRecord(input)) return rejected
        const output: Record<string, unknown> = {}
        for (let i = 0; i < names.length; i++) {
          const name = names[i]!
          if (optional[i] && !Object.prototype.hasOwnProperty.call(input, name)) continue
          const value = fields[i]!(input[name])
          if (value === rejected) return rejected
          output[name] = value
        }
        return output
      }
    }
    default:
      return delegated(ast, decoding)
  }
}

type Parse = (input: unknown) => Either.Either<unknown, ParseResult.ParseError>

/** The compiled parser of a schema in a direction, made once; Effect's own when nothing compiles. */
const parser = (known: WeakMap<AST.AST, Parse>, ast: AST.AST, decoding: boolean): Parse => {
  const found = known.get(ast)
  if (found !== undefined) return found
  const fast = compile(ast, decoding)
  const full: Parse = (decoding ? Schema.decodeUnknownEither : Schema.encodeUnknownEither)(Schema.make(ast))
  const parse: Parse = delegatedNodes.has(fast) ? full : (input) => {
    const value = fast(input)
    return value === rejected ? full(input) : Either.right(value)
  }
  known.set(ast, parse)
  return parse
}

const decoders = new WeakMap<AST.AST, Parse>()
const encoders = new WeakMap<AST.AST, Parse>()

/**
 * `Schema.decodeUnknownEither(schema)` with its default options: the same value for an input it
 * accepts, the same `ParseError` for one it does not. Compiled once per schema.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeUnknownEither = <A, I>(
  schema: Schema.Schema<A, I, never>
): (input: unknown) => Either.Either<A, ParseResult.ParseError> =>
  parser(decoders, schema.ast, true) as (input: unknown) => Either.Either<A, ParseResult.ParseError>

/**
 * `Schema.encodeUnknownEither(schema)` with its default options: the same encoded value for a
 * value it accepts, the same `ParseError` for one it does not. Compiled once per schema.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeUnknownEither = <A, I>(
  schema: Schema.Schema<A, I, never>
): (value: unknown) => Either.Either<I, ParseResult.ParseError> =>
  parser(encoders, schema.ast, false) as (value: unknown) => Either.Either<I, ParseResult.ParseError>
