/**
 * GC and scrub on S3 (a throwaway Ceph RGW, started once for this file): the same operations go
 * through the driver, so mtimes are object LastModified times and quarantine is a server-side move.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { scrubCommand } from '../../lib/maintenance/scrub-command'
import { blobPath } from '../../lib/registry/layout'
import { createS3Driver } from '../../lib/storage/s3'
import { pushImage } from '../http/harness'
import { createTestBucket, startCephRgw, type CephRgw } from '../support/ceph-rgw'
import { freePort } from '../support/server'
import { captureIo, commandSections, makeMaintenanceHarness, tempDirectory, type MaintenanceHarness } from './helpers'

const CLUSTER_START_MS = 180_000
let cluster: Promise<CephRgw> | undefined
const rgw = (): Promise<CephRgw> => (cluster ??= startCephRgw())
beforeAll(() => rgw(), CLUSTER_START_MS)
afterAll(async () => {
  if (cluster) await (await cluster).stop()
}, CLUSTER_START_MS)

async function s3Harness(): Promise<MaintenanceHarness> {
  const server = await rgw()
  const driver = createS3Driver({
    bucket: await createTestBucket(server, 'gc'),
    region: server.region,
    endpoint: server.endpoint,
    credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
  })
  return makeMaintenanceHarness({ rootDirectory: await tempDirectory('gc-s3'), driver })
}

async function scrub(h: MaintenanceHarness): Promise<{ code: number; out: string[] }> {
  const { io, out } = captureIo()
  const options = { ...commandSections({ rootDirectory: h.rootDirectory }, { port: await freePort() }), driver: h.registry.driver }
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
    expect(await h.registry.blobs.exists('app', doomed.layers[0]!)).toBe(false)
    expect((await h.request(`/v2/app/blobs/${live.layers[0]}`)).status).toBe(200)
    h.close()
  }, 60_000)

  test('scrub: clean storage is ok; a corrupt layer is quarantined and a re-push repairs it', async () => {
    const h = await s3Harness()
    const image = await pushImage(h, 'app', 'v1')
    expect((await scrub(h)).code).toBe(0)
    const layer = image.layers[0]!
    const good = await h.registry.blobs.getContent('app', layer)
    const bad = good.slice()
    bad[0] = bad[0]! ^ 0xff
    await h.registry.driver.putContent(blobPath('app', layer), bad)

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
