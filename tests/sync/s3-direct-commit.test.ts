/**
 * A pull-through cache on S3 (Ceph RGW) commits a cold pull as one multipart upload straight to
 * the blob's key while it downloads (issue 19, docs/s3.md "Uploads"): the key then holds the blob
 * byte for byte; a corrupt upstream, or a kill -9 in the middle, leaves nothing at the key (the
 * upload is aborted, or left for GC to abort); and a client arriving while the commit is still
 * running is answered from the spool, not after the bucket. A `zot serve` child, our own registry
 * as the upstream (it can throttle and corrupt blob bodies).
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import { GetObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createS3Driver, s3OptionsFromZotParams } from '../../lib/storage/s3'
import { testS3DriverConfig } from '../support/config'
import {
  createTestBucket,
  listKeys,
  rawS3ForThisFile,
  sharedCephRgw,
  zotS3Params,
} from '../support/counterparts/ceph-rgw'
import { startPausableProxy } from '../support/pausable-proxy'
import { startRegistry, type RunningRegistry } from '../support/server'
import { pushBlob, randomBytes } from './support/content'
import { startOwnUpstream, type OwnUpstream } from './support/own-upstream'

setDefaultTimeout(240_000)
const MiB = 1 << 20
const MINUTE = 60_000
const REPOSITORY = 'direct/app'
/** Three parts of the default 10 MiB chunksize. */
const blob = randomBytes(24 * MiB + 1234)
/** Upstream rate for the pulls observed mid-way: 4 s per blob, the multipart upload opens at 10 MiB. */
const SLOW = 6 * MiB
const s3 = rawS3ForThisFile()
let upstream: OwnUpstream
let digest: string
let key: string

beforeAll(async () => {
  upstream = await startOwnUpstream()
  digest = (await pushBlob(upstream, REPOSITORY, blob, 'application/octet-stream')).digest
  key = `zot/zot/${REPOSITORY}/blobs/sha256/${digest.slice('sha256:'.length)}`
})

afterAll(async () => {
  await upstream?.stop()
})

/** A cache on a fresh bucket (reached through `endpoint` when given). */
async function startCacheOn(bucket: string, endpoint?: string): Promise<RunningRegistry> {
  const storageDriver = { ...zotS3Params(await sharedCephRgw(), bucket), ...(endpoint && { regionendpoint: endpoint }) }
  return startRegistry({
    config: {
      storage: { dedupe: false, storageDriver },
      log: { level: 'info' },
      extensions: {
        sync: {
          enable: true,
          downloadDir: await mkdtemp(join(tmpdir(), 'zot-direct-commit-spool-')),
          registries: [{ urls: [upstream.url], onDemand: true, responseHeaderTimeout: '5s' }],
        },
      },
    },
  })
}

const blobUrl = (cache: RunningRegistry): string => `${cache.url}/v2/${REPOSITORY}/blobs/${digest}`

async function objectAt(bucket: string): Promise<Uint8Array | undefined> {
  try {
    const object = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    return await object.Body!.transformToByteArray()
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined
    throw error
  }
}

async function openUploads(bucket: string): Promise<string[]> {
  const listed = await s3().send(new ListMultipartUploadsCommand({ Bucket: bucket }))
  return (listed.Uploads ?? []).map((upload) => upload.Key!)
}

async function eventually(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    if (await condition()) return
    await Bun.sleep(50)
  }
  throw new Error(`timed out waiting until ${what}`)
}

/** Keys the registry left besides the blob and the repository's own files (sessions, parts). */
async function leftovers(bucket: string): Promise<string[]> {
  const keys = await listKeys(s3(), bucket, `zot/zot/${REPOSITORY}/`)
  return keys.filter((name) => name !== key && !/\/(index\.json|oci-layout)$/.test(name))
}

const body = async (response: Response): Promise<Uint8Array> => new Uint8Array(await response.arrayBuffer())

test('a cold pull streams into one multipart upload at the blob key, which then holds the blob byte for byte', async () => {
  const bucket = await createTestBucket(await sharedCephRgw(), 'direct-commit')
  const cache = await startCacheOn(bucket)
  // Slow enough that the upload shows while the client still downloads.
  upstream.misbehave.throttleBytesPerSecond = SLOW
  try {
    const pulled = fetch(blobUrl(cache)).then(body)
    let downloaded = false
    void pulled.finally(() => {
      downloaded = true
    })
    await eventually(async () => (await openUploads(bucket)).includes(key), 'a multipart upload is open at the key')
    expect(downloaded).toBe(false)
    expect(await objectAt(bucket)).toBeUndefined()
    expect(await pulled).toEqual(blob)
    await eventually(async () => (await objectAt(bucket)) !== undefined, 'the blob is in the bucket')
    expect(await objectAt(bucket)).toEqual(blob)
    await eventually(async () => (await leftovers(bucket)).length === 0, 'the upload session is gone')
    expect(await openUploads(bucket)).toEqual([])
  } finally {
    upstream.misbehave.throttleBytesPerSecond = undefined
    await cache.stop()
  }
})

test('an upstream sending corrupt bytes leaves nothing at the key and no multipart upload', async () => {
  const bucket = await createTestBucket(await sharedCephRgw(), 'direct-corrupt')
  const cache = await startCacheOn(bucket)
  upstream.misbehave.corruptBlobs = true
  upstream.misbehave.throttleBytesPerSecond = SLOW
  try {
    const pulled = fetch(blobUrl(cache)).then(body)
    // Parts of the corrupt content went up before the digest was known to be wrong.
    await eventually(async () => (await openUploads(bucket)).includes(key), 'a multipart upload is open at the key')
    // The client never gets the last byte of a blob that does not verify: the transfer breaks.
    await expect(pulled).rejects.toThrow()
    await eventually(async () => (await openUploads(bucket)).length === 0, 'the multipart upload is aborted')
    await eventually(async () => (await leftovers(bucket)).length === 0, 'the upload session is gone')
    expect(await objectAt(bucket)).toBeUndefined()
    expect(cache.logs()).toContain('sync: blob not cached')
  } finally {
    upstream.misbehave.corruptBlobs = undefined
    upstream.misbehave.throttleBytesPerSecond = undefined
    await cache.stop()
  }
})

test('kill -9 in the middle of a cold pull leaves no object at the key; GC aborts the upload it left', async () => {
  const rgw = await sharedCephRgw()
  const bucket = await createTestBucket(rgw, 'direct-kill')
  const cache = await startCacheOn(bucket)
  upstream.misbehave.throttleBytesPerSecond = SLOW
  try {
    const pulled = fetch(blobUrl(cache)).then(body)
    pulled.catch(() => {})
    await eventually(async () => (await openUploads(bucket)).includes(key), 'a multipart upload is open at the key')
    cache.kill('SIGKILL')
    await cache.exited
    await expect(pulled).rejects.toThrow()
    expect(await objectAt(bucket)).toBeUndefined()
    expect(await openUploads(bucket)).toEqual([key])
    // What GC runs (stale-multipart.ts): the upload at the blob key is the registry's.
    const driver = createS3Driver(s3OptionsFromZotParams(testS3DriverConfig(zotS3Params(rgw, bucket))))
    const aborted = await driver.abortStaleTransfers(new Date(Date.now() + MINUTE))
    driver.destroy()
    expect(aborted.map((transfer) => transfer.path)).toEqual([key.slice('zot/zot/'.length)])
    expect(await openUploads(bucket)).toEqual([])
    expect(await objectAt(bucket)).toBeUndefined()
  } finally {
    upstream.misbehave.throttleBytesPerSecond = undefined
    await cache.stop()
  }
})

test('a pull arriving while the commit to the bucket still runs is answered from the spool', async () => {
  const bucket = await createTestBucket(await sharedCephRgw(), 'direct-warm')
  // The cache reaches the bucket through a relay the test stalls: its commit cannot finish.
  const proxy = await startPausableProxy((await sharedCephRgw()).endpoint)
  const cache = await startCacheOn(bucket, proxy.url)
  // The download takes a few seconds: the commit cannot have completed when the bucket stalls.
  upstream.misbehave.throttleBytesPerSecond = 16 * MiB
  try {
    const cold = await fetch(blobUrl(cache))
    expect(cold.status).toBe(200)
    proxy.pause()
    expect(await body(cold)).toEqual(blob)
    // Answered, whole, while every request to the bucket hangs.
    const warm = await fetch(blobUrl(cache), { signal: AbortSignal.timeout(MINUTE) })
    expect(warm.status).toBe(200)
    expect(await body(warm)).toEqual(blob)
    expect(proxy.held).toBeGreaterThan(0)
    expect(await objectAt(bucket)).toBeUndefined()
    proxy.resume()
    await eventually(async () => (await objectAt(bucket)) !== undefined, 'the commit completes')
    expect(await objectAt(bucket)).toEqual(blob)
    // And from the bucket once stored.
    expect(await body(await fetch(blobUrl(cache)))).toEqual(blob)
  } finally {
    upstream.misbehave.throttleBytesPerSecond = undefined
    proxy.resume()
    await cache.stop()
    await proxy.stop()
  }
})
