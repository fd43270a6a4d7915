/**
 * @module
 * zot's `claimMapping` for OIDC workload identity (docs/auth.md "Workload identity"): CEL
 * expressions over the verified token's `claims` (and `vars`, the variables extracted so far)
 * that extract variables, validate the token, and map it to a user name and groups. Evaluation
 * order and results are zot's: variables in order, then every validation (a false one refuses
 * the token with its message), then `username` (a string; default `claims.iss + '/' + claims.sub`),
 * then `groups` (a list of strings; none by default).
 *
 * The expressions are the operator's but the claims are the token holder's, and CEL evaluation
 * here cannot be interrupted (zot's cel-go checks a context; zot passes the request's, which has
 * no deadline). So what would make a request's cost grow faster than the token's size is refused
 * when the config is read: an iteration over non-literal data inside another iteration
 * (`claims.a.exists(x, x in claims.b)` is quadratic), and a `matches` whose pattern is not a
 * literal string. `matches` runs on RE2 (re2js, linear time, Go's syntax as in cel-go), not on
 * JavaScript's backtracking engine, which the evaluator would use: its calls are renamed to a
 * function of ours before compiling. With the token size capped by the caller, every expression
 * costs at most its size times the token's.
 */
import { Environment } from '@marcbachmann/cel-js'
import { compileGoRegex, GoRegexError, type GoRegex } from '../../config/values/go-regex'

/** zot's default user name: unique across issuers (two clusters may have the same subject). */
export const DEFAULT_USERNAME_EXPRESSION = "claims.iss + '/' + claims.sub"

export interface ClaimMappingConfig {
  variables: readonly { name: string; expression: string }[]
  validations: readonly { expression: string; message: string }[]
  username: string
  groups: string
}

export interface ClaimIdentity {
  username: string
  groups: string[]
}

/** A claim mapping that does not compile; `key` is relative to the issuer's entry. */
export class ClaimMappingError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message)
  }
}

/** The macros that iterate over their receiver (CEL's comprehensions). */
const ITERATING_MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter'])

/** Parse-time limits: claim mappings are short; these keep a typo from becoming a huge program. */
const LIMITS = { maxAstNodes: 256, maxDepth: 32, maxListElements: 256, maxMapEntries: 256, maxCallArguments: 8 }

interface AstNode {
  op: string
  args: unknown
}

const isNode = (value: unknown): value is AstNode =>
  typeof value === 'object' && value !== null && 'op' in value && 'args' in value
const isLiteral = (node: unknown) => isNode(node) && (node.op === 'list' || node.op === 'map' || node.op === 'value')

/** Why evaluating the expression could cost more than linear in the token's size, or undefined. */
function costProblem(node: unknown, insideIteration = false): string | undefined {
  if (Array.isArray(node)) {
    for (const child of node) {
      const problem = costProblem(child, insideIteration)
      if (problem) return problem
    }
    return undefined
  }
  if (!isNode(node)) return undefined
  const args = Array.isArray(node.args) ? node.args : [node.args]
  const name = args[0]
  if ((node.op === 'rcall' || node.op === 'call') && name === 'matches') {
    const pattern = (node.op === 'rcall' ? args[2] : args[1]) as unknown[]
    const literal = pattern.at(-1)
    if (!isNode(literal) || literal.op !== 'value' || typeof literal.args !== 'string') {
      return 'the pattern of `matches` must be a literal string (a pattern from the token could cost time in the product of both sizes)'
    }
    try {
      regex(literal.args)
    } catch (error) {
      if (error instanceof GoRegexError)
        return `the pattern of \`matches\` is not a valid RE2 expression: ${error.message}`
      throw error
    }
  }
  if (node.op === 'rcall' && typeof name === 'string' && ITERATING_MACROS.has(name)) {
    const [, receiver, macroArgs] = args
    if (insideIteration && !isLiteral(receiver)) {
      return `\`${name}\` over token data inside another iteration: its cost grows with the square of the token's size; iterate over a literal list instead`
    }
    return costProblem(receiver, insideIteration) ?? costProblem(macroArgs, true)
  }
  if (node.op === 'in' && insideIteration && !isLiteral(args[1])) {
    return "`in` over token data inside an iteration: its cost grows with the square of the token's size; compare with a literal list instead"
  }
  return costProblem(args, insideIteration)
}

/** The compiled literal patterns of `matches`, bounded by the config's expressions. */
const regexes = new Map<string, GoRegex>()
function regex(pattern: string): GoRegex {
  let compiled = regexes.get(pattern)
  if (!compiled) {
    compiled = compileGoRegex(pattern)
    regexes.set(pattern, compiled)
  }
  return compiled
}

/** The name `matches` calls are given, so that they run on RE2. */
const RE2_MATCHES = 're2Matches'

/** `expression` with each `matches` call of its syntax tree renamed to RE2_MATCHES. */
function withRe2Matches(expression: string, ast: unknown): string {
  const positions: number[] = []
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk)
    if (!isNode(node)) return
    const args = Array.isArray(node.args) ? node.args : [node.args]
    if (node.op === 'rcall' && args[0] === 'matches') {
      // The name follows the receiver: `receiver.matches(`, maybe with spaces or its closing `)`.
      const dot = /[\s)]*\.\s*/y
      dot.lastIndex = (args[1] as { end: number }).end
      if (dot.exec(expression)) positions.push(dot.lastIndex)
    } else if (node.op === 'call' && args[0] === 'matches') positions.push((node as unknown as { start: number }).start)
    args.forEach(walk)
  }
  walk(ast)
  let renamed = expression
  for (const position of positions.sort((a, b) => b - a)) {
    if (!renamed.startsWith('matches', position)) throw new Error(`cannot locate matches at ${position}`)
    renamed = `${renamed.slice(0, position)}${RE2_MATCHES}${renamed.slice(position + 'matches'.length)}`
  }
  return renamed
}

const environment = new Environment({ enableOptionalTypes: true, limits: LIMITS })
  .registerVariable('claims', 'map')
  .registerVariable('vars', 'map')
  // cel-go's ext.Strings `replace`, which zot enables; the rest of ext.Strings used in claim
  // mappings (split, lowerAscii, upperAscii, trim, indexOf, join, substring) is built in.
  .registerFunction('string.replace(string, string): string', (text: string, from: string, to: string) =>
    text.replaceAll(from, to),
  )
  // CEL's `matches` (an unanchored search), on RE2; patterns are literals, compiled at config time.
  .registerFunction(`string.${RE2_MATCHES}(string): bool`, (text: string, pattern: string) => regex(pattern).test(text))
  .registerFunction(`${RE2_MATCHES}(string, string): bool`, (text: string, pattern: string) =>
    regex(pattern).test(text),
  )

type Evaluate = (context: { claims: Record<string, unknown>; vars: Record<string, unknown> }) => unknown

/** Parses and type-checks one expression; `type` is the result type it must have, if any. */
function compile(key: string, expression: string, type?: 'bool' | 'string'): Evaluate {
  let parsed: ReturnType<Environment['parse']>
  try {
    parsed = environment.parse(expression)
  } catch (error) {
    throw new ClaimMappingError(key, `not a valid CEL expression: ${firstLine(error)}`)
  }
  const checked = parsed.check()
  if (!checked.valid) throw new ClaimMappingError(key, `not a valid CEL expression: ${firstLine(checked.error)}`)
  // zot compiles validations with a bool output type: `claims.verified` alone is dyn and refused there too.
  if (type === 'bool' && checked.type !== 'bool') {
    throw new ClaimMappingError(key, `must evaluate to bool, but its type is ${checked.type}`)
  }
  const problem = costProblem(parsed.ast)
  if (problem) throw new ClaimMappingError(key, problem)
  const renamed = withRe2Matches(expression, parsed.ast)
  if (renamed === expression) return parsed as Evaluate
  const onRe2 = environment.parse(renamed)
  const recheck = onRe2.check()
  if (!recheck.valid) throw new ClaimMappingError(key, `not a valid CEL expression: ${firstLine(recheck.error)}`)
  return onRe2 as Evaluate
}

const firstLine = (error: unknown) => String((error as Error).message ?? error).split('\n')[0]

/** The compiled claim mapping of one issuer. */
export interface ClaimMapping {
  /** The identity the claims map to, or why the token is refused. */
  identify(claims: Record<string, unknown>): ClaimIdentity | string
}

/**
 * Compiles a `claimMapping` (absent: zot's defaults).
 *
 * @throws ClaimMappingError for an expression that does not parse, type-check, or is too costly
 * @example
 * const mapping = compileClaimMapping({ variables: [], validations: [], username: 'claims.sub', groups: '' })
 * mapping.identify({ sub: 'system:serviceaccount:flux-system:source-controller' })
 */
export function compileClaimMapping(config: ClaimMappingConfig | undefined): ClaimMapping {
  const variables = (config?.variables ?? []).map((variable, index) => {
    if (variable.name === '') throw new ClaimMappingError(`claimMapping.variables[${index}].name`, 'must not be empty')
    return {
      name: variable.name,
      evaluate: compile(`claimMapping.variables[${index}].expression`, variable.expression),
    }
  })
  const validations = (config?.validations ?? []).map((validation, index) => {
    const key = `claimMapping.validations[${index}]`
    if (validation.message === '') throw new ClaimMappingError(`${key}.message`, 'a validation needs a message')
    return { message: validation.message, evaluate: compile(`${key}.expression`, validation.expression, 'bool') }
  })
  const username = compile('claimMapping.username', config?.username || DEFAULT_USERNAME_EXPRESSION)
  const groups = config?.groups ? compile('claimMapping.groups', config.groups) : undefined

  return {
    identify(claims) {
      const vars: Record<string, unknown> = {}
      const context = { claims, vars }
      try {
        for (const variable of variables) vars[variable.name] = variable.evaluate(context)
        for (const validation of validations) {
          if (validation.evaluate(context) !== true) return `claim validation failed: ${validation.message}`
        }
        const name = username(context)
        if (typeof name !== 'string') return 'the username expression did not yield a string'
        const list = groups ? groups(context) : []
        if (!Array.isArray(list) || !list.every((group) => typeof group === 'string')) {
          return 'the groups expression did not yield a list of strings'
        }
        return { username: name, groups: list }
      } catch (error) {
        // A missing claim is an evaluation error in CEL, as in zot: the token is refused.
        return `claim mapping failed: ${firstLine(error)}`
      }
    },
  }
}
