/**
 * GC and scrub on S3 (a throwaway Ceph RGW, started once for this file): the same operations go
 * through the driver, so mtimes are object LastModified times and quarantine is a server-side move.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { scrubCommand } from '../../cmd/scrub'
import { blobPath } from '../../lib/registry/layout'
import { createS3Driver, s3OptionsFromZotParams } from '../../lib/storage/s3'
import { pushImage } from '../http/harness'
import { createTestBucket, dropTestBuckets, sharedCephRgw, zotS3Params } from '../support/counterparts/ceph-rgw'
import { freePort } from '../support/server'
import { captureIo, commandSections, makeMaintenanceHarness, tempDirectory, type MaintenanceHarness } from './helpers'
import { testS3DriverConfig } from '../support/config'

const CLUSTER_START_MS = 180_000
const rgw = sharedCephRgw
beforeAll(() => rgw(), CLUSTER_START_MS)
afterAll(async () => dropTestBuckets(await rgw()), CLUSTER_START_MS)

interface S3Harness extends MaintenanceHarness {
  /** zot's `storage` section for the bucket, as the commands read it. */
  storage: { rootDirectory: string; dedupe: false; storageDriver: ReturnType<typeof zotS3Params> }
}

async function s3Harness(): Promise<S3Harness> {
  const server = await rgw()
  const storage = {
    rootDirectory: await tempDirectory('gc-s3'),
    dedupe: false as const,
    storageDriver: zotS3Params(server, await createTestBucket(server, 'gc')),
  }
  return { ...(await makeMaintenanceHarness(storage)), storage }
}

async function scrub(h: S3Harness): Promise<{ code: number; out: string[] }> {
  const { io, out } = captureIo()
  const options = commandSections(h.storage, { port: await freePort() })
  return { code: await scrubCommand(options, io), out }
}

describe('on S3', () => {
  test('GC frees a deleted image and keeps the live one', async () => {
    const h = await s3Harness()
    const live = await pushImage(h, 'app', 'live')
    const doomed = await pushImage(h, 'app', 'old')
    await h.request('/v2/app/manifests/old', { method: 'DELETE' })

    const report = await h.gc()

    expect(report.errors).toEqual([])
    expect(report.deleted).toMatchObject({ manifest: 1, blob: 3 })
    expect(await h.registry.hasBlob('app', doomed.layers[0]!)).toBe(false)
    expect((await h.request(`/v2/app/blobs/${live.layers[0]}`)).status).toBe(200)
    h.close()
  }, 60_000)

  test('scrub: clean storage is ok; a corrupt layer is quarantined and a re-push repairs it', async () => {
    const h = await s3Harness()
    const image = await pushImage(h, 'app', 'v1')
    expect((await scrub(h)).code).toBe(0)
    const layer = image.layers[0]!
    const good = await h.registry.maintenance('app').blobContent(layer)
    const bad = good.slice()
    bad[0] = bad[0]! ^ 0xff
    // Bit rot behind the registry's back: straight into the bucket.
    const driver = createS3Driver(s3OptionsFromZotParams(testS3DriverConfig(h.storage.storageDriver)))
    await driver.putContent(blobPath('app', layer), bad)
    driver.destroy()

    const affected = await scrub(h)

    expect(affected.code).toBe(2)
    expect(affected.out[1]).toContain('bad blob digest')
    expect((await h.request(`/v2/app/blobs/${layer}`, { method: 'HEAD' })).status).toBe(404)
    const upload = await h.request(`/v2/app/blobs/uploads/?digest=${layer}`, { method: 'POST', body: good })
    expect(upload.status).toBe(201)
    expect((await scrub(h)).code).toBe(0)
    h.close()
  }, 60_000)
})
