import { describe, expect, test } from 'bun:test'
import { MediaType } from '../../lib/oci/media-types'
import { buildImage, pushImage, putManifest } from '../http/harness'
import { exists, HOUR, makeMaintenanceHarness, type MaintenanceHarness } from './helpers'

/** Pushes `repository:tag` and records it as pushed `hoursAgo` hours ago. */
async function pushedAgo(h: MaintenanceHarness, repository: string, tag: string, hoursAgo: number) {
  const image = await pushImage(h, repository, tag)
  h.meta.recordPush(repository, image.digest, [tag], Date.now() - hoursAgo * HOUR)
  return image
}

const now = { gcDelay: '0s', ahead: 0 }

describe('retention through GC', () => {
  test('tags no rule keeps are removed with their whole entry, and their blobs are freed', async () => {
    const h = await makeMaintenanceHarness()
    const old = await pushedAgo(h, 'app', 'v1', 3)
    const newer = await pushedAgo(h, 'app', 'v2', 2)
    const newest = await pushedAgo(h, 'app', 'v3', 1)
    const retention = { policies: [{ repositories: ['**'], keepTags: [{ mostRecentlyPushedCount: 2 }] }] }

    const report = await h.gc({ ...now, retention })

    expect(await h.registry.listTags('app')).toEqual(['v2', 'v3'])
    expect((await h.request(`/v2/app/manifests/${old.digest}`)).status).toBe(404)
    expect(await exists(h.blobFile('app', old.layers[0]!))).toBe(false)
    expect(await exists(h.blobFile('app', newer.layers[0]!))).toBe(true)
    expect(await exists(h.blobFile('app', newest.layers[0]!))).toBe(true)
    const tagDecisions = report.decisions.filter((d) => d.kind === 'tag')
    expect(tagDecisions.map((d) => `${d.reference}:${d.action}`).sort()).toEqual(['v1:delete', 'v2:keep', 'v3:keep'])
    h.close()
  })

  test('push and pull times come from the metadata store: a recent pull keeps an old tag', async () => {
    const h = await makeMaintenanceHarness()
    await pushedAgo(h, 'app', 'used', 100)
    await pushedAgo(h, 'app', 'unused', 100)
    expect((await h.request('/v2/app/manifests/used')).status).toBe(200)

    await h.gc({ ...now, retention: { policies: [{ repositories: ['app'], keepTags: [{ pulledWithin: '24h' }] }] } })

    expect(await h.registry.listTags('app')).toEqual(['used'])
    h.close()
  })

  test('deleteUntagged: false keeps untagged manifests; the default deletes them', async () => {
    const h = await makeMaintenanceHarness()
    const kept = await pushImage(h, 'keep', 'v1')
    await h.request('/v2/keep/manifests/v1', { method: 'DELETE' })
    const dropped = await pushImage(h, 'drop', 'v1')
    await h.request('/v2/drop/manifests/v1', { method: 'DELETE' })
    const retention = { policies: [{ repositories: ['keep'], deleteUntagged: false }] }

    await h.gc({ retention })

    expect((await h.request(`/v2/keep/manifests/${kept.digest}`)).status).toBe(200)
    expect((await h.request(`/v2/drop/manifests/${dropped.digest}`)).status).toBe(404)
    h.close()
  })

  test('retention.delay, not gcDelay, protects untagged manifests', async () => {
    const h = await makeMaintenanceHarness()
    const image = await pushImage(h, 'app', 'v1')
    await h.request('/v2/app/manifests/v1', { method: 'DELETE' })

    await h.gc({ gcDelay: '0s', ahead: HOUR, retention: { delay: '3h' } })
    expect((await h.request(`/v2/app/manifests/${image.digest}`)).status).toBe(200)
    await h.gc({ gcDelay: '0s', ahead: 4 * HOUR, retention: { delay: '3h' } })
    expect((await h.request(`/v2/app/manifests/${image.digest}`)).status).toBe(404)
    h.close()
  })

  test('deleteReferrers removes referrers whose subject is gone (only when asked)', async () => {
    for (const deleteReferrers of [true, false]) {
      const h = await makeMaintenanceHarness()
      const subject = await pushImage(h, 'app', 'v1')
      const reference = { mediaType: MediaType.ociManifest, digest: subject.digest, size: subject.manifest.length }
      const signature = await buildImage(h, 'app', { extra: { subject: reference } })
      expect((await putManifest(h, 'app', signature.digest, signature.manifest)).status).toBe(201)
      await pushImage(h, 'app', 'other')
      expect((await h.request(`/v2/app/manifests/${subject.digest}`, { method: 'DELETE' })).status).toBe(202)

      const report = await h.gc({ retention: { policies: [{ repositories: ['**'], deleteReferrers }] } })

      expect((await h.request(`/v2/app/manifests/${signature.digest}`)).status).toBe(deleteReferrers ? 404 : 200)
      const decision = report.decisions.find((d) => d.reference === signature.digest)
      if (deleteReferrers) expect(decision?.rule).toContain(`subject ${subject.digest} is gone`)
      h.close()
    }
  })

  test('deleteReferrers also removes legacy cosign tags whose subject is gone', async () => {
    const h = await makeMaintenanceHarness()
    const subject = await pushImage(h, 'app', 'v1')
    const cosignTag = `${subject.digest.replace(':', '-')}.sig`
    await pushImage(h, 'app', cosignTag)
    await pushImage(h, 'app', 'other')
    await h.request(`/v2/app/manifests/${subject.digest}`, { method: 'DELETE' })

    await h.gc({ retention: { policies: [{ repositories: ['**'], deleteReferrers: true }] } })

    expect(await h.registry.listTags('app')).toEqual(['other'])
    h.close()
  })

  test('keepUntagged keeps untagged manifests its rules retain (digest-only cache entries, zot #4148)', async () => {
    const h = await makeMaintenanceHarness()
    const pulled = await buildImage(h, 'cache')
    const idle = await buildImage(h, 'cache')
    for (const image of [pulled, idle]) await putManifest(h, 'cache', image.digest, image.manifest)
    await pushImage(h, 'cache', 'keep-repo')
    // Seen from 30h ahead: both were pushed 30h ago, one was pulled 10h ago.
    h.meta.recordPull('cache', pulled.digest, undefined, Date.now() + 20 * HOUR)
    const retention = { delay: '1h', policies: [{ repositories: ['**'], keepUntagged: { pulledWithin: '24h' } }] }

    const report = await h.gc({ gcDelay: '1h', ahead: 30 * HOUR, retention })

    expect((await h.request(`/v2/cache/manifests/${pulled.digest}`)).status).toBe(200)
    expect((await h.request(`/v2/cache/manifests/${idle.digest}`)).status).toBe(404)
    expect(report.decisions.find((d) => d.reference === pulled.digest)?.rule).toContain('keepUntagged.pulledWithin')
    h.close()
  })

  test('an untagged manifest still pulled by digest within retention.delay is not idle', async () => {
    const h = await makeMaintenanceHarness()
    const image = await pushImage(h, 'app', 'v1')
    await h.request('/v2/app/manifests/v1', { method: 'DELETE' })
    h.meta.recordPull('app', image.digest, undefined, Date.now() + 11 * HOUR)

    await h.gc({ ahead: 12 * HOUR, retention: { delay: '2h' } })

    expect((await h.request(`/v2/app/manifests/${image.digest}`)).status).toBe(200)
    h.close()
  })

  test('retention.dryRun changes nothing', async () => {
    const h = await makeMaintenanceHarness()
    await pushedAgo(h, 'app', 'v1', 3)
    await pushedAgo(h, 'app', 'v2', 1)
    const policies = [{ repositories: ['**'], keepTags: [{ mostRecentlyPushedCount: 1 }] }]
    const report = await h.gc({ ...now, retention: { dryRun: true, policies } })
    expect(report.dryRun).toBe(true)
    expect(report.deleted.tag).toBe(1)
    expect(await h.registry.listTags('app')).toEqual(['v1', 'v2'])
    h.close()
  })

  test('statistics survive for kept tags and are forgotten for deleted ones', async () => {
    const h = await makeMaintenanceHarness()
    await pushedAgo(h, 'app', 'v1', 3)
    await pushedAgo(h, 'app', 'v2', 1)
    await h.gc({
      ...now,
      retention: { policies: [{ repositories: ['**'], keepTags: [{ mostRecentlyPushedCount: 1 }] }] },
    })
    const stats = await h.meta.repositoryStats('app')
    expect([...stats.tags.keys()]).toEqual(['v2'])
    h.close()
  })
})
