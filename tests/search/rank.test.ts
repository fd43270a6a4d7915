/**
 * Repository ranking as zot's `RankRepoName` (pkg/meta/common), with the cases its comments
 * give: lower is better, -1 is no match.
 */
import { expect, test } from 'bun:test'
import { repositoryRanker } from '../../lib/search/resolvers/rank'

const rank = (searched: string, name: string) => repositoryRanker(searched)(name)

test("zot's examples and tiers", () => {
  expect(rank('foo/bar', 'foo/bar')).toBe(0)
  // In the last segment: (index + 1) * 1.
  expect(rank('bar', 'foo/bar')).toBe(1)
  expect(rank('ar', 'foo/bar')).toBe(2)
  // In the first segment only: (index + 1) * 10.
  expect(rank('foo', 'foo/bar')).toBe(10)
  expect(rank('oo', 'foo/bar')).toBe(20)
  // Leading segments equal, the last one found in the name's last segment.
  expect(rank('foo/bar/rep', 'foo/bar/baz/repo')).toBe(1)
  expect(rank('foo/bar/epo', 'foo/bar/baz/repo')).toBe(2)
  // A prefix of the whole name.
  expect(rank('foo/bar/b', 'foo/bar/baz/repo')).toBe(10)
  // Anywhere: (index + 1) * 100.
  expect(rank('bar/ba', 'foo/bar/baz/repo')).toBe(500)
  expect(rank('foo/baz/rep', 'foo/bar/baz/repo')).toBe(-1)
  // More segments than the name has.
  expect(rank('a/b/c', 'a/b')).toBe(-1)
  // Slashes around the text are ignored; the empty text matches every name.
  expect(rank('/foo/bar/', 'foo/bar')).toBe(0)
  expect(rank('', 'x/y')).toBe(1)
})
