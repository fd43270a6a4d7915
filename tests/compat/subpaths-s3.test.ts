/**
 * @module
 * A sub-store on S3 beside a local default store, as a zot 2.1 install keeps it: route `/a` in a
 * bucket of a real Ceph RGW (keys under zot's doubled `zot/zot/` prefix), everything else on
 * local disk. Our registry lists and serves both, stores pushes to `a/...` in the bucket, makes a
 * client upload what it asks to mount from the other store, redirects blob downloads of the bucket
 * only (its own `redirectBlobURL`), and `zot scrub` checks the bucket's repositories too.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import {
  type CephRgw,
  createTestBucket,
  dropTestBuckets,
  listKeys,
  rawS3Client,
  sharedCephRgw,
  zotS3Params,
} from '../support/counterparts/ceph-rgw'
import { freePort, type RunningRegistry, startRegistry } from '../support/server'
import { createTestStorage, type TestStorage } from '../support/storage-under-test'
import { runZot } from '../support/zot-cli'
import { catalogPage, expectPullable, pushImage } from './subpaths-client'
import { type ZotSubPathsData, writeZotSubPathsData } from './zot-subpaths-layout'

setDefaultTimeout(120_000)
/** zot's key prefix for `rootdirectory: /zot` (docs/zot-compatibility.md 6.4). */
const KEY_PREFIX = 'zot/zot/'

let rgw: CephRgw
let s3: S3Client
let bucket: string
let storage: TestStorage
let scratch: string
let data: ZotSubPathsData
let config: Record<string, unknown>
let server: RunningRegistry | undefined

const blobKey = (repository: string, digest: string): string =>
  `${KEY_PREFIX}${repository}/blobs/sha256/${digest.slice('sha256:'.length)}`

/** Uploads the repositories zot wrote under `directory` as zot's S3 driver keeps them. */
async function uploadAsZot(directory: string): Promise<void> {
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name)
    // Its cache database stays local in zot too (under the sub-store's rootDirectory).
    if (!entry.isFile() || entry.name === 'cache.db') continue
    const key = KEY_PREFIX + relative(directory, path)
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await readFile(path) }))
  }
}

beforeAll(async () => {
  rgw = await sharedCephRgw()
  s3 = rawS3Client(rgw)
  bucket = await createTestBucket(rgw, 'subpaths')
  storage = await createTestStorage({ label: 'subpaths-s3', kind: 'local' })
  scratch = await mkdtemp(join(tmpdir(), 'zot-subpaths-s3-'))
  data = await writeZotSubPathsData(storage.rootDirectory, join(scratch, 'zot-wrote-a'))
  await uploadAsZot(data.subRoot)
  config = {
    storage: {
      dedupe: false,
      gc: false,
      subPaths: {
        '/a': {
          rootDirectory: join(scratch, 'a-local'),
          storageDriver: zotS3Params(rgw, bucket),
          redirectBlobURL: true,
        },
      },
    },
  }
  server = await startRegistry({ storage, config })
})

afterAll(async () => {
  await server?.stop()
  await storage?.remove()
  await rm(scratch, { recursive: true, force: true })
  if (rgw) await dropTestBuckets(rgw)
  s3?.destroy()
})

describe('a sub-store on S3 beside a local default store', () => {
  test('the catalog lists both stores and every image is served from its own', async () => {
    expect((await catalogPage(server!.url)).repositories).toEqual([
      'a',
      'a/app',
      'a/team/web',
      'b/tools',
      'library/alpine',
    ])
    for (const image of data.images.values())
      if (image.repository !== 'a/stale') await expectPullable(server!.url, image)
  })

  test("redirectBlobURL is the store's own: blobs of the bucket are redirected, local ones served", async () => {
    const inBucket = data.images.get('a/app:v1')!.blobs[1]!.digest
    const redirected = await fetch(`${server!.url}/v2/a/app/blobs/${inBucket}`, { redirect: 'manual' })
    expect(redirected.status).toBe(307)
    expect(new URL(redirected.headers.get('location')!).origin).toBe(new URL(rgw.endpoint).origin)
    const local = data.images.get('library/alpine:3.19')!.blobs[1]!.digest
    const served = await fetch(`${server!.url}/v2/library/alpine/blobs/${local}`, { redirect: 'manual' })
    expect(served.status).toBe(200)
    await served.arrayBuffer()
  })

  test('a push to a/... lands in the bucket under its full name, nothing on local disk', async () => {
    const pushed = await pushImage(server!.url, 'a/new', 'v1')
    const keys = await listKeys(s3, bucket, `${KEY_PREFIX}a/new/`)
    for (const digest of [pushed.manifestDigest, ...pushed.blobs.map((blob) => blob.digest)])
      expect(keys).toContain(blobKey('a/new', digest))
    expect(await stat(join(storage.rootDirectory, 'a/new')).catch(() => undefined)).toBeUndefined()
    expect(await stat(join(scratch, 'a-local/a/new')).catch(() => undefined)).toBeUndefined()
    await expectPullable(server!.url, pushed)
  })

  test('a mount from the local store into the S3 store asks the client to upload (202)', async () => {
    const layer = data.images.get('library/alpine:3.19')!.blobs[1]!.digest
    const response = await fetch(`${server!.url}/v2/a/new/blobs/uploads/?mount=${layer}&from=library/alpine`, {
      method: 'POST',
    })
    expect(response.status).toBe(202)
    expect(await listKeys(s3, bucket, blobKey('a/new', layer))).toEqual([])
  })

  test('zot scrub checks the repositories in the bucket and quarantines a corrupt one there', async () => {
    await server?.stop()
    server = undefined
    const web = data.images.get('a/team/web:v2')!
    const layer = web.blobs[1]!
    const rotten = new Uint8Array(layer.bytes)
    rotten[0] = rotten[0]! ^ 0xff
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: blobKey('a/team/web', layer.digest), Body: rotten }))
    const configPath = join(scratch, 'config.json')
    const http = { address: '127.0.0.1', port: String(await freePort()) }
    const storageSection = { ...(config.storage as object), rootDirectory: storage.rootDirectory }
    await writeFile(configPath, JSON.stringify({ storage: storageSection, http }))

    const run = await runZot('scrub', configPath, '--json')
    expect(run.code, run.err).toBe(2)
    const { scrubResults } = JSON.parse(run.out) as { scrubResults: { imageName: string; status: string }[] }
    expect(scrubResults.filter((row) => row.status === 'affected').map((row) => row.imageName)).toEqual(['a/team/web'])
    expect(new Set(scrubResults.map((row) => row.imageName))).toContain('a/app')
    const missing = await s3
      .send(new GetObjectCommand({ Bucket: bucket, Key: blobKey('a/team/web', layer.digest) }))
      .then(
        () => false,
        () => true,
      )
    expect(missing).toBe(true)
    expect(await listKeys(s3, bucket, `${KEY_PREFIX}a/team/web/.quarantine/`)).toHaveLength(1)
  })
})
