/**
 * Typed Redis key patterns.
 *
 * A pattern such as `"asset:{asset_id}:status"` names its parameters; applying it to values
 * gives a `Key`, which the Redis DAOs render (with the application's namespace) when they use it.
 * Rendering rejects any parameter value that could widen a `SCAN MATCH` or reach another key:
 * glob characters, braces, a backslash, whitespace or control characters (CR/LF), the separator,
 * an empty value, or one longer than `maxParameterLength`; and a template with two parameters in
 * one segment (`{a}-{b}`), whose values could be split two ways.
 *
 * @example
 * ```ts
 * const status = KeyPattern.make("asset:{asset_id}:status")
 * const key = status({ asset_id: "truck-123" })
 * KeyPattern.render(key, { namespace: "mine" }) // Either.right("mine:asset:truck-123:status")
 * ```
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Either from "effect/Either"
import { ValidationError } from "../errors.js"

/**
 * The character between the segments of a key.
 *
 * @since 0.1.0
 * @category models
 */
export const separator = ":"

/**
 * The longest accepted parameter value (and namespace segment), in characters.
 *
 * @since 0.1.0
 * @category models
 */
export const maxParameterLength = 128

/**
 * The names of the parameters of a template: `"a:{x}:{y}"` gives `"x" | "y"`.
 *
 * @since 0.1.0
 * @category models
 */
export type ParameterNames<T extends string> = T extends `${string}{${infer Name}}${infer Rest}`
  ? Name | ParameterNames<Rest>
  : never

/**
 * A value a parameter accepts.
 *
 * @since 0.1.0
 * @category models
 */
export type ParameterValue = string | number

/**
 * The parameters of a template, by name.
 *
 * @since 0.1.0
 * @category models
 */
export type Parameters<T extends string> = { readonly [Name in ParameterNames<T>]: ParameterValue }

/**
 * What a pattern is applied to: nothing for a template without parameters.
 *
 * @since 0.1.0
 * @category models
 */
export type Arguments<T extends string> = [ParameterNames<T>] extends [never] ? [] : [parameters: Parameters<T>]

/**
 * A key described by a pattern and its parameter values. It is checked when it is rendered,
 * so a bad value surfaces as a `ValidationError` from the DAO call that uses it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Key {
  readonly _tag: "Key"
  /** The pattern's template: safe to log and to put in span attributes (it holds no values). */
  readonly template: string
  readonly parameters: Readonly<Record<string, ParameterValue>>
}

/**
 * A key template with named parameters; calling it with their values gives a `Key`.
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyPattern<T extends string> {
  (...args: Arguments<T>): Key
  readonly template: T
  readonly names: ReadonlyArray<string>
}

const placeholder = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g

/**
 * Characters no key part may hold: glob syntax, braces, escapes, whitespace, control characters,
 * and lone surrogates (not Unicode text: ioredis writes each as U+FFFD, so two different values
 * would name one key).
 */
const forbidden = /[{}*?[\]\\\s\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u

const describe = (char: string): string => {
  const code = char.codePointAt(0) ?? 0
  return /[\s\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u.test(char)
    ? `a whitespace, control, format or lone surrogate character (U+${
      code.toString(16).toUpperCase().padStart(4, "0")
    })`
    : `"${char}"`
}

/**
 * Builds a pattern from a template such as `"user:{user_id}"`. Parameter names are letters,
 * digits and underscores.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <const T extends string>(template: T): KeyPattern<T> => {
  const names = Array.from(template.matchAll(placeholder), (match) => match[1] ?? "")
  const apply = (...args: Arguments<T>): Key => ({
    _tag: "Key",
    template,
    parameters: args[0] ?? {}
  })
  return Object.assign(apply, { template, names })
}

/**
 * Checks one key part (a parameter value or a namespace segment).
 *
 * @since 0.1.0
 * @category constructors
 */
export const checkSegment = (field: string, value: unknown): Either.Either<string, ValidationError> => {
  if (typeof value === "number") {
    return Number.isFinite(value) ? Either.right(String(value)) : invalid(field, "must be a finite number")
  }
  if (typeof value !== "string") return invalid(field, "must be a string or a number")
  if (value.length === 0) return invalid(field, "must not be empty")
  // Characters are code points: an emoji is one, though two UTF-16 units (and text of more than
  // twice the units has more than the limit's code points in any case).
  if (
    value.length > maxParameterLength &&
    (value.length > 2 * maxParameterLength || [...value].length > maxParameterLength)
  ) return invalid(field, `must be at most ${maxParameterLength} characters`)
  const bad = forbidden.exec(value)
  if (bad) return invalid(field, `must not contain ${describe(bad[0])}`)
  if (value.includes(separator)) return invalid(field, `must not contain the separator "${separator}"`)
  return Either.right(value)
}

const invalid = (field: string, detail: string) => Either.left(new ValidationError({ field, detail }))

/**
 * Checks a namespace: one or more segments joined by the separator, each a valid key part.
 * The empty namespace means "no prefix".
 *
 * @since 0.1.0
 * @category constructors
 */
export const checkNamespace = (namespace: string): Either.Either<string, ValidationError> => {
  if (namespace === "") return Either.right("")
  for (const segment of namespace.split(separator)) {
    const checked = checkSegment("namespace", segment)
    if (Either.isLeft(checked)) return checked
  }
  return Either.right(namespace)
}

/**
 * How keys are rendered.
 *
 * @since 0.1.0
 * @category models
 */
export interface RenderOptions {
  /** Put in front of every key, followed by the separator; empty (the default) for none. */
  readonly namespace?: string | undefined
}

/**
 * A template split at its placeholders: `statics[0] + value of names[0] + statics[1] + ...`,
 * with its static text known to be safe.
 */
interface CompiledTemplate {
  readonly names: ReadonlyArray<string>
  readonly statics: ReadonlyArray<string>
}

const compileTemplate = (template: string): Either.Either<CompiledTemplate, ValidationError> => {
  const badStatic = forbidden.exec(template.replace(placeholder, ""))
  if (badStatic || template.length === 0) {
    return Either.left(
      new ValidationError({
        field: "pattern",
        detail: badStatic ? `template must not contain ${describe(badStatic[0])}` : "template must not be empty"
      })
    )
  }
  const names: Array<string> = []
  const statics: Array<string> = []
  let from = 0
  for (const match of template.matchAll(placeholder)) {
    statics.push(template.slice(from, match.index))
    names.push(match[1] ?? "")
    from = match.index + match[0].length
  }
  statics.push(template.slice(from))
  // Values hold no separator, so one parameter per segment names one key per set of values; two
  // in a segment do not: `doc:{tenant}-{doc}` renders `doc:acme-eu-7` for (`acme-eu`, `7`) and
  // for (`acme`, `eu-7`), one tenant's key reachable by another's values.
  if (statics.slice(1, -1).some((between) => !between.includes(separator))) {
    return Either.left(
      new ValidationError({
        field: "pattern",
        detail: `template must have "${separator}" between any two parameters, or two sets of values name one key`
      })
    )
  }
  return Either.right({ names, statics })
}

// Templates and namespaces are few and fixed in code; checking and splitting them once, not on
// every key rendered, takes the regular expressions off the cache hit path.
const templates = new Map<string, Either.Either<CompiledTemplate, ValidationError>>()
const namespaces = new Map<string, Either.Either<string, ValidationError>>()
const rememberedLimit = 1_000

const remembered = <A>(
  memo: Map<string, Either.Either<A, ValidationError>>,
  text: string,
  check: (text: string) => Either.Either<A, ValidationError>
): Either.Either<A, ValidationError> => {
  const known = memo.get(text)
  if (known !== undefined) return known
  const checked = check(text)
  if (memo.size >= rememberedLimit) memo.clear()
  memo.set(text, checked)
  return checked
}

/**
 * Renders a key to the string sent to Redis, or fails with a `ValidationError` naming the
 * offending parameter (never echoing its value).
 *
 * @since 0.1.0
 * @category constructors
 */
export const render = (key: Key, options: RenderOptions = {}): Either.Either<string, ValidationError> => {
  const namespace = remembered(namespaces, options.namespace ?? "", checkNamespace)
  if (Either.isLeft(namespace)) return namespace
  const compiled = remembered(templates, key.template, compileTemplate)
  if (Either.isLeft(compiled)) return Either.left(compiled.left)
  const { names, statics } = compiled.right
  for (const name in key.parameters) {
    if (!names.includes(name)) {
      return Either.left(new ValidationError({ field: name, detail: `is not a parameter of "${key.template}"` }))
    }
  }
  let rendered = namespace.right === "" ? statics[0]! : `${namespace.right}${separator}${statics[0]!}`
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!
    if (!Object.hasOwn(key.parameters, name)) {
      return Either.left(new ValidationError({ field: name, detail: "is missing" }))
    }
    const checked = checkSegment(name, key.parameters[name])
    if (Either.isLeft(checked)) return checked
    rendered += checked.right + statics[i + 1]!
  }
  return Either.right(rendered)
}

// ---------------------------------------------------------------------------------------------
// Ready-made patterns
// ---------------------------------------------------------------------------------------------

/**
 * A user's data: `user:{user_id}`.
 *
 * @since 0.1.0
 * @category patterns
 */
export const user = make("user:{user_id}")

/**
 * A user's list of analyses: `user_analyses:{user_id}`.
 *
 * @since 0.1.0
 * @category patterns
 */
export const userAnalyses = make("user_analyses:{user_id}")

/**
 * The result of one analysis: `analysis_result:{analysis_id}`.
 *
 * @since 0.1.0
 * @category patterns
 */
export const analysisResult = make("analysis_result:{analysis_id}")

/**
 * The result of one tool generation: `tool_generation:{tool_id}`.
 *
 * @since 0.1.0
 * @category patterns
 */
export const toolGeneration = make("tool_generation:{tool_id}")

/**
 * System statistics: `system_stats`.
 *
 * @since 0.1.0
 * @category patterns
 */
export const systemStats = make("system_stats")

/**
 * A cached API response: `api:{endpoint}:{hash}` (the hash of the request's parameters).
 *
 * @since 0.1.0
 * @category patterns
 */
export const apiResponse = make("api:{endpoint}:{hash}")

/**
 * Every cached response of one endpoint, for `invalidatePrefix`: `api:{endpoint}:`.
 *
 * @since 0.1.0
 * @category patterns
 */
export const apiEndpoint = make("api:{endpoint}:")

/**
 * An asset's current status: `asset:{asset_id}:status`.
 *
 * @since 0.1.0
 * @category patterns
 */
export const assetStatus = make("asset:{asset_id}:status")

/**
 * The set of region ids an asset is tracked against: `asset:{asset_id}:regions`.
 *
 * @since 0.1.0
 * @category patterns
 */
export const assetRegions = make("asset:{asset_id}:regions")

/**
 * A sorted set of a region's versions (member and score are the version number):
 * `region:{region_id}:versions`.
 *
 * @since 0.1.0
 * @category patterns
 */
export const regionVersions = make("region:{region_id}:versions")

/**
 * A hash holding one version of a region: `region:{region_id}:v:{version}`.
 *
 * @since 0.1.0
 * @category patterns
 */
export const regionVersion = make("region:{region_id}:v:{version}")

/**
 * A namespace read from the environment variable `name`: checked like any namespace, empty
 * (no namespace) when the variable is not set.
 *
 * @since 0.1.0
 * @category constructors
 */
export const namespaceConfig = (name: string): Config.Config<string> =>
  Config.string(name).pipe(
    Config.validate({
      message: "must be segments of letters, digits, - _ . separated by \":\"",
      validation: (namespace) => Either.isRight(checkNamespace(namespace))
    }),
    Config.withDefault("")
  )
