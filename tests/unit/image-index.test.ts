import { describe, expect, test } from 'bun:test'
import {
  emptyIndex,
  listTags,
  parseImageIndex,
  putManifestEntry,
  removeDigest,
  removeTag,
  type ImageIndex,
} from '../../lib/registry/storage/image-index'
import { TAG_ANNOTATION } from '../../lib/registry/layout'

const m = (n: number) => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
  size: n,
})
const tagged = (index: ImageIndex) =>
  index.manifests.map((d) => [d.digest.slice(7, 8), d.annotations?.[TAG_ANNOTATION] ?? null])

describe('putManifestEntry', () => {
  test('untagged push adds one entry; repeating it changes nothing', () => {
    const once = putManifestEntry(emptyIndex(), m(1), undefined)!
    expect(tagged(once)).toEqual([['1', null]])
    expect(putManifestEntry(once, m(1), undefined)).toBeUndefined()
  })

  test('tagging folds the untagged entry of the same digest', () => {
    const index = putManifestEntry(putManifestEntry(emptyIndex(), m(1), undefined)!, m(1), 'v1')!
    expect(tagged(index)).toEqual([['1', 'v1']])
  })

  test('a moved tag leaves the old manifest untagged; same tag and digest is a no-op', () => {
    const first = putManifestEntry(emptyIndex(), m(1), 'latest')!
    expect(putManifestEntry(first, m(1), 'latest')).toBeUndefined()
    const moved = putManifestEntry(first, m(2), 'latest')!
    expect(tagged(moved)).toEqual([
      ['1', null],
      ['2', 'latest'],
    ])
  })

  test('a moved tag does not duplicate a digest another tag still holds', () => {
    let index = putManifestEntry(emptyIndex(), m(1), 'a')!
    index = putManifestEntry(index, m(1), 'b')!
    index = putManifestEntry(index, m(2), 'a')!
    expect(tagged(index).sort()).toEqual([
      ['1', 'b'],
      ['2', 'a'],
    ])
  })

  test('inputs are never mutated', () => {
    const first = putManifestEntry(emptyIndex(), m(1), 'latest')!
    const snapshot = JSON.stringify(first)
    putManifestEntry(first, m(2), 'latest')
    removeTag(first, 'latest')
    expect(JSON.stringify(first)).toBe(snapshot)
  })
})

test('removeTag keeps the manifest untagged unless another entry lists it', () => {
  let index = putManifestEntry(emptyIndex(), m(1), 'a')!
  expect(tagged(removeTag(index, 'a')!)).toEqual([['1', null]])
  index = putManifestEntry(index, m(1), 'b')!
  expect(tagged(removeTag(index, 'a')!)).toEqual([['1', 'b']])
  expect(removeTag(index, 'zzz')).toBeUndefined()
})

test('removeDigest drops every entry of the digest', () => {
  let index = putManifestEntry(emptyIndex(), m(1), 'a')!
  index = putManifestEntry(index, m(1), 'b')!
  index = putManifestEntry(index, m(2), 'c')!
  expect(tagged(removeDigest(index, m(1).digest)!)).toEqual([['2', 'c']])
  expect(removeDigest(index, m(3).digest)).toBeUndefined()
})

test('listTags is sorted and unique; zot-written indexes with null manifests parse', () => {
  let index = emptyIndex()
  for (const tag of ['b', 'a', 'c']) index = putManifestEntry(index, m(1), tag)!
  expect(listTags(index)).toEqual(['a', 'b', 'c'])
  expect(parseImageIndex(new TextEncoder().encode('{"schemaVersion":2,"manifests":null}')).manifests).toEqual([])
})
