/**
 * @module
 * The one regular-expression engine for every regex a config holds (sync `tags.regex` and
 * `tags.excludeRegex`, retention `keepTags[].patterns`, mTLS `uriSanPattern`): Go's RE2 syntax,
 * through re2js, a port of Go's `regexp`. `verify-config` and the code that matches at run time
 * compile through `compileGoRegex`, so a pattern that verifies is the pattern that runs.
 *
 * Why not JavaScript's RegExp with a translation: its syntax differs from Go's (`(?P<name>…)`,
 * `(?U)`, `[[:digit:]]`, `\Q…\E` throw or silently never match there), and it backtracks, so a
 * pattern such as `(a+)+$` can freeze the event loop on a long tag. RE2 matches in time linear in
 * the input whatever the pattern.
 */
import { RE2JS } from 're2js'

/** A compiled Go regular expression. Matching is unanchored, as Go's `MatchString`. */
export interface GoRegex {
  /** The pattern as written. */
  readonly source: string
  /** True when the pattern matches anywhere in `text`. */
  test(text: string): boolean
  /** Capture group `group` of the leftmost match (Go's `FindStringSubmatch(text)[group]`), or
   * undefined when nothing matches or the group took no part. */
  submatch(text: string, group: number): string | undefined
}

/** Thrown by `compileGoRegex`; the message is Go's own (`error parsing regexp: …`). */
export class GoRegexError extends Error {
  override readonly name = 'GoRegexError'
}

/**
 * Compiles `pattern` exactly as Go's `regexp.Compile` does (Perl flags, inline `(?imsU)`).
 *
 * @throws GoRegexError with Go's message when Go would refuse the pattern
 * @example
 * compileGoRegex('^v[[:digit:]]+\\.').test('v1.2') // true
 */
export function compileGoRegex(pattern: string): GoRegex {
  let compiled: RE2JS
  try {
    compiled = RE2JS.compile(pattern)
  } catch (error) {
    throw new GoRegexError((error as Error).message)
  }
  return {
    source: pattern,
    test: (text) => compiled.test(text),
    submatch(text, group) {
      const matcher = compiled.matcher(text)
      return matcher.find() && group <= matcher.groupCount() ? (matcher.group(group) ?? undefined) : undefined
    },
  }
}

/** Constructs other engines have and RE2 refuses, explained after Go's terse message. */
const MISSING_CONSTRUCTS: readonly [RegExp, string][] = [
  [/`\(\?<?[=!]/, 'Go regular expressions (RE2) have no lookahead or lookbehind'],
  [/escape sequence: `\\[1-9]/, 'Go regular expressions (RE2) have no backreferences'],
]

/** Why Go's `regexp.Compile` would refuse the pattern (Go's message, plus a hint for constructs
 * RE2 lacks), or undefined when it compiles. */
export function goRegexProblem(pattern: string): string | undefined {
  try {
    compileGoRegex(pattern)
    return undefined
  } catch (error) {
    const problem = (error as Error).message.replace(/^error parsing regexp: /, '')
    const hint = MISSING_CONSTRUCTS.find(([construct]) => construct.test(problem))?.[1]
    return hint ? `${problem} (${hint})` : problem
  }
}
