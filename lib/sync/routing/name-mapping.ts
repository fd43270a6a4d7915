/**
 * @module
 * zot's name mapping between upstream and local repositories (docs/zot-compatibility.md 5.4), as pure
 * functions: `content[].prefix` is a doublestar glob over upstream names, the first matching
 * entry wins, and `destination`/`stripPrefix` say where the repository lands locally. On demand
 * the inverse runs: the local name picks the entry and the upstream name is rebuilt from it.
 */
import { repositoryGlob, type RepositoryMatcher } from '../../auth/policy/repository-glob'
import type { SyncContentConfig } from '../../config'

/** Compiled globs by text: the config's prefixes and the local patterns derived from them. */
const matchers = new Map<string, RepositoryMatcher>()

function matches(glob: string, name: string): boolean {
  let matcher = matchers.get(glob)
  if (!matcher) {
    matcher = repositoryGlob(glob)
    matchers.set(glob, matcher)
  }
  return matcher(name)
}

/** Trims every leading and trailing character of `set` (Go's strings.Trim). */
function trimChars(text: string, set: string): string {
  let start = 0
  let end = text.length
  while (start < end && set.includes(text[start]!)) start++
  while (end > start && set.includes(text[end - 1]!)) end--
  return text.slice(start, end)
}

/**
 * doublestar's SplitPattern: the part after the last `/` that precedes the first glob
 * meta-character (`repo1/**` → `**`; `library/nginx/` → ``).
 */
function globPart(pattern: string): string {
  let split = -1
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '\\') i++
    else if (c === '/') split = i
    else if (c === '*' || c === '?' || c === '[' || c === '{') break
  }
  return split < 0 ? pattern : pattern.slice(split + 1)
}

const joinTrimmed = (...parts: string[]): string => trimChars(parts.join('/'), '/')

/** The content entry that covers an upstream repository (periodic sync, `?ns=` routing). */
export function contentForRemote(content: readonly SyncContentConfig[], remote: string): SyncContentConfig | undefined {
  return content.find((entry) => matches(entry.prefix.replace(/^\//, ''), remote))
}

/** The content entry whose local namespace covers a local repository (on-demand sync). */
export function contentForLocal(content: readonly SyncContentConfig[], local: string): SyncContentConfig | undefined {
  const name = trimChars(local, '/')
  return content.find((entry) => matches(localPattern(entry), name))
}

/** The glob a local name must match for this entry: `destination/prefix`, or its glob part. */
export function localPattern(entry: SyncContentConfig): string {
  const prefix = `${trimChars(entry.prefix, '/')}/`
  const destination = trimChars(entry.destination, '/')
  return joinTrimmed(destination, entry.stripPrefix ? globPart(prefix) : prefix)
}

/** Where an upstream repository is stored locally (zot's getRepoDestination). */
export function localName(entry: SyncContentConfig, remote: string): string {
  const destination = trimChars(entry.destination, '/')
  let name = trimChars(remote, '/')
  if (entry.stripPrefix) name = trimChars(stripLeading(name, trimChars(entry.prefix, '/*')), '/')
  return joinTrimmed(destination, name)
}

/** The upstream repository a local one mirrors (zot's getRepoSource, the inverse of localName). */
export function remoteName(entry: SyncContentConfig, local: string): string {
  const destination = trimChars(entry.destination, '/')
  const rest = trimChars(stripLeading(trimChars(local, '/'), destination), '/')
  return entry.stripPrefix ? joinTrimmed(trimChars(entry.prefix, '/*'), rest) : rest
}

const stripLeading = (text: string, prefix: string): string =>
  text.startsWith(prefix) ? text.slice(prefix.length) : text

/** Docker Hub's official images live under `library/`; a bare `alpine` means `library/alpine`. */
export const dockerHubName = (name: string): string => (name.includes('/') ? name : `library/${name}`)
