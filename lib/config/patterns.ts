/**
 * @module
 * Checks of the small languages inside a config: doublestar globs (repository patterns), Go
 * (RE2) regular expressions (tag filters, retention patterns, mTLS) and CEL expressions
 * (access-control conditions). Each returns a reason when the text would not compile in zot.
 */

/** The `fix:` for any glob `globProblem` refuses. */
export const GLOB_FIX =
  'write it in doublestar syntax (*, **, ?, [abc], {a,b}); a literal [ ] { } or \\ needs a \\ before it'

/** Why doublestar (zot's glob library) would refuse the pattern, or undefined when it is fine.
 * Mirrors doublestar's `ValidatePattern`: escapes need a following character, classes must be
 * closed and non-empty, and `{`/`}` must balance. */
export function globProblem(pattern: string): string | undefined {
  let braces = 0
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]
    if (char === '\\') {
      if (++index >= pattern.length) return 'ends with a lone backslash'
    } else if (char === '[') {
      index = classEnd(pattern, index)
      if (index < 0) return 'has a `[` character class that is empty or not closed with `]`'
    } else if (char === '{') braces++
    else if (char === '}') {
      if (braces === 0) return 'has a `}` without an opening `{`'
      braces--
    }
  }
  return braces > 0 ? 'has a `{` without a closing `}`' : undefined
}

/** Index of the `]` closing the class opened at `open`, or -1. */
function classEnd(pattern: string, open: number): number {
  let index = open + 1
  if (pattern[index] === '^' || pattern[index] === '!') index++
  if (index >= pattern.length || pattern[index] === ']') return -1
  for (; index < pattern.length; index++) {
    if (pattern[index] === '\\') index++
    else if (pattern[index] === ']') return index
  }
  return -1
}

const GO_FLAGS_PREFIX = /^\(\?([imsU]+)\)/
/** An unescaped position: preceded by an even number of backslashes. */
const UNESCAPED = String.raw`(?:^|[^\\])(?:\\\\)*`
const UNSUPPORTED_IN_GO: readonly [RegExp, string][] = [
  [new RegExp(`${UNESCAPED}\\(\\?<?[=!]`), 'Go regular expressions (RE2) have no lookahead or lookbehind'],
  [new RegExp(`${UNESCAPED}\\\\[1-9]`), 'Go regular expressions (RE2) have no backreferences'],
]

/** Why Go's `regexp.Compile` would refuse the pattern, or undefined when it compiles. */
export function goRegexProblem(pattern: string): string | undefined {
  for (const [construct, reason] of UNSUPPORTED_IN_GO) if (construct.test(pattern)) return reason
  try {
    toJsRegex(pattern)
    return undefined
  } catch (error) {
    return (error as Error).message.replace(/^Invalid regular expression: /, '')
  }
}

/** Compiles a Go regular expression as a JavaScript one: the `(?flags)` prefix becomes JS flags
 * and `(?P<name>` a named group. Unicode mode is tried first (for `\p{L}`), then the lenient
 * mode that accepts escaped punctuation such as `\-` like Go does. */
export function toJsRegex(pattern: string): RegExp {
  const flags = GO_FLAGS_PREFIX.exec(pattern)?.[1] ?? ''
  const body = pattern.slice(flags === '' ? 0 : flags.length + 3).replaceAll('(?P<', '(?<')
  const jsFlags = [...new Set(flags.replace('U', ''))].join('')
  try {
    return new RegExp(body, `${jsFlags}u`)
  } catch {
    return new RegExp(body, jsFlags)
  }
}

/** A structural check of a CEL expression: zot-bun cannot type-check CEL, but it can catch
 * empty expressions, unbalanced brackets and unterminated strings before the first request. */
export function celProblem(expression: string): string | undefined {
  if (expression.trim() === '') return 'the expression is empty'
  const closers: Record<string, string> = { '(': ')', '[': ']', '{': '}' }
  const open: string[] = []
  let quote: string | undefined
  for (let index = 0; index < expression.length; index++) {
    const char = expression[index] ?? ''
    if (quote) {
      if (char === '\\') index++
      else if (char === quote) quote = undefined
    } else if (char === '"' || char === "'") quote = char
    else if (char in closers) open.push(closers[char] ?? '')
    else if (char === ')' || char === ']' || char === '}') {
      if (open.pop() !== char) return `unbalanced \`${char}\` at position ${index + 1}`
    }
  }
  if (quote) return 'a string is not closed'
  return open.length > 0 ? `\`${open.at(-1)}\` is missing at the end` : undefined
}
