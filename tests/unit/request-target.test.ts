import { expect, test } from 'bun:test'
import { parseRequestTarget } from '../../lib/oci/request-target'
import { RegistryError } from '../../lib/errors/registry-error'

const digest = `sha256:${'a'.repeat(64)}`

test.each([
  ['/v2/', { kind: 'base' }],
  ['/v2', { kind: 'base' }],
  ['/v2/_catalog', { kind: 'catalog' }],
  ['/v2/_oci/ext/discover', { kind: 'extension', name: 'discover' }],
  ['/v2/_zot/ext/mgmt', { kind: 'extension', name: 'mgmt' }],
  ['/v2/_zot/ext/search', { kind: 'extension', name: 'search' }],
  ['/v2/a/tags/list', { kind: 'tags', repository: 'a' }],
  ['/v2/a/b/c/manifests/latest', { kind: 'manifest', repository: 'a/b/c', reference: 'latest' }],
  [`/v2/lib/x/blobs/${digest}`, { kind: 'blob', repository: 'lib/x', digest }],
  ['/v2/lib/x/blobs/uploads/', { kind: 'uploads', repository: 'lib/x' }],
  ['/v2/lib/x/blobs/uploads', { kind: 'uploads', repository: 'lib/x' }],
  ['/v2/lib/x/blobs/uploads/abc', { kind: 'upload', repository: 'lib/x', uploadId: 'abc' }],
  [`/v2/lib/x/referrers/${digest}`, { kind: 'referrers', repository: 'lib/x', digest }],
  // Names may contain the API's own words: the last occurrence decides.
  ['/v2/manifests/manifests/manifests/v1', { kind: 'manifest', repository: 'manifests/manifests', reference: 'v1' }],
  ['/v2/tags/tags/list', { kind: 'tags', repository: 'tags' }],
])('%s', (path, expected) => {
  expect(parseRequestTarget(path)).toEqual(expected as never)
})

test('paths outside the API are not targets', () => {
  for (const path of ['/', '/metrics', '/v2x', '/v2/onlyname', '/v3/a/tags/list'])
    expect(parseRequestTarget(path)).toBeUndefined()
})

test('invalid names throw NAME_INVALID', () => {
  // Storage layout names too: `a/blobs/...` would map into repository a's blobs directory.
  for (const path of [
    '/v2/A/tags/list',
    '/v2/a..b/manifests/x',
    '/v2/_x/tags/list',
    '/v2/blobs/tags/list',
    '/v2/a/index.json/blobs/uploads/',
  ]) {
    try {
      parseRequestTarget(path)
      throw new Error('no error')
    } catch (error) {
      expect(error).toBeInstanceOf(RegistryError)
      expect((error as RegistryError).code).toBe('NAME_INVALID')
    }
  }
})
