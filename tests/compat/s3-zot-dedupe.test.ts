/**
 * A bucket written by zot 2.1 with `dedupe: true` (docs/s3.md "Dedupe"), laid out byte for byte as
 * zot lays it out (zot-s3-layout.ts), on a real Ceph RGW: served as-is (placeholders answer the
 * original's bytes, skopeo pulls and verifies every image), scrubbed clean (placeholders are
 * reported, never quarantined), made self-contained by `zot dedupe --restore`, and GC that deletes
 * an original first hands its content to a placeholder, as zot does. zot's local files (its
 * BoltDB cache, the `_trivy` directory) are left alone.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { errorCode } from '../http/harness'
import { makeMaintenanceHarness, tempDirectory } from '../maintenance/helpers'
import { createTestBucket, rawS3ForThisFile, sharedCephRgw, zotS3Params } from '../support/counterparts/ceph-rgw'
import { createClientEnvironment, type ClientEnvironment } from '../support/clients'
import { hexOf, sha256Digest } from '../support/oci-layout'
import { freePort, startRegistry, type RunningRegistry } from '../support/server'
import { createTestStorage } from '../support/storage-under-test'
import { runZot } from '../support/zot-cli'
import { sameImage, ZOT_KEY_PREFIX, ZotDedupeBucket, zotImage, type ZotImage } from './zot-s3-layout'

setDefaultTimeout(240_000)
const MiB = 1 << 20
const s3 = rawS3ForThisFile()
let clients: ClientEnvironment | undefined
const running: RunningRegistry[] = []

afterAll(async () => {
  await Promise.all(running.map((registry) => registry.stop()))
  await clients?.cleanup()
})

/** Objects under zot's prefix and their sizes. */
async function objectSizes(bucket: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>()
  let token: string | undefined
  do {
    const page = await s3().send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: ZOT_KEY_PREFIX, ContinuationToken: token }),
    )
    for (const object of page.Contents ?? []) sizes.set(object.Key!.slice(ZOT_KEY_PREFIX.length), object.Size ?? -1)
    token = page.NextContinuationToken
  } while (token)
  return sizes
}

const blobKey = (repository: string, digest: string) => `${repository}/blobs/sha256/${hexOf(digest)}`

/** Three repositories sharing a base image's config and layers, as zot stores them deduped. */
async function zotDedupedBucket(): Promise<{ bucket: string; zot: ZotDedupeBucket; images: ZotImage[] }> {
  const rgw = await sharedCephRgw()
  const bucket = await createTestBucket(rgw, 'zot-dedupe')
  const zot = new ZotDedupeBucket(s3(), bucket)
  // One layer above the 5 MiB part size: the restore's server-side copy of it is multipart.
  const base = zotImage('base/alpine', '3.19', [200_000, 6 * MiB])
  const web = zotImage('apps/web', '1.0', [base.blobs[1]!.bytes, base.blobs[2]!.bytes, 50_000])
  const api = sameImage(base, 'apps/api', '2.0')
  await zot.putRepository('base/alpine', [base])
  await zot.putRepository('apps/web', [web])
  await zot.putRepository('apps/api', [api])
  return { bucket, zot, images: [base, web, api] }
}

/** Writes a config for the bucket; the port is free, so the maintenance commands run. */
async function configFile(bucket: string, rootDirectory: string, extra: Record<string, unknown> = {}): Promise<string> {
  const rgw = await sharedCephRgw()
  const path = join(await tempDirectory('zot-dedupe-config'), 'config.json')
  const storage = { rootDirectory, dedupe: false, storageDriver: zotS3Params(rgw, bucket), ...extra }
  const http = { address: '127.0.0.1', port: String(await freePort()) }
  await writeFile(path, JSON.stringify({ storage, http, log: { level: 'warn' } }))
  return path
}

/** zot's own files in its local root: its BoltDB dedupe cache and the CVE scanner's DB. */
async function zotLocalFiles(rootDirectory: string): Promise<() => Promise<void>> {
  const cache = crypto.getRandomValues(new Uint8Array(32 * 1024))
  const trivy = crypto.getRandomValues(new Uint8Array(4096))
  await mkdir(join(rootDirectory, '_trivy/db'), { recursive: true })
  await writeFile(join(rootDirectory, 'cache.db'), cache)
  await writeFile(join(rootDirectory, '_trivy/db/trivy.db'), trivy)
  return async () => {
    expect(new Uint8Array(await readFile(join(rootDirectory, 'cache.db')))).toEqual(cache)
    expect(new Uint8Array(await readFile(join(rootDirectory, '_trivy/db/trivy.db')))).toEqual(trivy)
  }
}

/** skopeo copies every image out (verifying every digest); the copies hold the right bytes. */
async function pullAll(registry: RunningRegistry, images: ZotImage[]): Promise<void> {
  clients ??= await createClientEnvironment([])
  const environment = clients
  for (const image of images) {
    const directory = await environment.scratch(`pull-${image.repository.replace('/', '-')}-${crypto.randomUUID()}`)
    await environment.skopeo([
      'copy',
      '--src-tls-verify=false',
      '--preserve-digests',
      `docker://${registry.host}/${image.repository}:${image.tag}`,
      `oci:${directory}:${image.tag}`,
    ])
    for (const blob of image.blobs) {
      const pulled = new Uint8Array(await readFile(join(directory, 'blobs/sha256', hexOf(blob.digest))))
      expect(pulled.byteLength).toBe(blob.bytes.byteLength)
      expect(sha256Digest(pulled)).toBe(blob.digest)
    }
  }
}

describe('a bucket zot wrote with dedupe: true', () => {
  test('is served as-is, scrubs clean, and `zot dedupe --restore` leaves no placeholder', async () => {
    const { bucket, zot, images } = await zotDedupedBucket()
    // apps/web: two shared layers; apps/api: the whole base image (config and both layers).
    expect(zot.placeholderKeys).toHaveLength(5)
    const storage = { dedupe: false, storageDriver: zotS3Params(await sharedCephRgw(), bucket) }
    // zot's local root, kept across our restarts: its cache and scanner files stay there.
    const local = await createTestStorage({ label: 'zot-dedupe-root', kind: 'local' })
    const zotFilesUnchanged = await zotLocalFiles(local.rootDirectory)
    const registry = await startRegistry({ config: { storage, log: { level: 'warn' } }, storage: local })
    running.push(registry)

    const [base] = images as [ZotImage, ZotImage, ZotImage]
    const shared = base.blobs[2]!
    const head = await fetch(`${registry.url}/v2/apps/web/blobs/${shared.digest}`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe(String(shared.bytes.byteLength))
    const ranged = await fetch(`${registry.url}/v2/apps/api/blobs/${shared.digest}`, {
      headers: { Range: 'bytes=1000-1999' },
    })
    expect(ranged.status).toBe(206)
    expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(new Uint8Array(shared.bytes.subarray(1000, 2000)))
    await pullAll(registry, images)
    // Reading never writes: the placeholders are still there.
    expect((await objectSizes(bucket)).get(blobKey('apps/web', shared.digest))).toBe(0)
    await registry.stop()

    const config = await configFile(bucket, registry.rootDirectory)
    const scrub = await runZot('scrub', config)
    expect(scrub.err).toBe('')
    expect(scrub.code).toBe(0)
    expect(scrub.out).toContain('0 affected')
    expect(scrub.out).toContain('5 dedupe placeholders resolved')
    const afterScrub = await objectSizes(bucket)
    expect([...afterScrub.keys()].filter((key) => key.includes('.quarantine'))).toEqual([])
    expect(afterScrub.get(blobKey('apps/web', shared.digest))).toBe(0)

    const bare = await runZot('dedupe', config)
    expect(bare.code).toBe(1)
    expect(bare.err).toContain('only --restore')
    const restore = await runZot('dedupe', '--restore', config)
    expect(restore.err).toBe('')
    expect(restore.code).toBe(0)
    expect(restore.out).toContain('5 placeholders, 5 restored, 0 missing')
    const restored = await objectSizes(bucket)
    const emptyObjects = [...restored].filter(([key, size]) => size === 0 && key.includes('/blobs/'))
    expect(emptyObjects).toEqual([])
    expect(restored.get(blobKey('apps/web', shared.digest))).toBe(shared.bytes.byteLength)
    const marker = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: `${ZOT_KEY_PREFIX}_restore_complete` }))
    expect(await marker.Body!.transformToString()).toBe('1')
    // Nothing left to do: a second run restores nothing.
    expect((await runZot('dedupe', '--restore', config)).out).toContain('0 placeholders, 0 restored')

    const again = await startRegistry({ config: { storage, log: { level: 'warn' } }, storage: local })
    running.push(again)
    await pullAll(again, images)
    // zot's marker at the root is no repository.
    expect(await (await fetch(`${again.url}/v2/_catalog`)).json()).toEqual({
      repositories: ['apps/api', 'apps/web', 'base/alpine'],
    })
    await again.stop()
    const clean = await runZot('scrub', await configFile(bucket, registry.rootDirectory))
    expect(clean.code).toBe(0)
    expect(clean.out).not.toContain('placeholder')
    await zotFilesUnchanged()
    await local.remove()
  })

  test('a placeholder whose original is gone is BLOB_UNKNOWN, affected in scrub, never quarantined', async () => {
    const { bucket, zot, images } = await zotDedupedBucket()
    const [base] = images as [ZotImage, ZotImage, ZotImage]
    const lost = base.blobs[1]!
    // The original vanished behind zot's back (deleted by hand, a lifecycle rule...).
    await s3().send(new DeleteObjectCommand({ Bucket: bucket, Key: zot.keyOf(blobKey('base/alpine', lost.digest)) }))
    const rootDirectory = await tempDirectory('zot-dedupe-lost')
    const h = await makeMaintenanceHarness({
      rootDirectory,
      storageDriver: zotS3Params(await sharedCephRgw(), bucket),
    })
    for (const method of ['GET', 'HEAD']) {
      const response = await h.request(`/v2/apps/web/blobs/${lost.digest}`, { method })
      expect(response.status).toBe(404)
      if (method === 'GET') expect(await errorCode(response)).toBe('BLOB_UNKNOWN')
    }
    // The other placeholders of the repository still resolve.
    const other = base.blobs[2]!
    const served = await h.request(`/v2/apps/web/blobs/${other.digest}`)
    expect(sha256Digest(new Uint8Array(await served.arrayBuffer()))).toBe(other.digest)
    h.close()

    const config = await configFile(bucket, rootDirectory)
    const scrub = await runZot('scrub', config)
    expect(scrub.code).toBe(2)
    expect(scrub.out).toContain('placeholder without original')
    expect((await objectSizes(bucket)).get(blobKey('apps/web', lost.digest))).toBe(0)

    const restore = await runZot('dedupe', '--restore', config)
    expect(restore.code).toBe(2)
    expect(restore.err).toContain(`apps/web: placeholder of ${lost.digest} has no content in any repository`)
    expect(restore.out).toContain('3 restored, 2 missing')
    const keys = await objectSizes(bucket)
    expect(keys.has('_restore_complete')).toBe(false)
  })

  test('bad content is quarantined where it is stored; the placeholders standing for it never are', async () => {
    const { bucket, zot, images } = await zotDedupedBucket()
    const [base] = images as [ZotImage, ZotImage, ZotImage]
    const layer = base.blobs[1]!
    const rotten = layer.bytes.slice()
    rotten[0] = rotten[0]! ^ 0xff
    await zot.put(blobKey('base/alpine', layer.digest), rotten)
    const config = await configFile(bucket, await tempDirectory('zot-dedupe-rot'))

    const scrub = await runZot('scrub', config, '--json')

    expect(scrub.code).toBe(2)
    const report = JSON.parse(scrub.out) as {
      scrubResults: { imageName: string; status: string; error: string }[]
      quarantined: { repository: string; digest: string }[]
    }
    const row = (name: string) => report.scrubResults.find((result) => result.imageName === name)!
    expect(row('base/alpine')).toMatchObject({ status: 'affected', error: 'bad blob digest' })
    expect(row('apps/web')).toMatchObject({
      status: 'affected',
      error: 'bad blob digest (content held by base/alpine)',
    })
    expect(report.quarantined).toEqual([{ repository: 'base/alpine', digest: layer.digest }])
    const sizes = await objectSizes(bucket)
    expect(sizes.get(blobKey('apps/web', layer.digest))).toBe(0)
    expect(sizes.get(blobKey('apps/api', layer.digest))).toBe(0)
    expect(sizes.has(`base/alpine/.quarantine/sha256/${hexOf(layer.digest)}`)).toBe(true)
  })

  test('GC deleting an original first moves its content into a placeholder that still needs it', async () => {
    const { bucket, images } = await zotDedupedBucket()
    const [base, web] = images as [ZotImage, ZotImage, ZotImage]
    const h = await makeMaintenanceHarness({
      rootDirectory: await tempDirectory('zot-dedupe-gc'),
      storageDriver: zotS3Params(await sharedCephRgw(), bucket),
    })
    expect((await h.request(`/v2/base/alpine/manifests/3.19`, { method: 'DELETE' })).status).toBe(202)
    expect((await h.request(`/v2/apps/api/manifests/2.0`, { method: 'DELETE' })).status).toBe(202)

    const report = await h.gc()

    expect(report.errors).toEqual([])
    const sizes = await objectSizes(bucket)
    for (const blob of base.blobs) expect(sizes.has(blobKey('base/alpine', blob.digest))).toBe(false)
    // The shared layers' content now lives in apps/web, which still references them.
    for (const blob of web.blobs) expect(sizes.get(blobKey('apps/web', blob.digest))).toBe(blob.bytes.byteLength)
    for (const blob of web.blobs) {
      const response = await h.request(`/v2/apps/web/blobs/${blob.digest}`)
      expect(sha256Digest(new Uint8Array(await response.arrayBuffer()))).toBe(blob.digest)
    }
    h.close()
  })
})
