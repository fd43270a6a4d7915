/**
 * `storage.dedupe: true` on S3 (a throwaway Ceph RGW), in zot's scheme (docs/s3.md "Dedupe"): a
 * blob this registry already holds in another repository is stored as a zero-byte placeholder, a
 * mount writes one too, every read answers the content, GC deleting the content first hands it to
 * a placeholder, and zot's `_restore_complete` marker is cleared so zot walks the bucket again.
 */
import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3'
import { silentLogger } from '../../lib/log/logger'
import { scrubStorage } from '../../lib/maintenance/scrub/scrub'
import { digestOf } from '../../lib/oci/digest'
import { blobPath } from '../../lib/registry/layout'
import { pushImage, putManifest, type PushedImage } from '../http/harness'
import { createTestBucket, rawS3ForThisFile, sharedCephRgw, zotS3Params } from '../support/counterparts/ceph-rgw'
import { makeMaintenanceHarness, tempDirectory, type MaintenanceHarness } from './helpers'

setDefaultTimeout(120_000)
const s3 = rawS3ForThisFile()

const KEY_PREFIX = 'zot/zot/'

async function objectSize(bucket: string, path: string): Promise<number | undefined> {
  try {
    const head = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: KEY_PREFIX + path }))
    return head.ContentLength
  } catch {
    return undefined
  }
}

async function harness(bucket: string, dedupe: boolean): Promise<MaintenanceHarness> {
  return makeMaintenanceHarness({
    rootDirectory: await tempDirectory('s3-dedupe'),
    dedupe,
    storageDriver: zotS3Params(await sharedCephRgw(), bucket),
  })
}

/** Pushes the image's config and layers (bytes read from `from`) and manifest into `repository`. */
async function pushCopy(h: MaintenanceHarness, from: string, repository: string, image: PushedImage): Promise<void> {
  for (const digest of [image.config, ...image.layers]) {
    const bytes = await h.registry.maintenance(from).blobContent(digest)
    const response = await h.request(`/v2/${repository}/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      body: bytes,
    })
    expect(response.status).toBe(201)
  }
  expect((await putManifest(h, repository, 'v1', image.manifest)).status).toBe(201)
}

async function expectServed(h: MaintenanceHarness, repository: string, digest: string, size: number): Promise<void> {
  const head = await h.request(`/v2/${repository}/blobs/${digest}`, { method: 'HEAD' })
  expect(head.status).toBe(200)
  expect(head.headers.get('content-length')).toBe(String(size))
  const body = new Uint8Array(await (await h.request(`/v2/${repository}/blobs/${digest}`)).arrayBuffer())
  expect(digestOf(body)).toBe(digest)
}

describe('dedupe: true on S3', () => {
  test('a second copy is a placeholder, a mount too; both read as the blob; zot is told to walk again', async () => {
    const bucket = await createTestBucket(await sharedCephRgw(), 'dedupe-push')
    const h = await harness(bucket, true)
    const image = await pushImage(h, 'one', 'v1', { layers: 2 })
    const layer = image.layers[0]!
    const size = (await objectSize(bucket, blobPath('one', layer)))!
    expect(size).toBeGreaterThan(0)

    await pushCopy(h, 'one', 'two', image)

    for (const digest of [image.config, ...image.layers]) {
      expect(await objectSize(bucket, blobPath('two', digest))).toBe(0)
    }
    // Manifests are stored whole in every repository, as zot stores them.
    expect(await objectSize(bucket, blobPath('two', image.digest))).toBe(image.manifest.byteLength)
    await expectServed(h, 'two', layer, size)
    expect((await h.request('/v2/two/manifests/v1')).status).toBe(200)
    const marker = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: `${KEY_PREFIX}_restore_complete` }))
    expect(await marker.Body!.transformToString()).toBe('0')

    // Mounted from a repository that itself holds a placeholder: one more placeholder.
    const mount = await h.request(`/v2/three/blobs/uploads/?mount=${layer}&from=two`, { method: 'POST' })
    expect(mount.status).toBe(201)
    expect(await objectSize(bucket, blobPath('three', layer))).toBe(0)
    await expectServed(h, 'three', layer, size)
    h.close()
  })

  test('GC deleting the content hands it to a placeholder; scrub stays clean', async () => {
    const bucket = await createTestBucket(await sharedCephRgw(), 'dedupe-gc')
    const h = await harness(bucket, true)
    const image = await pushImage(h, 'one', 'v1', { layers: 2 })
    await pushCopy(h, 'one', 'two', image)
    expect((await h.request('/v2/one/manifests/v1', { method: 'DELETE' })).status).toBe(202)

    const report = await h.gc()

    expect(report.errors).toEqual([])
    expect(report.deleted.blob).toBeGreaterThanOrEqual(3)
    for (const digest of [image.config, ...image.layers]) {
      expect(await objectSize(bucket, blobPath('one', digest))).toBeUndefined()
      expect(await objectSize(bucket, blobPath('two', digest))).toBeGreaterThan(0)
    }
    await expectServed(h, 'two', image.layers[1]!, (await objectSize(bucket, blobPath('two', image.layers[1]!)))!)
    const scrub = await scrubStorage({ registry: h.registry, logger: silentLogger() })
    expect(scrub.rows.map((row) => `${row.repository}:${row.status}`)).toEqual(['two:ok'])
    expect(scrub.quarantined).toEqual([])
    h.close()
  })

  test("a placeholder counts as a touch of the content it stands for (GC's recent activity)", async () => {
    const bucket = await createTestBucket(await sharedCephRgw(), 'dedupe-touch')
    const first = await harness(bucket, true)
    const image = await pushImage(first, 'one', 'v1')
    first.close()
    // Another process (a replica, or a restart): its activity knows nothing of 'one' yet.
    const second = await harness(bucket, true)
    const layer = image.layers[0]!
    expect(second.activity.lastTouched('one', layer)).toBeUndefined()
    const mount = await second.request(`/v2/two/blobs/uploads/?mount=${layer}&from=one`, { method: 'POST' })
    expect(mount.status).toBe(201)
    expect(await objectSize(bucket, blobPath('two', layer))).toBe(0)
    expect(second.activity.lastTouched('one', layer)).toBeNumber()
    second.close()
  })

  test('redirectBlobURL: a placeholder redirects to the content, never to the empty object', async () => {
    const bucket = await createTestBucket(await sharedCephRgw(), 'dedupe-redirect')
    const h = await makeMaintenanceHarness({
      rootDirectory: await tempDirectory('s3-dedupe-redirect'),
      dedupe: true,
      redirectBlobURL: true,
      storageDriver: zotS3Params(await sharedCephRgw(), bucket),
    })
    const image = await pushImage(h, 'one', 'v1')
    await pushCopy(h, 'one', 'two', image)
    const layer = image.layers[0]!
    expect(await objectSize(bucket, blobPath('two', layer))).toBe(0)

    const redirect = await h.request(`/v2/two/blobs/${layer}`)

    expect(redirect.status).toBe(307)
    const location = redirect.headers.get('location')!
    expect(location).toContain(`/one/blobs/sha256/`)
    const body = new Uint8Array(await (await fetch(location)).arrayBuffer())
    expect(digestOf(body)).toBe(layer)
    h.close()
  })

  test('with dedupe off, a mount from a placeholder copies the content, never the placeholder', async () => {
    const bucket = await createTestBucket(await sharedCephRgw(), 'dedupe-off')
    const on = await harness(bucket, true)
    const image = await pushImage(on, 'one', 'v1')
    await pushCopy(on, 'one', 'two', image)
    on.close()
    const off = await harness(bucket, false)
    const layer = image.layers[0]!
    expect(await objectSize(bucket, blobPath('two', layer))).toBe(0)

    const mount = await off.request(`/v2/four/blobs/uploads/?mount=${layer}&from=two`, { method: 'POST' })

    expect(mount.status).toBe(201)
    const size = (await objectSize(bucket, blobPath('one', layer)))!
    expect(await objectSize(bucket, blobPath('four', layer))).toBe(size)
    await expectServed(off, 'four', layer, size)
    off.close()
  })
})
