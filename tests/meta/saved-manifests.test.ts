/**
 * Search's saved manifest metadata in the SQLite store: saved, found by digest after a restart,
 * and pruned to the digests still held; the bucket store saves none (a lookup there would cost
 * what reading the manifest costs).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSqliteMetaStore } from '../../lib/meta'

let directory: string
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'zot-saved-manifests-'))
})
afterAll(() => rm(directory, { recursive: true, force: true }))

const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`

test('saved, kept across a restart, pruned to what is still held', async () => {
  const path = join(directory, '_meta.sqlite')
  const first = openSqliteMetaStore(path)
  first.saveManifests([
    [digest(1), '{"a":1}'],
    [digest(2), '{"b":2}'],
    [digest(3), '{"c":3}'],
  ])
  first.close()
  const second = openSqliteMetaStore(path)
  expect(Object.fromEntries(await second.savedManifests([digest(1), digest(2), digest(4)]))).toEqual({
    [digest(1)]: '{"a":1}',
    [digest(2)]: '{"b":2}',
  })
  await second.keepManifests(new Set([digest(2)]))
  expect([...(await second.savedManifests([digest(1), digest(2), digest(3)])).keys()]).toEqual([digest(2)])
  second.close()
})
