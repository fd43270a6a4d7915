import { describe, expect, test } from 'bun:test'
import { digestOf } from '../../lib/oci/digest'
import { MediaType } from '../../lib/oci/media-types'
import { bytes, buildImage, pushBlob, pushImage, putManifest, randomBlob, type PushedImage } from '../http/harness'
import { age, exists, HOUR, makeMaintenanceHarness, type MaintenanceHarness } from './helpers'

/** Whether the image's manifest, config and (first) layer are on disk. */
async function present(h: MaintenanceHarness, repository: string, image: PushedImage): Promise<boolean[]> {
  return Promise.all(
    [image.digest, image.config, image.layers[0]!].map((digest) => exists(h.blobFile(repository, digest))),
  )
}

describe('GC frees what nothing references and keeps the rest', () => {
  test('an image deleted by tag goes (manifest, config, layers); a live one and shared blobs stay', async () => {
    const h = await makeMaintenanceHarness()
    const live = await pushImage(h, 'app', 'live')
    const doomed = await pushImage(h, 'app', 'old', { layers: 2 })
    expect((await h.request('/v2/app/manifests/old', { method: 'DELETE' })).status).toBe(202)

    const report = await h.gc()

    expect(report.errors).toEqual([])
    expect(await present(h, 'app', doomed)).toEqual([false, false, false])
    expect(await present(h, 'app', live)).toEqual([true, true, true])
    expect((await h.request(`/v2/app/manifests/${doomed.digest}`)).status).toBe(404)
    expect((await h.request('/v2/app/manifests/live')).status).toBe(200)
    expect(report.deleted.manifest).toBe(1)
    expect(report.deleted.blob).toBe(4)
    const untagged = report.decisions.find((d) => d.reference === doomed.digest && d.kind === 'manifest')
    expect(untagged?.rule).toContain('deleteUntagged')
    h.close()
  })

  test('nothing younger than gcDelay or retention.delay goes', async () => {
    const h = await makeMaintenanceHarness()
    const doomed = await pushImage(h, 'app', 'old')
    await h.request('/v2/app/manifests/old', { method: 'DELETE' })
    const orphan = await pushBlob(h, 'app', randomBlob(100))

    const report = await h.gc({ ahead: 0 })

    expect(report.deleted).toMatchObject({ manifest: 0, blob: 0 })
    expect(await exists(h.blobFile('app', orphan))).toBe(true)
    expect((await h.request(`/v2/app/manifests/${doomed.digest}`)).status).toBe(200)
    h.close()
  })

  test('a blob HEAD-checked within gcDelay is kept even when its mtime is old', async () => {
    const h = await makeMaintenanceHarness()
    const orphan = await pushBlob(h, 'app', randomBlob(100))
    const other = await pushBlob(h, 'app', randomBlob(100))
    await pushImage(h, 'app', 'keep-repo-alive')
    h.activity.forgetBefore(Date.now() + 1)
    await age(h.blobFile('app', orphan), 2 * HOUR)
    await age(h.blobFile('app', other), 2 * HOUR)
    expect((await h.request(`/v2/app/blobs/${orphan}`, { method: 'HEAD' })).status).toBe(200)

    await h.gc({ ahead: 0 })

    expect(await exists(h.blobFile('app', orphan))).toBe(true)
    expect(await exists(h.blobFile('app', other))).toBe(false)
    h.close()
  })

  test('a blob mounted from another repository is young in its new repository', async () => {
    const h = await makeMaintenanceHarness()
    const image = await pushImage(h, 'source', 'v1')
    h.activity.forgetBefore(Date.now() + 1)
    await age(h.blobFile('source', image.layers[0]!), 2 * HOUR)
    const mount = await h.request(`/v2/target/blobs/uploads/?mount=${image.layers[0]}&from=source`, { method: 'POST' })
    expect(mount.status).toBe(201)

    await h.gc({ ahead: 0 })

    expect(await exists(h.blobFile('target', image.layers[0]!))).toBe(true)
    h.close()
  })

  test('children of a multi-arch index and referrers of live images are kept', async () => {
    const h = await makeMaintenanceHarness()
    const amd = await buildImage(h, 'multi')
    const arm = await buildImage(h, 'multi')
    for (const image of [amd, arm])
      expect((await putManifest(h, 'multi', image.digest, image.manifest)).status).toBe(201)
    const index = bytes(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [amd, arm].map((image) => ({
          mediaType: MediaType.ociManifest,
          digest: image.digest,
          size: image.manifest.length,
        })),
      }),
    )
    expect((await putManifest(h, 'multi', 'latest', index, MediaType.ociIndex)).status).toBe(201)
    const subject = { mediaType: MediaType.ociIndex, digest: digestOf(index), size: index.length }
    const signature = await buildImage(h, 'multi', { extra: { subject } })
    expect((await putManifest(h, 'multi', signature.digest, signature.manifest)).status).toBe(201)

    const report = await h.gc()

    expect(report.deleted).toMatchObject({ manifest: 0, blob: 0 })
    for (const image of [amd, arm, signature]) {
      expect((await h.request(`/v2/multi/manifests/${image.digest}`)).status).toBe(200)
      expect(await exists(h.blobFile('multi', image.layers[0]!))).toBe(true)
    }
    h.close()
  })

  test('stale upload sessions go, fresh ones stay', async () => {
    const h = await makeMaintenanceHarness()
    await pushImage(h, 'app', 'v1')
    const stale = (await h.request('/v2/app/blobs/uploads/', { method: 'POST' })).headers.get('Docker-Upload-UUID')!
    const fresh = (await h.request('/v2/app/blobs/uploads/', { method: 'POST' })).headers.get('Docker-Upload-UUID')!
    await age(`${h.rootDirectory}/app/.uploads/${stale}`, 2 * HOUR)

    const report = await h.gc({ ahead: 0 })

    expect(report.deleted.upload).toBe(1)
    expect((await h.request(`/v2/app/blobs/uploads/${stale}`)).status).toBe(404)
    expect((await h.request(`/v2/app/blobs/uploads/${fresh}`)).status).toBe(204)
    h.close()
  })

  test('dry run reports what would go and why, and deletes nothing', async () => {
    const h = await makeMaintenanceHarness()
    const doomed = await pushImage(h, 'app', 'old')
    await h.request('/v2/app/manifests/old', { method: 'DELETE' })
    const indexBefore = await Bun.file(`${h.rootDirectory}/app/index.json`).text()

    const report = await h.gc({ dryRun: true })

    expect(report.dryRun).toBe(true)
    expect(report.deleted).toMatchObject({ manifest: 1, blob: 3 })
    expect(report.decisions.filter((d) => d.action === 'delete').every((d) => d.rule.length > 0)).toBe(true)
    expect(await Bun.file(`${h.rootDirectory}/app/index.json`).text()).toBe(indexBefore)
    expect(await present(h, 'app', doomed)).toEqual([true, true, true])
    h.close()
  })

  test('a repository left empty is removed, without touching a nested one', async () => {
    const h = await makeMaintenanceHarness()
    await pushImage(h, 'team', 'v1')
    await pushImage(h, 'team/app', 'v1')
    await h.request('/v2/team/manifests/v1', { method: 'DELETE' })

    const report = await h.gc()

    expect(report.deleted.repository).toBe(1)
    expect(await exists(`${h.rootDirectory}/team/index.json`)).toBe(false)
    expect((await h.request('/v2/team/app/manifests/v1')).status).toBe(200)
    expect(await h.registry.catalog.list()).toEqual(['team/app'])
    // A new push recreates it.
    await pushImage(h, 'team', 'v2')
    expect((await h.request('/v2/team/manifests/v2')).status).toBe(200)
    h.close()
  })

  test('an index entry whose manifest blob vanished from storage is dropped', async () => {
    const h = await makeMaintenanceHarness()
    const lost = await pushImage(h, 'app', 'lost')
    await pushImage(h, 'app', 'fine')
    await Bun.file(h.blobFile('app', lost.digest)).delete()

    const report = await h.gc({ ahead: 0 })

    expect(report.decisions.find((d) => d.reference === 'lost')?.rule).toContain('manifest blob is gone')
    expect(await h.registry.listTags('app')).toEqual(['fine'])
    h.close()
  })

  test('when a manifest cannot be parsed, no blob of its repository is deleted (fail closed)', async () => {
    const h = await makeMaintenanceHarness()
    const unreadable = await pushImage(h, 'app', 'v1')
    const orphan = await pushBlob(h, 'app', randomBlob(100))
    await Bun.write(h.blobFile('app', unreadable.digest), 'not json')
    const fresh = await makeMaintenanceHarness({ rootDirectory: h.rootDirectory })

    const report = await fresh.gc()

    const message = expect.stringContaining(`manifest ${unreadable.digest} cannot be read`)
    expect(report.warnings).toEqual([{ repository: 'app', message }])
    expect(await present(h, 'app', unreadable)).toEqual([true, true, true])
    expect(await exists(h.blobFile('app', orphan))).toBe(true)
    h.close()
    fresh.close()
  })
})
