/**
 * @module
 * Repository globs with the semantics of `github.com/bmatcuk/doublestar/v4` (zot's library):
 * `*` stays within one path segment, `**` as a whole segment spans zero or more segments (so
 * `tmp/**` matches `tmp` itself), `?`, `[...]` and `{a,b}` work. picomatch gets there with
 * dotfiles allowed and without its extras doublestar lacks: `!` negation and extglobs.
 */
import picomatch from 'picomatch'

const OPTIONS: picomatch.PicomatchOptions = { dot: true, nonegate: true, noextglob: true }

/** A compiled glob: true when the repository name matches. */
export type RepositoryMatcher = (repository: string) => boolean

/** Compiles a doublestar repository glob. */
export function repositoryGlob(pattern: string): RepositoryMatcher {
  const matcher = picomatch(pattern, OPTIONS)
  return (repository) => matcher(repository)
}
