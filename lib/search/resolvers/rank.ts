/**
 * @module
 * zot's `RankRepoName`: how well a repository name matches the searched text, lower is better,
 * -1 for no match. A match in the last path segment beats one in the first, which beats a prefix
 * of the whole name, which beats a match anywhere.
 */
const PERFECT = 0
const HIGH = 1
const MEDIUM = 10
const LOW = 100

export function rankRepositoryName(searched: string, name: string): number {
  const text = searched.replace(/^\/+|\/+$/g, '')
  const wanted = text.split('/')
  const segments = name.split('/')
  if (wanted.length > segments.length) return -1
  if (text === name) return PERFECT
  if (wanted.length === 1) {
    const inLast = segments[segments.length - 1]!.indexOf(text)
    if (inLast !== -1) return (inLast + 1) * HIGH
    const inFirst = segments[0]!.indexOf(text)
    if (inFirst !== -1) return (inFirst + 1) * MEDIUM
  }
  const prefixMatches = wanted.slice(0, -1).every((segment, i) => segment === segments[i])
  if (prefixMatches) {
    const inLast = segments[segments.length - 1]!.indexOf(wanted[wanted.length - 1]!)
    if (inLast !== -1) return (inLast + 1) * HIGH
  }
  if (name.startsWith(text)) return MEDIUM
  const anywhere = name.indexOf(text)
  return anywhere === -1 ? -1 : (anywhere + 1) * LOW
}
