/**
 * Blob downloads from S3 over Bun's fetch (lib/storage/s3/fetch-handler.ts), whose bodies a
 * response pipes natively: a real `zot serve` on a bucket of the tests' Ceph RGW, reached through a
 * TCP relay that can cut a response mid-body and shows when the registry lets go of a connection.
 * Whole and ranged reads, a missing object, a dedupe placeholder, a cut body and a client that
 * goes away.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { createServer, Socket, type Server } from 'node:net'
import { PathNotFoundError } from '../../lib/storage/driver'
import { createS3Driver, s3OptionsFromZotParams } from '../../lib/storage/s3'
import { testS3DriverConfig } from '../support/config'
import {
  createTestBucket,
  dropTestBuckets,
  rawS3Client,
  sharedCephRgw,
  zotS3Params,
} from '../support/counterparts/ceph-rgw'
import { sha256Digest } from '../support/oci-layout'
import { startRegistry, type RunningRegistry } from '../support/server'
import { pushBlob, randomBytes } from '../sync/support/content'

const CLUSTER_START_MS = 180_000

/** Relays TCP to the gateway; `cutAfter` bytes of answer (from when it is set) cut the connection. */
interface Relay {
  endpoint: string
  cutAfter: number | undefined
  /** Connections from the registry open now. */
  open: number
  close(): void
}

async function startRelay(target: URL): Promise<Relay> {
  const sockets = new Set<Socket>()
  const relay: Relay = { endpoint: '', cutAfter: undefined, open: 0, close: () => server.close() }
  const server: Server = createServer((client) => {
    const upstream = new Socket()
    sockets.add(client)
    relay.open++
    let answered = 0
    upstream.connect(Number(target.port), target.hostname)
    client.on('data', (chunk) => upstream.write(chunk))
    upstream.on('data', (chunk: Buffer) => {
      if (relay.cutAfter !== undefined) {
        answered += chunk.byteLength
        if (answered > relay.cutAfter) {
          relay.cutAfter = undefined
          client.destroy()
          upstream.destroy()
          return
        }
      }
      client.write(chunk)
    })
    const end = () => {
      if (sockets.delete(client)) relay.open--
      client.destroy()
      upstream.destroy()
    }
    client.on('close', end)
    upstream.on('close', end)
    client.on('error', end)
    upstream.on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  relay.endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  return relay
}

let relay: Relay
let registry: RunningRegistry
let bucket: string
const blob = randomBytes(3 << 20)
const digest = sha256Digest(blob)

beforeAll(async () => {
  const rgw = await sharedCephRgw()
  bucket = await createTestBucket(rgw, 'downloads')
  relay = await startRelay(new URL(rgw.endpoint))
  registry = await startRegistry({
    config: {
      log: { level: 'info' },
      storage: { dedupe: false, storageDriver: { ...zotS3Params(rgw, bucket), regionendpoint: relay.endpoint } },
    },
  })
  await pushBlob(registry, 'downloads/one', blob, 'application/octet-stream')
}, CLUSTER_START_MS)
afterAll(async () => {
  await registry?.stop()
  relay?.close()
  await dropTestBuckets(await sharedCephRgw())
}, CLUSTER_START_MS)

const blobUrl = (repository: string) => `${registry.url}/v2/${repository}/blobs/${digest}`

test('a whole blob arrives byte for byte and is logged with its length', async () => {
  const response = await fetch(blobUrl('downloads/one'))
  expect(response.status).toBe(200)
  expect(sha256Digest(new Uint8Array(await response.arrayBuffer()))).toBe(digest)
  await Bun.sleep(100)
  const line = registry
    .logs()
    .split('\n')
    .filter((text) => text.startsWith('{'))
    .map((text) => JSON.parse(text) as Record<string, unknown>)
    .find((entry) => entry.message === 'request' && entry.path === `/v2/downloads/one/blobs/${digest}`)
  expect(line).toMatchObject({ status: 200, bytes: blob.length })
  expect(typeof line?.headersMs).toBe('number')
})

test('a range is the bytes asked for', async () => {
  const response = await fetch(blobUrl('downloads/one'), { headers: { Range: 'bytes=1000-2999999' } })
  expect(response.status).toBe(206)
  expect(response.headers.get('content-range')).toBe(`bytes 1000-2999999/${blob.length}`)
  expect(new Uint8Array(await response.arrayBuffer())).toEqual(blob.subarray(1000, 3_000_000))
})

test('a dedupe placeholder (a zero-byte object) is read as the content it stands for', async () => {
  const raw = rawS3Client(await sharedCephRgw())
  try {
    await raw.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `zot/zot/downloads/shared/blobs/sha256/${digest.slice('sha256:'.length)}`,
        Body: new Uint8Array(0),
      }),
    )
  } finally {
    raw.destroy()
  }
  const whole = await fetch(blobUrl('downloads/shared'))
  expect(whole.status).toBe(200)
  expect(sha256Digest(new Uint8Array(await whole.arrayBuffer()))).toBe(digest)
  const ranged = await fetch(blobUrl('downloads/shared'), { headers: { Range: 'bytes=5-9' } })
  expect(ranged.status).toBe(206)
  expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(blob.subarray(5, 10))
})

test('a missing object is PathNotFoundError to the driver, BLOB_UNKNOWN to clients', async () => {
  const rgw = await sharedCephRgw()
  const params = {
    bucket,
    region: rgw.region,
    regionendpoint: rgw.endpoint,
    accesskey: rgw.accessKey,
    secretkey: rgw.secretKey,
  }
  const driver = createS3Driver(s3OptionsFromZotParams(testS3DriverConfig(params)))
  try {
    await expect(driver.read('downloads/none/blob')).rejects.toBeInstanceOf(PathNotFoundError)
    await expect(driver.read('downloads/none/blob', { offset: 10, length: 5 })).rejects.toBeInstanceOf(
      PathNotFoundError,
    )
  } finally {
    driver.destroy()
  }
  const response = await fetch(`${registry.url}/v2/downloads/one/blobs/sha256:${'0'.repeat(64)}`)
  expect(response.status).toBe(404)
  expect(((await response.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('BLOB_UNKNOWN')
})

test('an S3 answer cut mid-body cuts the client, and the registry says so without credentials', async () => {
  relay.cutAfter = 1 << 20
  const cut = await fetch(blobUrl('downloads/one'))
    .then((response) => response.arrayBuffer())
    .then(
      (body) => body.byteLength,
      () => 'cut',
    )
  expect(cut).toBe('cut')
  await Bun.sleep(200)
  const logs = registry.logs()
  // Bun's own line (it tells JavaScript nothing of a body it pipes natively): the object's URL.
  expect(logs).toContain(`downloads/one/blobs/sha256/${digest.slice('sha256:'.length)}`)
  expect(logs).toMatch(/ECONNRESET|closed unexpectedly|ConnectionClosed/)
  const rgw = await sharedCephRgw()
  expect(logs).not.toContain(rgw.secretKey)
  expect(logs).not.toContain('X-Amz-Signature')
  // The next download is whole again.
  const again = await fetch(blobUrl('downloads/one'))
  expect(sha256Digest(new Uint8Array(await again.arrayBuffer()))).toBe(digest)
})

test('a client that goes away mid-download releases the S3 connection', async () => {
  const big = randomBytes(64 << 20)
  await pushBlob(registry, 'downloads/big', big, 'application/octet-stream')
  const controller = new AbortController()
  const response = await fetch(`${registry.url}/v2/downloads/big/blobs/${sha256Digest(big)}`, {
    signal: controller.signal,
  })
  const reader = response.body!.getReader()
  await reader.read()
  // The registry has fetched the object and is held back by this client.
  const during = relay.open
  controller.abort()
  await reader.cancel().catch(() => {})
  // A connection cut mid-body cannot serve another request: it must close, not idle in the pool.
  const deadline = Date.now() + 10_000
  while (relay.open >= during && Date.now() < deadline) await Bun.sleep(50)
  expect(relay.open).toBeLessThan(during)
}, 60_000)
