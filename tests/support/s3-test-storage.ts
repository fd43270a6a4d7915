/**
 * @module
 * The S3 side of storage-under-test.ts: a fresh bucket of the Ceph RGW shared by the whole test
 * process, and the bucket seen behind the registry's back through a plain S3 client.
 */
import {
  DeleteBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import {
  createTestBucket,
  emptyBucket,
  listKeys,
  rawS3Client,
  sharedCephRgw,
  zotS3Params,
} from './counterparts/ceph-rgw'
import { storeOpener, type TestStorage } from './storage-under-test'

/** zot stores `rootdirectory: /zot` under `zot/zot/` (its doubled prefix, docs/zot-compatibility.md 6.4). */
const S3_ROOT_DIRECTORY = '/zot'
const KEY_PREFIX = 'zot/zot/'

export async function s3Storage(label: string, scratch: string, rootDirectory: string): Promise<TestStorage> {
  const rgw = await sharedCephRgw()
  // Removed by `remove()` below, not by dropTestBuckets.
  const bucket = await createTestBucket(rgw, label, false)
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
