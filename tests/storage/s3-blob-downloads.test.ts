/**
 * Blob downloads from S3 over Bun's fetch (lib/storage/s3/fetch-handler.ts), whose bodies a
 * response pipes natively: a real `zot serve` on a bucket of the tests' Ceph RGW, reached through a
 * TCP relay that can cut a response mid-body and shows when the registry lets go of a connection.
 * Whole and ranged reads, a missing object, a dedupe placeholder, a cut body and a client that
 * goes away; and an HTTPS endpoint (`skipverify`, and bodies sent as UNSIGNED-PAYLOAD over TLS
 * only).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createServer, Socket, type Server } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
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
import { tempDirectory } from '../support/temp'
import { makeSelfSignedCertificate } from '../support/tls/certificates'
import { pushBlob, randomBytes } from '../sync/support/content'

const CLUSTER_START_MS = 180_000

/**
 * Relays TCP (or TLS, terminated here) to the gateway; `cutAfter` bytes of answer (from when it is
 * set) cut the connection, and the next `dropGets` GETs of a blob are dropped unanswered.
 * `requests` holds what the registry sent, as text up to each body.
 */
interface Relay {
  endpoint: string
  cutAfter: number | undefined
  dropGets: number
  /** Connections from the registry open now. */
  open: number
  requests: string[]
  close(): void
}

async function startRelay(target: URL, tls?: { key: string; cert: string }): Promise<Relay> {
  const sockets = new Set<Socket>()
  const relay: Relay = {
    endpoint: '',
    cutAfter: undefined,
    dropGets: 0,
    open: 0,
    requests: [],
    close: () => server.close(),
  }
  const relayConnection = (client: Socket) => {
    const upstream = new Socket()
    sockets.add(client)
    relay.open++
    let answered = 0
    upstream.connect(Number(target.port), target.hostname)
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1')
      if (/^[A-Z]+ \/\S* HTTP\/1\.1\r\n/.test(text)) relay.requests.push(text.slice(0, text.indexOf('\r\n\r\n')))
      if (relay.dropGets > 0 && /^GET \/\S*\/blobs\//.test(text)) {
        relay.dropGets--
        client.destroy()
        upstream.destroy()
        return
      }
      upstream.write(chunk)
    })
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
  }
  const server: Server = tls ? createTlsServer(tls, relayConnection) : createServer(relayConnection)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  relay.endpoint = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`
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

/** The driver on the test bucket, reached at `endpoint` (the gateway or a relay in front of it). */
async function driverOn(endpoint: string, skipverify = false) {
  const rgw = await sharedCephRgw()
  const params = { ...zotS3Params(rgw, bucket), regionendpoint: endpoint, skipverify, chunksize: 5 << 20 }
  return createS3Driver(s3OptionsFromZotParams(testS3DriverConfig(params)))
}

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
  const driver = await driverOn((await sharedCephRgw()).endpoint)
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

test('a GetObject whose connection drops before any answer is retried', async () => {
  const key = `/blobs/sha256/${digest.slice('sha256:'.length)}`
  const gets = () => relay.requests.filter((head) => head.startsWith('GET ') && head.includes(key)).length
  const before = gets()
  relay.dropGets = 2
  const response = await fetch(blobUrl('downloads/one'))
  expect(response.status).toBe(200)
  expect(sha256Digest(new Uint8Array(await response.arrayBuffer()))).toBe(digest)
  expect(relay.dropGets).toBe(0)
  expect(gets() - before).toBeGreaterThanOrEqual(3)
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

describe('an HTTPS endpoint (TLS relay with a self-signed certificate)', () => {
  test('skipverify accepts the certificate; bodies go unsigned over TLS, signed over plain HTTP', async () => {
    const directory = await tempDirectory('s3-tls')
    const files = { key: join(directory, 'key.pem'), cert: join(directory, 'cert.pem') }
    await makeSelfSignedCertificate({ ...files, commonName: '127.0.0.1', subjectAltName: 'IP:127.0.0.1' })
    const rgw = await sharedCephRgw()
    const tlsRelay = await startRelay(new URL(rgw.endpoint), {
      key: await readFile(files.key, 'utf8'),
      cert: await readFile(files.cert, 'utf8'),
    })
    const data = randomBytes(6 << 20)
    const secure = await driverOn(tlsRelay.endpoint, true)
    const strict = await driverOn(tlsRelay.endpoint, false)
    const plain = await driverOn(relay.endpoint, false)
    try {
      // Through the writer: a part and a tail object, then a server-side move.
      const writer = await secure.writer('tls/upload', { append: false })
      await writer.write(data)
      await writer.close()
      await secure.move('tls/upload', 'tls/blob')
      expect(new Uint8Array(await new Response(await secure.read('tls/blob')).arrayBuffer())).toEqual(data)
      const ranged = await secure.read('tls/blob', { offset: 100, length: 50 })
      expect(new Uint8Array(await new Response(ranged).arrayBuffer())).toEqual(data.subarray(100, 150))
      // The presigned URL of redirectBlobURL is made by the same client.
      const presigned = await secure.redirectURL?.('tls/blob')
      const redirected = await fetch(presigned ?? '', { tls: { rejectUnauthorized: false } })
      expect(redirected.status).toBe(200)
      expect(new Uint8Array(await redirected.arrayBuffer())).toEqual(data)
      const puts = tlsRelay.requests.filter((head) => head.startsWith('PUT '))
      expect(puts.length).toBeGreaterThan(0)
      for (const head of puts) expect(head.toLowerCase()).toContain('x-amz-content-sha256: unsigned-payload')

      await expect(strict.putContent('tls/refused', 'x')).rejects.toThrow(/S3 PutObject failed/)

      const plainBefore = relay.requests.length
      await plain.putContent('tls/plain', data.subarray(0, 1000))
      const plainPut = relay.requests.slice(plainBefore).find((head) => head.startsWith('PUT '))
      expect(plainPut?.toLowerCase()).toContain(
        `x-amz-content-sha256: ${sha256Digest(data.subarray(0, 1000)).slice(7)}`,
      )
    } finally {
      for (const driver of [secure, strict, plain]) driver.destroy()
      tlsRelay.close()
    }
  }, 60_000)
})
