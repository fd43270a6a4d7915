/**
 * Scale-out on one bucket: several registry processes behave as one. Two replicas (each its own
 * S3 client, as separate processes would have) race tag pushes into one repository and lose none;
 * a chunked upload alternates replicas and keeps its digest verified; a push on one replica is
 * pullable from the other at once.
 */
import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import { tmpdir } from 'node:os'
import { createApp } from '../../lib/http/app'
import { silentLogger } from '../../lib/log/logger'
import { digestOf } from '../../lib/oci/digest'
import { openStore } from '../../lib/registry/open-store'
import { cephRgwForThisFile, createTestBucket, zotS3Params } from '../support/counterparts/ceph-rgw'
import { testStorageConfig } from '../support/config'

setDefaultTimeout(120_000)
const gateway = cephRgwForThisFile()

async function replicas(count: number) {
  const bucket = await createTestBucket(gateway(), 'replicas')
  const params = zotS3Params(gateway(), bucket)
  return Promise.all(
    Array.from({ length: count }, async () => {
      // As `serve` opens a bucket: shared with the other replicas.
      const storage = testStorageConfig({ rootDirectory: tmpdir(), dedupe: false, storageDriver: params })
      const { registry } = await openStore(storage)
      const app = createApp({ registry, logger: silentLogger(), redirectBlobs: storage.redirectBlobURL })
      return (path: string, init?: RequestInit) => app.request(`http://replica.test${path}`, init)
    }),
  )
}

const manifestFor = (config: string, size: number, nonce: string) =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size },
    layers: [],
    annotations: { nonce },
  })

describe('replicas on one bucket', () => {
  test('concurrent tag pushes through two replicas lose no tag', async () => {
    const [a, b] = await replicas(2)
    const config = new TextEncoder().encode('{}')
    expect(
      (await a!(`/v2/race/app/blobs/uploads/?digest=${digestOf(config)}`, { method: 'POST', body: config })).status,
    ).toBe(201)
    const tags = Array.from({ length: 16 }, (_, i) => `t${String(i).padStart(2, '0')}`)
    const results = await Promise.all(
      tags.map((tag, i) =>
        (i % 2 ? b! : a!)(`/v2/race/app/manifests/${tag}`, {
          method: 'PUT',
          body: manifestFor(digestOf(config), config.length, tag),
          headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
        }),
      ),
    )
    expect(results.map((r) => r.status)).toEqual(tags.map(() => 201))
    for (const replica of [a!, b!]) {
      expect(((await (await replica('/v2/race/app/tags/list')).json()) as { tags: string[] }).tags).toEqual(tags)
    }
  })

  test('a chunked upload may continue on another replica, and its digest is still verified', async () => {
    const [a, b] = await replicas(2)
    const data = crypto.getRandomValues(new Uint8Array(300_000))
    const session = await a!('/v2/chunks/app/blobs/uploads/', { method: 'POST' })
    const location = session.headers.get('Location')!
    const chunk = (replica: typeof a, start: number, end: number) =>
      replica!(location, {
        method: 'PATCH',
        body: data.subarray(start, end + 1),
        headers: { 'Content-Range': `${start}-${end}`, 'Content-Length': String(end - start + 1) },
      })
    expect((await chunk(a, 0, 99_999)).status).toBe(202)
    const second = await chunk(b, 100_000, 199_999)
    expect(second.status).toBe(202)
    expect(second.headers.get('Range')).toBe('0-199999')
    expect((await chunk(a, 200_000, 299_999)).status).toBe(202)
    expect((await b!(`${location}?digest=${digestOf(new Uint8Array(10))}`, { method: 'PUT' })).status).toBe(400)

    const retry = await a!('/v2/chunks/app/blobs/uploads/', { method: 'POST' })
    const again = retry.headers.get('Location')!
    await a!(again, { method: 'PATCH', body: data.subarray(0, 150_000) })
    await b!(again, { method: 'PATCH', body: data.subarray(150_000) })
    expect((await a!(`${again}?digest=${digestOf(data)}`, { method: 'PUT' })).status).toBe(201)
    // Pullable from the other replica at once.
    const pulled = await b!(`/v2/chunks/app/blobs/${digestOf(data)}`)
    expect(new Uint8Array(await pulled.arrayBuffer())).toEqual(data)
  })
})
