/**
 * @module
 * Checks of the small languages inside a config: doublestar globs (repository patterns) and CEL
 * expressions (access-control conditions). Each returns a reason when the text would not compile
 * in zot. Go regular expressions have their own engine, in go-regex.ts.
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
