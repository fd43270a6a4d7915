import { describe, expect, test } from 'bun:test'
import { parseGlob } from '../../lib/auth/policy/glob-syntax'
import { repositoryGlob } from '../../lib/auth/policy/repository-glob'

// Each expectation is what github.com/bmatcuk/doublestar/v4 Match answers (zot's library).
const CASES: [pattern: string, name: string, matches: boolean][] = [
  // The empty pattern matches the empty name only.
  ['', '', true],
  ['', 'a', false],
  // `**` alone matches everything, the empty name included.
  ['**', '', true],
  ['**', 'a', true],
  ['**', 'a/b/c', true],
  // `*` stays within one segment.
  ['*', '', true],
  ['*', 'abc', true],
  ['*', 'a/b', false],
  ['a/*', 'a/b', true],
  ['a/*', 'a/b/c', false],
  ['a/*', 'a', false],
  ['*/b', 'a/b', true],
  ['*/b', 'a/c/b', false],
  ['a*c', 'abbc', true],
  ['a*c', 'ab/c', false],
  // `**` as a whole segment spans zero or more segments.
  ['tmp/**', 'tmp', true],
  ['tmp/**', 'tmp/a', true],
  ['tmp/**', 'tmp/a/b', true],
  ['tmp/**', 'tmpx', false],
  ['tmp/**', 'tmpx/a', false],
  ['a/**/b', 'a/b', true],
  ['a/**/b', 'a/x/y/b', true],
  ['a/**/b', 'a/x/y/c', false],
  ['a/**/b', 'ab', false],
  ['**/b', 'b', true],
  ['**/b', 'x/y/b', true],
  ['**/b', 'x/yb', false],
  ['a/**/**/b', 'a/b', true],
  ['**/*-x', 'a/b/c-x', true],
  ['**/*-x', 'a/b/c-y', false],
  // doublestar: a trailing `/**/` may match nothing, but never a last segment.
  ['a/**/', 'a', true],
  ['a/**/', 'a/b', false],
  ['**/', 'a', false],
  // Elsewhere `**` is a plain `*`.
  ['a**', 'abc', true],
  ['a**', 'a/b', false],
  ['**a', 'x/a', false],
  ['a/**b', 'a/xb', true],
  ['a/**b', 'a/x/b', false],
  // `?`: one character, never `/`.
  ['?', 'a', true],
  ['?', '', false],
  ['a?c', 'abc', true],
  ['a?c', 'a/c', false],
  // Classes, negated with `!` or `^`, with ranges; never `/`.
  ['[abc]', 'b', true],
  ['[abc]', 'd', false],
  ['[a-c]x', 'bx', true],
  ['[!a-c]', 'd', true],
  ['[!a-c]', 'b', false],
  ['[^a]', 'b', true],
  ['[^a]', 'a', false],
  ['a[!x]b', 'a/b', false],
  ['[a-]', '-', true],
  ['[a-c-e]', '-', true],
  ['[a-c-e]', 'd', false],
  ['[\\]]', ']', true],
  // Braces: alternatives, anywhere, nested, empty, spanning segments.
  ['{a,b}/c', 'b/c', true],
  ['{a,b}/c', 'c/c', false],
  ['{a,}x', 'x', true],
  ['{a/b,c}/d', 'a/b/d', true],
  ['x{a,{b,c}}', 'xc', true],
  ['{a,b}{1,2}', 'b2', true],
  ['{a,b}{1,2}', 'b3', false],
  ['*{a,b}', 'xxa', true],
  ['{ci,qa}/**', 'qa', true],
  // Escapes make any character literal; `\/` is still the separator.
  ['\\*', '*', true],
  ['\\*', 'a', false],
  ['\\?', '?', true],
  ['\\[a]', '[a]', true],
  ['\\{a,b}', '{a,b}', true],
  ['a\\/b', 'a/b', true],
  // No negation or extglobs: those characters are literal.
  ['!a', 'b', false],
  ['!a', '!a', true],
  ['+(a|b)', 'a', false],
  ['+(a|b)', '+(a|b)', true],
  // A stray `}` is a character; malformed globs match nothing (doublestar's ErrBadPattern).
  ['}', '}', true],
  ['[a', '[a', false],
  ['[]a]', ']a', false],
  ['{a', '{a', false],
  ['a\\', 'a\\', false],
]

describe('repository globs: doublestar semantics', () => {
  test.each(CASES)('%p on %p is %p', (pattern, name, expected) => {
    expect(repositoryGlob(pattern)(name)).toBe(expected)
  })
})

describe('repository globs: limits', () => {
  test('braces are expanded at most 256 ways; beyond, the glob is refused by name', () => {
    expect(repositoryGlob('{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}')('abababab')).toBe(true)
    expect(() => repositoryGlob('{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}')).toThrow(
      /"\{a,b\}.*" expands to more than 256 brace alternatives/,
    )
  })

  test('the shape of a glob is measured for key-scope limits', () => {
    expect(parseGlob('*a?b[cd]/**/x/**', 16)).toMatchObject({
      wildcards: 5,
      globstars: 2,
      braceDepth: 0,
    })
    expect(parseGlob('{a,{b,c}}', 16)).toMatchObject({ braceDepth: 2 })
  })
})

describe('repository globs: time linear in the name whatever the pattern', () => {
  // A backtracking regex needs hours for these; the bound only guards against that kind of
  // blow-up (the served registry's /livez is the real assertion, in tests/security/redos).
  const PATHOLOGICAL = [
    '*a*a*a*a*a*a*a*a*b',
    '**/*-*-*-*-*-x',
    '**/**/**/**/**/**/b',
    '{*a,*b}*{a*,b*}*a*a*c',
    '[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*!',
  ]
  const NAMES = [
    'a'.repeat(255),
    `a${'-a'.repeat(127)}`,
    `${'a/'.repeat(127)}a`,
    'a'.repeat(4096),
    `a${'-a'.repeat(2047)}`,
    `${'a/'.repeat(2047)}a`,
  ]
  test.each(PATHOLOGICAL)('%p', (pattern) => {
    const matches = repositoryGlob(pattern)
    const started = performance.now()
    for (const name of NAMES) expect(matches(name)).toBe(false)
    expect(performance.now() - started).toBeLessThan(500)
  })
})
