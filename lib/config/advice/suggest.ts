/**
 * @module
 * "Did you mean ...?" for unknown keys and enum values: the closest candidate by edit distance
 * (case-insensitive), or one that the written word is a prefix or abbreviation of.
 */

/** Levenshtein distance, two rows. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution))
    }
    previous = current
  }
  return previous[b.length] ?? 0
}

/** The candidate the user most likely meant, or undefined when none is close enough. */
export function nearest(written: string, candidates: readonly string[]): string | undefined {
  const word = written.toLowerCase()
  let best: { candidate: string; distance: number } | undefined
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate.toLowerCase())
    if (!best || distance < best.distance) best = { candidate, distance }
  }
  const limit = Math.max(2, Math.floor(word.length / 3))
  if (best && best.distance <= limit) return best.candidate
  if (word.length < 3) return undefined
  return candidates.find((candidate) => {
    const lower = candidate.toLowerCase()
    return lower.startsWith(word) || word.startsWith(lower)
  })
}
