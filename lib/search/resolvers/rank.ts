/**
 * @module
 * zot's `RankRepositoryName` (`RankRepoName`): how well a repository name matches the searched
 * text, lower is better, -1 for no match. A match in the last path segment beats one in the
 * first, which beats a prefix of the whole name, which beats a match anywhere. The searched text
 * is split once per query and names are scanned without splitting them: a search ranks every
 * repository.
 */
const PERFECT = 0
const HIGH = 1
const MEDIUM = 10
const LOW = 100

function segmentCount(name: string): number {
  let count = 1
  for (let at = name.indexOf('/'); at !== -1; at = name.indexOf('/', at + 1)) count++
  return count
}

/** The ranking function for one searched text. */
export function repositoryRanker(searched: string): (name: string) => number {
  const text = searched.replace(/^\/+|\/+$/g, '')
  const wanted = text.split('/')
  const depth = wanted.length
  const lastWanted = wanted[depth - 1]!
  // zot compares the searched segments but the last with the name's first ones.
  const prefix = depth > 1 ? `${wanted.slice(0, -1).join('/')}/` : ''
  return (name) => {
    if (depth > 1 && segmentCount(name) < depth) return -1
    if (text === name) return PERFECT
    const lastStart = name.lastIndexOf('/') + 1
    if (depth === 1) {
      // Without a slash in the text, a match from the last segment's start lies within it.
      const inLast = name.indexOf(text, lastStart)
      if (inLast !== -1) return (inLast - lastStart + 1) * HIGH
      const firstEnd = name.indexOf('/')
      const first = name.indexOf(text)
      if (first !== -1 && (firstEnd === -1 || first + text.length <= firstEnd)) return (first + 1) * MEDIUM
    }
    if (name.startsWith(prefix)) {
      const inLast = name.indexOf(lastWanted, lastStart)
      if (inLast !== -1) return (inLast - lastStart + 1) * HIGH
    }
    if (name.startsWith(text)) return MEDIUM
    const anywhere = name.indexOf(text)
    return anywhere === -1 ? -1 : (anywhere + 1) * LOW
  }
}
