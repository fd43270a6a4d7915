/**
 * The cross-replica GC protocol step by step (docs/s3.md "GC on several replicas"), with two
 * registries on one Ceph RGW bucket, each with its own S3 client as separate processes have: a
 * sweep's claim never names a blob of a manifest recorded before it; a push relying on a claimed
 * blob waits for the release and then refuses a deleted blob instead of acknowledging a broken
 * image; an empty repository removed under a claim comes back with the next push; and a
 * repository created through one replica is in the other's catalog within seconds.
 */
import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import { tmpdir } from 'node:os'
import { createApp } from '../../lib/http/app'
import { silentLogger } from '../../lib/log/logger'
import { digestOf } from '../../lib/oci/digest'
import { MediaType } from '../../lib/oci/media-types'
import { openStore } from '../../lib/registry/open-store'
import type { Registry } from '../../lib/registry/registry'
import { cephRgwForThisFile, createTestBucket, zotS3Params } from '../support/counterparts/ceph-rgw'
import { testStorageConfig } from '../support/config'

setDefaultTimeout(120_000)
const gateway = cephRgwForThisFile()

interface Replica {
  registry: Registry
  request(path: string, init?: RequestInit): Promise<Response>
}

async function replicas(): Promise<[Replica, Replica]> {
  const params = zotS3Params(gateway(), await createTestBucket(gateway(), 'claims'))
  const open = async (): Promise<Replica> => {
    const storage = testStorageConfig({ rootDirectory: tmpdir(), dedupe: false, storageDriver: params })
    const { registry } = await openStore(storage)
    const app = createApp({ registry, logger: silentLogger(), redirectBlobs: false })
    return { registry, request: async (path, init) => app.request(`http://replica.test${path}`, init) }
  }
  return [await open(), await open()]
}

async function pushBlob(replica: Replica, repository: string, data: Uint8Array): Promise<string> {
  const digest = digestOf(data)
  const response = await replica.request(`/v2/${repository}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    body: data,
  })
  expect(response.status).toBe(201)
  return digest
}

const manifestOf = (layer: string, size: number): Uint8Array =>
  new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: layer, size },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer, size }],
    }),
  )

const putManifest = (replica: Replica, repository: string, tag: string, body: Uint8Array) =>
  replica.request(`/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    body,
    headers: { 'Content-Type': MediaType.ociManifest },
  })

/** What GC passes as `live`: nothing is reachable from an index without manifests here. */
const nothingLive = async () => new Set<string>()

/**
 * An orphan blob pushed through `pusher`, claimed by a sweep on `sweeper`, and a manifest PUT
 * relying on it started through `pusher`.
 */
async function pushRacingClaim(pusher: Replica, sweeper: Replica) {
  const data = crypto.getRandomValues(new Uint8Array(100))
  const digest = await pushBlob(pusher, 'app', data)
  const sweep = sweeper.registry.maintenance('app')
  const claim = await sweep.claimBlobs([digest], nothingLive, 30_000)
  expect(claim?.blobs).toEqual([digest])
  let settled = false
  const push = putManifest(pusher, 'app', 'v1', manifestOf(digest, data.length)).finally(() => {
    settled = true
  })
  return { digest, sweep, claim: claim!, push, settled: () => settled }
}

describe('GC claims on a shared bucket', () => {
  test('a push relying on a claimed blob waits for the release, then refuses the deleted blob', async () => {
    const [a, b] = await replicas()
    const { digest, sweep, claim, push, settled } = await pushRacingClaim(a, b)
    // A second sweep (another GC replica) finds the repository held.
    expect(await sweep.claimBlobs([digest], nothingLive, 30_000)).toBeUndefined()
    await Bun.sleep(1000)
    expect(settled()).toBe(false)
    await sweep.deleteBlob(digest)
    await sweep.releaseClaim(claim)
    const response = await push
    expect(response.status).toBe(400)
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('MANIFEST_BLOB_UNKNOWN')
  })

  test('a push relying on a claimed blob the sweep spared is acknowledged after the release', async () => {
    const [a, b] = await replicas()
    const { digest, sweep, claim, push } = await pushRacingClaim(a, b)
    await Bun.sleep(500)
    await sweep.releaseClaim(claim)
    expect((await push).status).toBe(201)
    expect((await b.request(`/v2/app/blobs/${digest}`)).status).toBe(200)
  })

  test("a push waiting for a claim of its own replica's sweep does not keep that sweep from releasing it", async () => {
    const [a] = await replicas()
    const { sweep, claim, push } = await pushRacingClaim(a, a)
    await Bun.sleep(500)
    const released = Date.now()
    await sweep.releaseClaim(claim)
    expect(Date.now() - released).toBeLessThan(5000)
    expect((await push).status).toBe(201)
  })

  test('a sweep claims nothing the live set of the current index keeps', async () => {
    const [a, b] = await replicas()
    const data = crypto.getRandomValues(new Uint8Array(100))
    const digest = await pushBlob(a, 'app', data)
    expect((await putManifest(a, 'app', 'v1', manifestOf(digest, data.length))).status).toBe(201)
    const sweep = b.registry.maintenance('app')
    // GC's live set comes from the index the claim is written to; this one names the layer.
    const live = async () => new Set([digest])
    expect(await sweep.claimBlobs([digest], live, 30_000)).toBeUndefined()
  })

  test('an empty repository removed through one replica is created again by the next push through the other', async () => {
    const [a, b] = await replicas()
    const data = crypto.getRandomValues(new Uint8Array(100))
    const digest = await pushBlob(a, 'gone', data)
    const sweep = b.registry.maintenance('gone')
    await sweep.deleteBlob(digest)
    expect(await sweep.removeIfEmpty()).toBe(true)
    expect((await b.request('/v2/gone/tags/list')).status).toBe(404)
    // A new push recreates it from scratch.
    await pushBlob(a, 'gone', data)
    expect((await putManifest(a, 'gone', 'v1', manifestOf(digest, data.length))).status).toBe(201)
    expect((await b.request('/v2/gone/manifests/v1')).status).toBe(200)
  })

  test('the catalog of one replica lists a repository created through the other within seconds', async () => {
    const [a, b] = await replicas()
    await pushBlob(a, 'first', crypto.getRandomValues(new Uint8Array(10)))
    expect(await b.registry.catalog.list()).toEqual(['first'])
    await pushBlob(a, 'second/nested', crypto.getRandomValues(new Uint8Array(10)))
    const deadline = Date.now() + 10_000
    let listed = await b.registry.catalog.list()
    while (!listed.includes('second/nested') && Date.now() < deadline) {
      await Bun.sleep(200)
      listed = await b.registry.catalog.list()
    }
    expect(listed).toEqual(['first', 'second/nested'])
  })
})
