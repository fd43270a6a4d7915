/**
 * @module
 * CEL as zot-bun compiles it everywhere an operator writes expressions over data a client
 * controls (bearer `claimMapping` over token claims, access-control `conditions` over request
 * facts). The expressions are the operator's, their inputs are not, and CEL evaluation here
 * cannot be interrupted (zot's cel-go checks a context; zot passes the request's, which has no
 * deadline). So what would make an evaluation's cost grow faster than its input's size is refused
 * when the config is read: an iteration over non-literal data inside another iteration
 * (`a.exists(x, x in b)` is quadratic), and a `matches` whose pattern is not a literal string.
 * `matches` runs on RE2 (re2js, linear time, Go's syntax as in cel-go), not on JavaScript's
 * backtracking engine, which the evaluator would use: its calls are renamed to a function of ours
 * before compiling. With the inputs' sizes capped by the callers, every expression costs at most
 * its size times its input's.
 */
import { Environment } from '@marcbachmann/cel-js'
import { compileGoRegex, GoRegexError, type GoRegex } from '../../config/values/go-regex'

import { firstLine } from './first-line'

export { firstLine }

/** An expression that does not compile, parse, type-check or is too costly: the message says why. */
export class CelCompileError extends Error {
  override name = 'CelCompileError'
}

/** The macros that iterate over their receiver (CEL's comprehensions). */
const ITERATING_MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter'])

/** Parse-time limits: operator expressions are short; these keep a typo from becoming a huge program. */
const LIMITS = { maxAstNodes: 256, maxDepth: 32, maxListElements: 256, maxMapEntries: 256, maxCallArguments: 8 }

interface AstNode {
  op: string
  args: unknown
}

const isNode = (value: unknown): value is AstNode =>
  typeof value === 'object' && value !== null && 'op' in value && 'args' in value
const isLiteral = (node: unknown) => isNode(node) && (node.op === 'list' || node.op === 'map' || node.op === 'value')

/** Why evaluating the expression could cost more than linear in its input's size, or undefined. */
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
      return 'the pattern of `matches` must be a literal string (a pattern from the input could cost time in the product of both sizes)'
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
      return `\`${name}\` over input data inside another iteration: its cost grows with the square of the input's size; iterate over a literal list instead`
    }
    // Over a literal list the body runs a fixed number of times: it may iterate over input data.
    return costProblem(receiver, insideIteration) ?? costProblem(macroArgs, insideIteration || !isLiteral(receiver))
  }
  if (node.op === 'in' && insideIteration && !isLiteral(args[1])) {
    return "`in` over input data inside an iteration: its cost grows with the square of the input's size; compare with a literal list instead"
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

/**
 * A CEL environment with the limits and the functions every operator expression gets; register
 * the variables on it before compiling.
 */
export const boundedEnvironment = (): Environment =>
  new Environment({ enableOptionalTypes: true, limits: LIMITS })
    // cel-go's ext.Strings `replace`, which zot enables; the rest of ext.Strings used in zot's
    // expressions (split, lowerAscii, upperAscii, trim, indexOf, join, substring) is built in.
    .registerFunction('string.replace(string, string): string', (text: string, from: string, to: string) =>
      text.replaceAll(from, to),
    )
    // CEL's `matches` (an unanchored search), on RE2; patterns are literals, compiled at config time.
    .registerFunction(`string.${RE2_MATCHES}(string): bool`, (text: string, pattern: string) =>
      regex(pattern).test(text),
    )
    .registerFunction(`${RE2_MATCHES}(string, string): bool`, (text: string, pattern: string) =>
      regex(pattern).test(text),
    )

/** A compiled expression: evaluates against its variables, throws on evaluation errors. */
export type CelProgram<Variables> = (variables: Variables) => unknown

/**
 * Parses, type-checks and cost-checks one expression. With `type` 'bool' the checked type must
 * be bool, or dyn (a value read from a map of dyn, whose result is checked when evaluated).
 *
 * @throws CelCompileError saying what is wrong
 * @example
 * const program = compileBounded<{ claims: object }>(environment, 'claims.sub', 'string')
 */
export function compileBounded<Variables>(
  environment: Environment,
  expression: string,
  type?: 'bool' | 'bool or dyn',
): CelProgram<Variables> {
  let parsed: ReturnType<Environment['parse']>
  try {
    parsed = environment.parse(expression)
  } catch (error) {
    throw new CelCompileError(`not a valid CEL expression: ${firstLine(error)}`)
  }
  const checked = parsed.check()
  if (!checked.valid) throw new CelCompileError(`not a valid CEL expression: ${firstLine(checked.error)}`)
  const typeAllowed =
    type === undefined || checked.type === 'bool' || (type === 'bool or dyn' && checked.type === 'dyn')
  if (!typeAllowed) throw new CelCompileError(`must evaluate to bool, but its type is ${checked.type}`)
  const problem = costProblem(parsed.ast)
  if (problem) throw new CelCompileError(problem)
  const renamed = withRe2Matches(expression, parsed.ast)
  if (renamed === expression) return parsed as CelProgram<Variables>
  const onRe2 = environment.parse(renamed)
  const recheck = onRe2.check()
  if (!recheck.valid) throw new CelCompileError(`not a valid CEL expression: ${firstLine(recheck.error)}`)
  return onRe2 as CelProgram<Variables>
}
