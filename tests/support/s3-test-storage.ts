/**
 * @module
 * The S3 side of storage-under-test.ts: a fresh bucket of the Ceph RGW shared by the whole test
 * process, and the bucket seen behind the registry's back through a plain S3 client.
 */
import {
  AbortMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { createTestBucket, rawS3Client, startCephRgw, zotS3Params, type CephRgw } from './ceph-rgw'
import { storeOpener, type TestStorage } from './storage-under-test'

/** zot stores `rootdirectory: /zot` under `zot/zot/` (its doubled prefix, reference 6.4). */
const S3_ROOT_DIRECTORY = '/zot'
const KEY_PREFIX = 'zot/zot/'
/** DeleteObjects takes at most 1000 keys. */
const DELETE_BATCH = 1000

const RGW_HOLDER = Symbol.for('zot-bun.tests.shared-ceph-rgw')

/**
 * One gateway per test process: bun may evaluate this module once per test file, so the promise
 * lives on globalThis. A failed start stays cached: every later test fails fast with its cause.
 */
function sharedRgw(): Promise<CephRgw> {
  const holder = globalThis as { [RGW_HOLDER]?: Promise<CephRgw> }
  holder[RGW_HOLDER] ??= startCephRgw().then(async (rgw) => {
    await stopWhenThisProcessEnds(rgw)
    return rgw
  })
  return holder[RGW_HOLDER]
}

/**
 * `bun test` emits no 'exit' event (so ceph-rgw.ts's exit hook never runs there) and has no hook
 * after its last file, while the daemons detach and would outlive it holding their memstore RAM.
 * A watchdog in its own session waits for this process to end, however it ends, then kills the
 * cluster's daemons by their pid files and removes its directory.
 */
async function stopWhenThisProcessEnds(rgw: CephRgw): Promise<void> {
  const directory = await clusterDirectoryOf(rgw)
  const script = [
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
    'for pidfile in "$2"/run/*.pid; do [ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")"; done',
    'rm -rf "$2"',
  ].join('\n')
  // No pipes: `bun test | tee` would otherwise wait for the watchdog's end of them.
  const watchdog = Bun.spawn(['setsid', 'sh', '-c', script, 'rgw-watchdog', String(process.pid), directory], {
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'ignore',
  })
  watchdog.unref()
}

/** The temp directory ceph-rgw.ts made for this gateway: the one whose config binds its port. */
async function clusterDirectoryOf(rgw: CephRgw): Promise<string> {
  const binding = `endpoint=127.0.0.1:${new URL(rgw.endpoint).port}\n`
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith('zot-ceph-rgw-')) continue
    const directory = join(tmpdir(), name)
    const config = await readFile(join(directory, 'ceph.conf'), 'utf8').catch(() => '')
    if (config.includes(binding)) return directory
  }
  throw new Error(`no Ceph cluster directory in ${tmpdir()} serves ${rgw.endpoint}`)
}

export async function s3Storage(label: string, scratch: string, rootDirectory: string): Promise<TestStorage> {
  const rgw = await sharedRgw()
  const bucket = await createTestBucket(rgw, label)
  const storageDriver = { ...zotS3Params(rgw, bucket), rootdirectory: S3_ROOT_DIRECTORY }
  const s3 = rawS3Client(rgw)
  // zot refuses dedupe on S3 without a cacheDriver.
  const config = { rootDirectory, dedupe: false, storageDriver }
  const stores = storeOpener(config)
  const keyOf = (path: string) => KEY_PREFIX + path

  const storage: TestStorage = {
    kind: 's3',
    rootDirectory,
    config,
    // As `serve` opens a bucket: shared with other replicas, metadata in the bucket.
    openStore: stores.open,
    async list(prefix = '') {
      const keys = await listKeys(s3, bucket, keyOf(prefix))
      // A prefix names a file or a directory, never the start of a longer name.
      const paths = keys.map((key) => key.slice(KEY_PREFIX.length))
      return paths.filter((path) => !prefix || path === prefix || path.startsWith(`${prefix}/`))
    },
    async read(path) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: keyOf(path) }))
      return object.Body!.transformToByteArray()
    },
    async write(path, data) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keyOf(path), Body: data }))
    },
    async materialize(prefix) {
      const directory = await mkdtemp(join(scratch, 'download-'))
      for (const path of await storage.list(prefix)) {
        const file = join(directory, relative(prefix, path))
        await mkdir(dirname(file), { recursive: true })
        await writeFile(file, await storage.read(path))
      }
      return directory
    },
    async openMultipartUploads() {
      const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
      return (listed.Uploads ?? []).map((upload) => upload.Key!.slice(KEY_PREFIX.length))
    },
    async remove() {
      // First: closing flushes the metadata buffered for the bucket.
      await stores.close()
      // The gateway keeps objects in RAM (memstore) until the process ends: free them now.
      await emptyBucket(s3, bucket)
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }))
      s3.destroy()
      await rm(scratch, { recursive: true, force: true })
    },
  }
  return storage
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = []
  let token: string | undefined
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }))
    keys.push(...(page.Contents ?? []).map((object) => object.Key!))
    token = page.NextContinuationToken
  } while (token)
  return keys.sort()
}

/** Every object and every multipart upload (a SIGKILLed server leaves some open). */
async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  const keys = await listKeys(s3, bucket, '')
  for (let start = 0; start < keys.length; start += DELETE_BATCH) {
    const batch = keys.slice(start, start + DELETE_BATCH).map((Key) => ({ Key }))
    const Delete = { Objects: batch, Quiet: true }
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete }))
  }
  const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
  await Promise.all(
    (uploads.Uploads ?? []).map(({ Key, UploadId }) =>
      s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId })),
    ),
  )
}
