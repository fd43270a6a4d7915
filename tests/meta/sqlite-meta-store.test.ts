import { describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { openSqliteMetaStore } from '../../lib/meta/sqlite-meta-store'
import { metaStorePath } from '../../lib/registry/layout'
import { pushImage } from '../http/harness'
import { makeMaintenanceHarness, tempDirectory } from '../maintenance/helpers'

describe('the SQLite metadata store', () => {
  test('push and pull times survive a restart', async () => {
    const root = await tempDirectory('meta')
    const first = openSqliteMetaStore(metaStorePath(root))
    first.recordPush('app', 'sha256:aa', ['v1', 'latest'], 1000)
    first.recordPull('app', 'sha256:aa', 'v1', 2000)
    first.recordPull('app', 'sha256:aa', undefined, 3000)
    first.blobLocations.added('app', 'sha256:bb')
    await first.setSetting('dedupe', 'on')
    first.close()

    const second = openSqliteMetaStore(metaStorePath(root))
    const stats = await second.repositoryStats('app')
    expect(stats.tags.get('v1')).toEqual({ digest: 'sha256:aa', pushedAt: 1000 })
    expect(stats.manifests.get('sha256:aa')).toEqual({ pushedAt: 1000, pulledAt: 3000, pullCount: 2, origin: 'push' })
    expect(await second.blobLocations.holders('sha256:bb')).toEqual(['app'])
    expect(await second.setting('dedupe')).toBe('on')
    second.close()
  })

  test('a re-push moves the tag and refreshes the push time; forgetting a manifest forgets its tags', async () => {
    const meta = openSqliteMetaStore(':memory:')
    meta.recordPush('app', 'sha256:aa', ['v1'], 1000)
    meta.recordPush('app', 'sha256:bb', ['v1', 'v2'], 2000)
    let stats = await meta.repositoryStats('app')
    expect(stats.tags.get('v1')).toEqual({ digest: 'sha256:bb', pushedAt: 2000 })
    meta.forgetManifest('app', 'sha256:bb')
    stats = await meta.repositoryStats('app')
    expect([...stats.tags.keys()]).toEqual([])
    expect([...stats.manifests.keys()]).toEqual(['sha256:aa'])
    meta.forgetRepository('app')
    expect((await meta.repositoryStats('app')).manifests.size).toBe(0)
    meta.close()
  })

  test('a manifest only sync stored is sync; a client push makes it pushed for good', async () => {
    const meta = openSqliteMetaStore(':memory:')
    meta.recordPush('cache', 'sha256:aa', ['v1'], 1000, 'sync')
    meta.recordPull('cache', 'sha256:bb', undefined, 1500)
    meta.recordPush('cache', 'sha256:bb', [], 2000, 'sync')
    let stats = await meta.repositoryStats('cache')
    expect(stats.manifests.get('sha256:aa')?.origin).toBe('sync')
    expect(stats.manifests.get('sha256:bb')?.origin).toBe('sync')
    meta.recordPush('cache', 'sha256:aa', ['mine'], 3000, 'push')
    meta.recordPush('cache', 'sha256:aa', ['v1'], 4000, 'sync')
    stats = await meta.repositoryStats('cache')
    expect(stats.manifests.get('sha256:aa')?.origin).toBe('push')
    meta.close()
  })

  test('a file from before origins gets the column; its manifests have no origin', async () => {
    const root = await tempDirectory('meta')
    const db = new Database(metaStorePath(root), { create: true })
    db.run(`CREATE TABLE manifests (repository TEXT NOT NULL, digest TEXT NOT NULL, pushed_at INTEGER,
      pulled_at INTEGER, pull_count INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (repository, digest)) WITHOUT ROWID`)
    db.run("INSERT INTO manifests (repository, digest, pushed_at) VALUES ('old', 'sha256:aa', 1000)")
    db.close()
    const meta = openSqliteMetaStore(metaStorePath(root))
    expect((await meta.repositoryStats('old')).manifests.get('sha256:aa')).toEqual({ pushedAt: 1000, pullCount: 0 })
    meta.recordPush('old', 'sha256:bb', [], 2000, 'sync')
    expect((await meta.repositoryStats('old')).manifests.get('sha256:bb')?.origin).toBe('sync')
    meta.close()
  })

  test('a store written by a newer schema is refused, not misread', async () => {
    const root = await tempDirectory('meta')
    const db = new Database(metaStorePath(root), { create: true })
    db.run('PRAGMA user_version = 99')
    db.close()
    expect(() => openSqliteMetaStore(metaStorePath(root))).toThrow(/newer zot-bun/)
  })
})

describe('registry events feed the store', () => {
  test('pushes, pulls by tag and by digest, and deletes are recorded', async () => {
    const h = await makeMaintenanceHarness()
    const before = Date.now()
    const image = await pushImage(h, 'app', 'v1')
    await h.request('/v2/app/manifests/v1')
    await h.request(`/v2/app/manifests/${image.digest}`)
    await h.request(`/v2/app/manifests/${image.digest}`, { method: 'HEAD' })

    let stats = await h.meta.repositoryStats('app')
    expect(stats.tags.get('v1')!.digest).toBe(image.digest)
    expect(stats.tags.get('v1')!.pushedAt).toBeGreaterThanOrEqual(before)
    expect(stats.manifests.get(image.digest)!.pullCount).toBe(2)

    await h.request('/v2/app/manifests/v1', { method: 'DELETE' })
    stats = await h.meta.repositoryStats('app')
    expect(stats.tags.has('v1')).toBe(false)
    expect(stats.manifests.has(image.digest)).toBe(true)
    await h.request(`/v2/app/manifests/${image.digest}`, { method: 'DELETE' })
    expect((await h.meta.repositoryStats('app')).manifests.has(image.digest)).toBe(false)
    h.close()
  })
})
