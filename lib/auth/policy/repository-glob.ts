/**
 * @module
 * Repository globs with the semantics of `github.com/bmatcuk/doublestar/v4` (zot's library):
 * `*` stays within one path segment, `**` as a whole segment spans zero or more segments (so
 * `tmp/**` matches `tmp` itself; elsewhere `**` is `*`), `?` is one character, `[abc]`, `[a-z]`,
 * `[!a]`/`[^a]` are classes, `{a,b}` are alternatives (nesting allowed), and `\` escapes.
 * Malformed globs match nothing, as in zot (doublestar reports ErrBadPattern, which zot treats
 * as no match); config validation reports them. Where doublestar's code strays from its own
 * documentation, in globs no repository config needs, the documentation wins: a class never
 * matches `/`; a name may end wherever the rest of the glob can match nothing (doublestar
 * accepts a short fixed list of such rests, so `a/**` + `/**` does not match `a` there); braces
 * are expanded before `**` is recognised as a segment.
 *
 * Matching runs in time linear in the name whatever the glob, because globs are written by
 * users (API-key scopes) and matched on the event loop for every request: a backtracking regex
 * (picomatch, before) let one 55-character name freeze the registry for seconds. Here braces are
 * expanded at compile time (at most MAX_GLOB_ALTERNATIVES), each segment is matched with the
 * classic one-backtrack-point star algorithm (O(segment × pattern)), and `**` is a set of states
 * stepped once per name segment.
 */
import { GLOBSTAR, GlobError, parseGlob, STAR, type ParsedGlob, type Segment, type Token } from './glob-syntax'

/** A compiled glob: true when the repository name matches. */
export type RepositoryMatcher = (repository: string) => boolean

/** The most brace alternatives an operator-written glob may expand to. */
export const MAX_GLOB_ALTERNATIVES = 256

/** One segment against one name segment: a later star supersedes an earlier one's backtrack. */
function matchSegment(tokens: readonly Token[], chars: readonly string[]): boolean {
  let token = 0
  let char = 0
  let starToken = -1
  let starChar = 0
  while (char < chars.length) {
    const test = tokens[token]
    if (test === STAR) {
      starToken = ++token
      starChar = char
    } else if (test?.(chars[char] ?? '')) {
      token++
      char++
    } else if (starToken < 0) {
      return false
    } else {
      // The last star takes one more character and the rest of the segment is tried again.
      token = starToken
      char = ++starChar
    }
  }
  while (tokens[token] === STAR) token++
  return token === tokens.length
}

/** After reaching a `**`, the segment after it is reachable too (it may span nothing). */
function passGlobstars(segments: readonly Segment[], states: Uint8Array): void {
  for (let index = 0; index < segments.length; index++) {
    if (states[index] === 1 && segments[index] === GLOBSTAR) states[index + 1] = 1
  }
}

/** The name's segments against the glob's: `states[i]` is 1 when segment i may come next. */
function matchSegments(segments: readonly Segment[], names: readonly (readonly string[])[]): boolean {
  let states = new Uint8Array(segments.length + 1)
  states[0] = 1
  passGlobstars(segments, states)
  for (const name of names) {
    const next = new Uint8Array(segments.length + 1)
    let alive = false
    for (let index = 0; index < segments.length; index++) {
      if (states[index] !== 1) continue
      const segment = segments[index]
      // A `**` consumes the name segment and stays; a plain segment must match it.
      if (segment === GLOBSTAR) next[index] = 1
      else if (segment !== undefined && matchSegment(segment, name)) next[index + 1] = 1
      else continue
      alive = true
    }
    if (!alive) return false
    passGlobstars(segments, next)
    states = next
  }
  return states[segments.length] === 1
}

/** The matcher of an already parsed glob (key scopes parse first to check their limits). */
export function globMatcher(glob: ParsedGlob): RepositoryMatcher {
  return (repository) => {
    const names = repository.split('/').map((segment) => Array.from(segment))
    return glob.alternatives.some((segments) => matchSegments(segments, names))
  }
}

/**
 * Compiles a doublestar repository glob.
 *
 * @throws GlobError when its braces expand to more than MAX_GLOB_ALTERNATIVES alternatives
 * @example
 * repositoryGlob('ci/**')('ci/app/web') // true
 * repositoryGlob('ci/*')('ci/app/web') // false
 */
export function repositoryGlob(pattern: string): RepositoryMatcher {
  try {
    return globMatcher(parseGlob(pattern, MAX_GLOB_ALTERNATIVES))
  } catch (error) {
    if (error instanceof GlobError && error.malformed) return () => false
    if (!(error instanceof GlobError)) throw error
    throw new Error(`repository glob ${JSON.stringify(pattern)} ${error.message}`)
  }
}
