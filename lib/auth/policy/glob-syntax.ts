/**
 * @module
 * The syntax half of repository globs (repository-glob.ts does the matching). Braces are
 * expanded into brace-free alternatives up front, with a cap, and each alternative is cut at `/`
 * into segments of single-character tests. Every step is one forward pass: nothing here, and
 * nothing the matcher does with the result, can backtrack exponentially.
 */

/** Why a glob cannot be compiled: `malformed` is doublestar's ErrBadPattern, else it is too big. */
export class GlobError extends Error {
  override name = 'GlobError'
  constructor(
    message: string,
    readonly malformed: boolean,
  ) {
    super(message)
  }
}

/** `*` inside a segment: any run of characters, `/` excepted. */
export const STAR = Symbol('*')
/** `**` as a whole segment: zero or more whole segments. */
export const GLOBSTAR = Symbol('**')
/** One character's test (a literal, `?` or a class), or a star. */
export type Token = ((char: string) => boolean) | typeof STAR
export type Segment = readonly Token[] | typeof GLOBSTAR

export interface ParsedGlob {
  /** One segment list per brace alternative; the glob matches when any alternative does. */
  alternatives: (readonly Segment[])[]
  /** The most wildcards (`*` runs, `**`, `?`, classes) in one alternative. */
  wildcards: number
  /** The most `**` segments in one alternative. */
  globstars: number
  /** How deeply braces nest: 0 without braces, 1 for `{a,b}`, 2 for `{a,{b,c}}`. */
  braceDepth: number
}

const BAD_CLASS = 'has a `[` character class that is empty or not closed with `]`'
const ANY = (): boolean => true
const literal =
  (expected: string) =>
  (char: string): boolean =>
    char === expected

/** The class `[...]` opening at `open`: its test and the index of its `]`. */
function parseClass(chars: readonly string[], open: number): { test: Token; close: number } {
  let index = open + 1
  const negate = chars[index] === '!' || chars[index] === '^'
  if (negate) index++
  // doublestar refuses `[]` and `[!]`: a `]` right after the opening is no member.
  if (chars[index] === ']') throw new GlobError(BAD_CLASS, true)
  const ranges: [number, number][] = []
  const take = (): number => {
    if (chars[index] === '\\') index++
    const char = chars[index++]
    if (char === undefined) throw new GlobError(BAD_CLASS, true)
    return char.codePointAt(0) ?? 0
  }
  while (chars[index] !== ']') {
    const low = take()
    // `-` between two characters is a range; first or last in the class it is itself.
    const range = chars[index] === '-' && chars[index + 1] !== ']' && index + 1 < chars.length
    if (range) index++
    ranges.push([low, range ? take() : low])
  }
  const test = (char: string): boolean => {
    const code = char.codePointAt(0) ?? -1
    return ranges.some(([low, high]) => low <= code && code <= high) !== negate
  }
  return { test, close: index }
}

interface Brace {
  open: number
  close: number
  commas: number[]
  depth: number
}

/** The first top-level `{...}` of `chars` (classes and escapes skipped), if any. */
function firstBrace(chars: readonly string[]): Brace | undefined {
  let open = -1
  let depth = 0
  let deepest = 0
  const commas: number[] = []
  for (let index = 0; index < chars.length; index++) {
    const char = chars[index]
    if (char === '\\') index++
    else if (char === '[') index = parseClass(chars, index).close
    else if (char === '{') {
      if (depth++ === 0) open = index
      deepest = Math.max(deepest, depth)
    } else if (char === ',' && depth === 1) commas.push(index)
    // A `}` with no `{` open is an ordinary character, as in doublestar's matcher.
    else if (char === '}' && depth > 0 && --depth === 0) {
      return { open, close: index, commas, depth: deepest }
    }
  }
  if (depth > 0) throw new GlobError('has a `{` without a closing `}`', true)
  return undefined
}

/** Every brace-free alternative of the glob, depth first; refuses more than `limit`. */
function expandBraces(pattern: string, limit: number): { patterns: string[]; depth: number } {
  const patterns: string[] = []
  const pending = [pattern]
  let depth = 0
  for (let text = pending.pop(); text !== undefined; text = pending.pop()) {
    const chars = Array.from(text)
    const brace = firstBrace(chars)
    if (!brace) {
      if (patterns.push(text) > limit) {
        throw new GlobError(`expands to more than ${limit} brace alternatives`, false)
      }
      continue
    }
    depth = Math.max(depth, brace.depth)
    const head = chars.slice(0, brace.open).join('')
    const tail = chars.slice(brace.close + 1).join('')
    const bounds = [brace.open, ...brace.commas, brace.close]
    // Pushed last to first, so alternatives come out in the order they are written.
    for (let index = bounds.length - 1; index > 0; index--) {
      const alternative = chars.slice((bounds[index - 1] ?? 0) + 1, bounds[index]).join('')
      pending.push(head + alternative + tail)
    }
  }
  return { patterns, depth }
}

/** Cuts a brace-free glob into segments, counting its wildcards and `**` segments. */
function parseAlternative(pattern: string): {
  segments: Segment[]
  wildcards: number
  globstars: number
} {
  const chars = Array.from(pattern)
  const segments: Segment[] = []
  let tokens: Token[] = []
  let start = 0
  let wildcards = 0
  let globstars = 0
  for (let index = 0; index <= chars.length; index++) {
    const char = chars[index]
    // An escaped `/` is still a separator: it can only match the `/` between name segments.
    if (char === undefined || char === '/' || (char === '\\' && chars[index + 1] === '/')) {
      const whole = chars.slice(start, index).join('') === '**'
      if (whole) globstars++
      segments.push(whole ? GLOBSTAR : tokens)
      if (char === '\\') index++
      start = index + 1
      tokens = []
    } else if (char === '\\') {
      const escaped = chars[++index]
      if (escaped === undefined) throw new GlobError('ends with a lone backslash', true)
      tokens.push(literal(escaped))
    } else if (char === '*') {
      // A run of stars is one star, `**` included when it is not a whole segment.
      if (tokens.at(-1) !== STAR) {
        tokens.push(STAR)
        wildcards++
      }
    } else if (char === '?') {
      tokens.push(ANY)
      wildcards++
    } else if (char === '[') {
      const { test, close } = parseClass(chars, index)
      tokens.push(test)
      wildcards++
      index = close
    } else tokens.push(literal(char))
  }
  return { segments, wildcards, globstars }
}

/**
 * doublestar lets a trailing `/**` + `/` match nothing (`a/**` + `/` matches `a`) when the name
 * ends right after a plain segment; that is the same glob without those two segments.
 */
function withoutTrailingGlobstarSlash(segments: readonly Segment[]): Segment[] | undefined {
  const count = segments.length
  const last = segments[count - 1]
  const plainBefore = count >= 3 && segments[count - 3] !== GLOBSTAR
  return plainBefore && segments[count - 2] === GLOBSTAR && last !== GLOBSTAR && last?.length === 0
    ? segments.slice(0, -2)
    : undefined
}

/**
 * Parses a doublestar glob.
 *
 * @param maxAlternatives the most brace alternatives accepted
 * @throws GlobError when doublestar would refuse the glob (`malformed`) or it expands too far
 * @example
 * parseGlob('{ci,qa}/**', 16).alternatives.length // 2
 */
export function parseGlob(pattern: string, maxAlternatives: number): ParsedGlob {
  const { patterns, depth } = expandBraces(pattern, maxAlternatives)
  const parsed: ParsedGlob = { alternatives: [], wildcards: 0, globstars: 0, braceDepth: depth }
  for (const text of patterns) {
    const { segments, wildcards, globstars } = parseAlternative(text)
    parsed.alternatives.push(segments)
    const shorter = withoutTrailingGlobstarSlash(segments)
    if (shorter) parsed.alternatives.push(shorter)
    parsed.wildcards = Math.max(parsed.wildcards, wildcards)
    parsed.globstars = Math.max(parsed.globstars, globstars)
  }
  return parsed
}
