/**
 * The S3 driver against a real S3 server (a throwaway Ceph RGW, started once for this file): the
 * shared conformance suite, then what only S3 has: zot's key layout, uploads resumed across
 * requests and replicas with bounded memory, server-side moves, ranged reads of unfinished
 * uploads, cancellation leaving nothing behind, and conditional writes.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3'
import type { Content } from '../../lib/storage/driver'
import { createS3Driver, type S3Driver, type S3DriverOptions, s3OptionsFromZotParams } from '../../lib/storage/s3'
import { testS3DriverConfig } from '../support/config'
import { createTestBucket, dropTestBuckets, rawS3Client, sharedCephRgw } from '../support/counterparts/ceph-rgw'
import { testDriver } from './driver-suite'

const MiB = 1024 * 1024
/** Big transfers against RGW on a loaded 2-core CI machine: far above the seconds they take. */
const LONG_TEST_MS = 300_000
const CLUSTER_START_MS = 180_000

const rgw = sharedCephRgw
// Hooks time out after 5 s unless told otherwise; a cluster start takes 3-5 s, longer under load.
beforeAll(() => rgw(), CLUSTER_START_MS)
afterAll(async () => dropTestBuckets(await rgw()), CLUSTER_START_MS)

async function s3Driver(bucket: string, options: Partial<S3DriverOptions> = {}): Promise<S3Driver> {
  const server = await rgw()
  const params = {
    bucket,
    region: server.region,
    regionendpoint: server.endpoint,
    accesskey: server.accessKey,
    secretkey: server.secretKey,
    chunksize: 5 * MiB,
  }
  return createS3Driver({ ...s3OptionsFromZotParams(testS3DriverConfig(params)), ...options })
}

/** A driver on a fresh bucket, and a raw client to look behind its back. */
async function freshBucket(
  options: Partial<S3DriverOptions> = {},
): Promise<{ driver: S3Driver; bucket: string; raw: S3Client }> {
  const bucket = await createTestBucket(await rgw(), 'zot')
  return { driver: await s3Driver(bucket, options), bucket, raw: rawS3Client(await rgw()) }
}

async function allKeys(raw: S3Client, bucket: string): Promise<string[]> {
  const page = await raw.send(new ListObjectsV2Command({ Bucket: bucket }))
  return (page.Contents ?? []).map((object) => object.Key ?? '').sort()
}

async function openMultipartUploads(raw: S3Client, bucket: string): Promise<number> {
  return (await raw.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads?.length ?? 0
}

async function bytesOf(content: Content): Promise<Uint8Array> {
  return new Uint8Array(await new Response(content).arrayBuffer())
}

async function sha256Of(content: Content, onChunk: () => void = () => {}): Promise<string> {
  const hasher = new Bun.CryptoHasher('sha256')
  const stream = content instanceof Blob ? content.stream() : content
  for await (const chunk of stream) {
    hasher.update(chunk)
    onChunk()
  }
  return hasher.digest('hex')
}

function randomBytes(length: number): Uint8Array {
  return fillRandom(new Uint8Array(length))
}

function fillRandom(bytes: Uint8Array): Uint8Array {
  for (let offset = 0; offset < bytes.length; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(bytes.length, offset + 65536)))
  }
  return bytes
}

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)
/** Peak growth of the process's RSS over a baseline taken after a full collection, in MiB. */
class RssProbe {
  private readonly baseline: number
  private peak: number

  constructor() {
    Bun.gc(true)
    this.baseline = this.peak = process.memoryUsage().rss / MiB
  }

  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage().rss / MiB)
  }

  get growth(): number {
    return this.peak - this.baseline
  }
}

class Stopwatch {
  private readonly started = performance.now()

  seconds(): number {
    return (performance.now() - this.started) / 1000
  }

  /** MiB per second for `mebibytes`, rounded. */
  rate(mebibytes: number): number {
    return Math.round(mebibytes / this.seconds())
  }
}

for (const rootDirectory of [undefined, '/zot']) {
  testDriver(`s3${rootDirectory ? ` (rootdirectory ${rootDirectory})` : ''}`, async () => {
    const { driver, raw } = await freshBucket({ rootDirectory })
    return {
      driver,
      async cleanup() {
        await driver.delete('')
        driver.destroy()
        raw.destroy()
      },
    }
  })
}

describe('s3 driver: key layout', () => {
  test('rootdirectory is doubled in keys, as zot lays them out; without it keys are the paths', async () => {
    for (const [rootDirectory, prefix] of [
      ['/zot', 'zot/zot/'],
      [undefined, ''],
      ['/a/b/', 'a/b/a/b/'],
    ] as const) {
      const { driver, bucket, raw } = await freshBucket({ rootDirectory })
      await driver.putContent('alpine/index.json', '{}')
      await driver.putContent('alpine/blobs/sha256/abc', 'blob')
      expect(await allKeys(raw, bucket)).toEqual([`${prefix}alpine/blobs/sha256/abc`, `${prefix}alpine/index.json`])
      expect(await driver.list('')).toEqual(['alpine'])
      expect(await driver.list('alpine')).toEqual(['blobs', 'index.json'])
      driver.destroy()
    }
  })

  test('listTree lists every file below a directory with its size, nested ones too', async () => {
    const { driver } = await freshBucket({ rootDirectory: '/zot' })
    await driver.putContent('app/blobs/sha256/aa', 'four')
    await driver.putContent('app/blobs/sha256/bb', new Uint8Array(0))
    await driver.putContent('app/index.json', '{}')
    await driver.putContent('app/nested/blobs/sha256/cc', 'x')
    expect((await driver.listTree('app/blobs')).sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'sha256/aa', size: 4 },
      { path: 'sha256/bb', size: 0 },
    ])
    expect(await driver.listTree('missing')).toEqual([])
    driver.destroy()
  })

  test('an unfinished upload lists as one name and stats as a file of its full size', async () => {
    const { driver } = await freshBucket()
    const writer = await driver.writer('repo/.uploads/u1', { append: false })
    await writer.write(randomBytes(12 * MiB))
    await writer.close()
    expect(await driver.list('repo/.uploads')).toEqual(['u1'])
    const info = await driver.stat('repo/.uploads/u1')
    expect(info).toMatchObject({ size: 12 * MiB, isDirectory: false })
    driver.destroy()
  })
})

describe('s3 driver: uploads', () => {
  test(
    'a 200 MiB upload in 1 MiB appends, alternating between two replicas, in bounded memory',
    async () => {
      const { driver: replicaA, bucket, raw } = await freshBucket()
      const replicaB = await s3Driver(bucket)
      const path = 'library/big/.uploads/5e1c1d50-0000-4000-8000-000000000001'
      const chunk = new Uint8Array(MiB)
      const hasher = new Bun.CryptoHasher('sha256')
      const memory = new RssProbe()
      const upload = new Stopwatch()
      for (let request = 0; request < 200; request++) {
        const writer = await (request % 2 === 0 ? replicaA : replicaB).writer(path, {
          append: true,
        })
        expect(writer.size).toBe(request * MiB)
        hasher.update(fillRandom(chunk))
        // A request body arrives in pieces; write them as they come.
        for (let offset = 0; offset < MiB; offset += 256 * 1024) {
          await writer.write(chunk.subarray(offset, offset + 256 * 1024))
        }
        await writer.close()
        memory.sample()
      }
      const uploadRate = upload.rate(200)
      const digest = hasher.digest('hex')
      expect((await replicaB.stat(path)).size).toBe(200 * MiB)
      // Holding the upload would add 200 MiB. The margin is for garbage not yet collected in a
      // test process shared with every other test file (105 MiB was seen in a full run).
      expect(memory.growth).toBeLessThan(150)

      const blob = `library/big/blobs/sha256/${digest}`
      const move = new Stopwatch()
      await replicaA.move(path, blob)
      const moveSeconds = move.seconds()
      const read = new Stopwatch()
      expect(await sha256Of(await replicaB.read(blob))).toBe(digest)
      const readRate = read.rate(200)
      expect(await allKeys(raw, bucket)).toEqual([blob])
      expect(await openMultipartUploads(raw, bucket)).toBe(0)
      console.log(
        `s3 200 MiB in 200 appends over 2 replicas: upload ${uploadRate} MiB/s, ` +
          `move ${moveSeconds.toFixed(1)} s, read ${readRate} MiB/s, ` +
          `upload RSS growth ${memory.growth.toFixed(0)} MiB`,
      )
      await replicaA.delete('')
      replicaA.destroy()
      replicaB.destroy()
    },
    LONG_TEST_MS,
  )

  test(
    'a 256 MiB upload in one request, then read: throughput and memory',
    async () => {
      const { driver, bucket, raw } = await freshBucket({ chunkSize: 10 * MiB })
      const path = 'repo/.uploads/one'
      const chunk = new Uint8Array(MiB)
      const hasher = new Bun.CryptoHasher('sha256')
      const uploadMemory = new RssProbe()
      const upload = new Stopwatch()
      const writer = await driver.writer(path, { append: false })
      for (let written = 0; written < 256 * MiB; written += MiB) {
        hasher.update(fillRandom(chunk))
        await writer.write(chunk)
        uploadMemory.sample()
      }
      await writer.close()
      const digest = hasher.digest('hex')
      const blob = `repo/blobs/sha256/${digest}`
      await driver.move(path, blob)
      const uploadRate = upload.rate(256)

      const readMemory = new RssProbe()
      const read = new Stopwatch()
      expect(await sha256Of(await driver.read(blob), () => readMemory.sample())).toBe(digest)
      const readRate = read.rate(256)
      console.log(
        `s3 256 MiB in one request: upload+move ${uploadRate} MiB/s, read ${readRate} MiB/s, ` +
          `RSS growth: upload ${uploadMemory.growth.toFixed(0)} MiB, ` +
          `read ${readMemory.growth.toFixed(0)} MiB`,
      )
      // Buffering the blob would add 256 MiB; the margin is for garbage of a test process shared
      // with every other test file (134 MiB was seen in a full run).
      expect(uploadMemory.growth).toBeLessThan(200)
      // Reading frees its chunks only when the collector runs: more garbage, but never the blob.
      expect(readMemory.growth).toBeLessThan(200)
      expect(await allKeys(raw, bucket)).toEqual([blob])
      await driver.delete('')
      driver.destroy()
    },
    LONG_TEST_MS,
  )

  test('ranged reads of an unfinished upload span its parts and tail', async () => {
    const { driver } = await freshBucket()
    const data = randomBytes(11 * MiB + 12345)
    const path = 'repo/.uploads/ranged'
    for (const [start, end] of [
      [0, 3 * MiB],
      [3 * MiB, 7 * MiB],
      [7 * MiB, data.length],
    ]) {
      const writer = await driver.writer(path, { append: true })
      await writer.write(data.subarray(start, end))
      await writer.close()
    }
    expect(await bytesOf(await driver.read(path))).toEqual(data)
    const ranges: Array<[number, number | undefined]> = [
      [0, 10],
      [5 * MiB - 5, 10],
      [4 * MiB, 6 * MiB + 100],
      [10 * MiB + 1, undefined],
      [data.length - 1, 5],
    ]
    for (const [offset, length] of ranges) {
      const expected = data.subarray(offset, length === undefined ? undefined : offset + length)
      expect(await bytesOf(await driver.read(path, { offset, length }))).toEqual(expected)
    }
    expect(await bytesOf(await driver.read(path, { offset: data.length }))).toEqual(new Uint8Array(0))
    expect(await bytesOf(await driver.read(path, { offset: data.length + 10 }))).toEqual(new Uint8Array(0))
    expect(await driver.getContent(path)).toEqual(data)
    driver.destroy()
  })

  test('cancel removes parts and tail, and no multipart upload is left open', async () => {
    const { driver, bucket, raw } = await freshBucket()
    const path = 'repo/.uploads/cancelled'
    const first = await driver.writer(path, { append: true })
    await first.write(randomBytes(12 * MiB))
    await first.close()
    const second = await driver.writer(path, { append: true })
    expect(second.size).toBe(12 * MiB)
    await second.write(randomBytes(3 * MiB))
    await second.cancel()
    expect(await allKeys(raw, bucket)).toEqual([])
    expect(await openMultipartUploads(raw, bucket)).toBe(0)
    driver.destroy()
  })

  test('a request that dies mid-way leaves the upload as it was before the request', async () => {
    const { driver } = await freshBucket()
    const path = 'repo/.uploads/crashed'
    const data = randomBytes(7 * MiB)
    const writer = await driver.writer(path, { append: true })
    await writer.write(data)
    await writer.close()
    // This writer uploads a part (its buffer fills) but never closes, like a killed process.
    const dying = await driver.writer(path, { append: true })
    await dying.write(randomBytes(6 * MiB))
    expect((await driver.stat(path)).size).toBe(7 * MiB)
    expect(await bytesOf(await driver.read(path))).toEqual(data)
    const resumed = await driver.writer(path, { append: true })
    expect(resumed.size).toBe(7 * MiB)
    driver.destroy()
  })
})

describe('s3 driver: putStream', () => {
  /** A body whose first 12 MiB flow at once; it ends (or errors) when `finish` is called. */
  function heldBody(data: Uint8Array): { body: ReadableStream<Uint8Array>; finish(failure?: Error): void } {
    let finish!: (failure?: Error) => void
    const finished = new Promise<Error | undefined>((resolve) => (finish = resolve))
    let offset = 0
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (offset < data.length) {
          controller.enqueue(data.slice(offset, offset + MiB))
          offset += MiB
          return
        }
        const failure = await finished
        if (failure) controller.error(failure)
        else controller.close()
      },
    })
    return { body, finish }
  }

  /** Waits until the bucket shows a multipart upload open at `key`. */
  async function multipartUploadAt(raw: S3Client, bucket: string, key: string): Promise<void> {
    for (let tries = 0; tries < 200; tries++) {
      const page = await raw.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
      if (page.Uploads?.some((upload) => upload.Key === key)) return
      await Bun.sleep(50)
    }
    throw new Error(`no multipart upload was opened at ${key}`)
  }

  for (const outcome of ['ends', 'errors'] as const) {
    test(`parts stream into one multipart upload at the final key, which shows content only when the body ${outcome}`, async () => {
      const { driver, bucket, raw } = await freshBucket()
      // Without rootdirectory, keys are the paths.
      const key = 'repo/blobs/sha256/streamed'
      const path = key
      const data = fillRandom(new Uint8Array(12 * MiB))
      const { body, finish } = heldBody(data)
      const put = driver.putStream(path, body)
      put.catch(() => {})
      // Two full 5 MiB parts went up while the body still holds its end: no object anywhere yet.
      await multipartUploadAt(raw, bucket, key)
      expect(await allKeys(raw, bucket)).toEqual([])
      if (outcome === 'ends') {
        finish()
        expect(await put).toBe(data.length)
        expect(await bytesOf(await driver.read(path))).toEqual(data)
        expect(await allKeys(raw, bucket)).toEqual([key])
      } else {
        finish(new Error('the digest did not verify'))
        await expect(put).rejects.toThrow('the digest did not verify')
        expect(await allKeys(raw, bucket)).toEqual([])
      }
      expect(await openMultipartUploads(raw, bucket)).toBe(0)
      driver.destroy()
    })
  }
})

describe('s3 driver: server-side copies', () => {
  test('a large plain object moves in parallel part copies, atomically replacing the destination', async () => {
    const { driver, bucket, raw } = await freshBucket({
      multipartCopyThresholdSize: 8 * MiB,
      multipartCopyChunkSize: 8 * MiB,
    })
    const data = randomBytes(40 * MiB + 3)
    await driver.putContent('repo/source', data)
    await driver.putContent('repo/destination', 'old')
    await driver.move('repo/source', 'repo/destination')
    expect(await bytesOf(await driver.read('repo/destination'))).toEqual(data)
    expect(await allKeys(raw, bucket)).toEqual(['repo/destination'])
    expect(await openMultipartUploads(raw, bucket)).toBe(0)
    driver.destroy()
  })

  test('copy of an unfinished upload assembles it and leaves the source', async () => {
    const { driver } = await freshBucket()
    const data = randomBytes(16 * MiB + 7)
    const writer = await driver.writer('repo/.uploads/c', { append: false })
    await writer.write(data)
    await writer.close()
    await driver.copy('repo/.uploads/c', 'repo/blob', { link: true })
    expect(await bytesOf(await driver.read('repo/blob'))).toEqual(data)
    expect((await driver.stat('repo/.uploads/c')).size).toBe(data.length)
    driver.destroy()
  })
})

describe('s3 driver: conditional writes', () => {
  test('8 concurrent If-None-Match creators: exactly one wins, and its value is stored', async () => {
    const { driver } = await freshBucket()
    const values = Array.from({ length: 8 }, (_, index) => `{"writer":${index}}`)
    const results = await Promise.all(
      values.map((value) => driver.putContentIf('repo/index.json', value, { ifNoneMatch: '*' })),
    )
    const winners = results.flatMap((result, index) => (result.written ? [index] : []))
    expect(winners).toHaveLength(1)
    const stored = await driver.getContentWithETag('repo/index.json')
    expect(text(stored.data)).toBe(values[winners[0]!]!)
    expect(stored.etag).toBe(results[winners[0]!]!.etag!)
    driver.destroy()
  })

  test('If-Match: concurrent updates from one version, exactly one wins; stale and missing lose', async () => {
    const { driver } = await freshBucket()
    await driver.putContent('repo/index.json', 'v0')
    const { etag } = await driver.getContentWithETag('repo/index.json')
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, index) => driver.putContentIf('repo/index.json', `v1-${index}`, { ifMatch: etag })),
    )
    expect(results.filter((result) => result.written)).toHaveLength(1)
    expect(await driver.putContentIf('repo/index.json', 'stale', { ifMatch: etag })).toEqual({
      written: false,
    })
    const current = await driver.getContentWithETag('repo/index.json')
    const next = await driver.putContentIf('repo/index.json', 'v2', {
      ifMatch: `"${current.etag}"`,
    })
    expect(next.written).toBe(true)
    expect(text(await driver.getContent('repo/index.json'))).toBe('v2')
    expect(await driver.putContentIf('repo/missing', 'x', { ifMatch: etag })).toEqual({
      written: false,
    })
    driver.destroy()
  })
})
