/**
 * @module
 * The S3 storage driver: the `StorageDriver` interface on one bucket, keys laid out as zot lays
 * them out (so zot and we can serve the same bucket). Small objects are single atomic PutObjects,
 * reads stream, uploads are segmented objects (`segmented-object.ts`) assembled server-side when
 * moved, a streamed put is one multipart upload straight to its key (`stream-upload.ts`), and
 * every failure is a PathNotFoundError or a StorageUnavailableError naming the bucket.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { PathNotFoundError, type FileInfo, type StaleTransfer, type StorageDriver } from '../driver'
import { S3Bucket } from './bucket'
import { createS3Client } from './client'
import {
  getContentWithETag,
  putContentIf,
  type ConditionalPutResult,
  type ContentWithETag,
  type PutCondition,
} from './conditional-writes'
import { copyPieces } from './object-copy'
import { readObject, readObjectBytes } from './object-reader'
import { resolveS3Options, type S3DriverOptions } from './options'
import { describeObject, headObject } from './segmented-object'
import { abortStaleMultipartUploads } from './stale-multipart'
import { putStream } from './stream-upload'
import { openUploadWriter } from './upload-writer'

export interface S3Driver extends StorageDriver {
  /** Writes only if the condition holds (compare-and-swap for tags shared by replicas). */
  putContentIf(path: string, data: Uint8Array | string, condition: PutCondition): Promise<ConditionalPutResult>
  /** A small object with the ETag to pass to `putContentIf`. */
  getContentWithETag(path: string): Promise<ContentWithETag>
  /** The capabilities S3 has (see StorageDriver): listings with sizes, multipart uploads to abort. */
  listTree(path: string): Promise<{ path: string; size: number }[]>
  abortStaleTransfers(before: Date): Promise<StaleTransfer[]>
  /** Closes the pooled sockets; the driver is unusable afterwards. */
  destroy(): void
}

/** How long a redirected client has to start its download. */
const PRESIGNED_URL_SECONDS = 20 * 60

export function createS3Driver(options: S3DriverOptions): S3Driver {
  const resolved = resolveS3Options(options)
  const bucket = new S3Bucket(resolved)
  const conditionalBucket = new S3Bucket(resolved, createS3Client(resolved, { maxAttempts: 1 }))

  /** Copies a file; returns its key so a move can delete it. */
  async function copyFile(source: string, destination: string): Promise<string> {
    const object = await describeObject(bucket, source)
    await copyPieces(bucket, object.pieces, bucket.keyOf(destination), source)
    return object.key
  }

  return {
    name: 's3',
    dedupeByPlaceholder: true,

    getContent: (path) => readObjectBytes(bucket, path),

    async putContent(path, data) {
      const key = bucket.keyOf(path)
      await bucket.call('PutObject', path, (s3) =>
        s3.send(
          new PutObjectCommand({
            Bucket: bucket.name,
            Key: key,
            Body: data,
            ...bucket.writeParameters,
          }),
        ),
      )
    },

    read: (path, range) => readObject(bucket, path, range),

    putStream: (path, body) => putStream(bucket, path, body),

    writer: (path, { append }) => openUploadWriter(bucket, path, append),

    async stat(path): Promise<FileInfo> {
      if (path !== '') {
        try {
          const head = await headObject(bucket, path)
          return { path, size: head.size, modifiedAt: head.modifiedAt, isDirectory: false }
        } catch (error) {
          if (!(error instanceof PathNotFoundError)) throw error
        }
      }
      // S3 has no directories: a path is one when some key lies below it.
      for await (const page of bucket.listPages(bucket.directoryPrefix(path), { maxKeys: 1 })) {
        const first = page.Contents?.[0]
        if (first) {
          return { path, size: 0, modifiedAt: first.LastModified ?? new Date(), isDirectory: true }
        }
      }
      throw new PathNotFoundError(path)
    },

    async list(path) {
      const prefix = bucket.directoryPrefix(path)
      const names = new Set<string>()
      for await (const page of bucket.listPages(prefix, { delimiter: '/' })) {
        for (const { Prefix } of page.CommonPrefixes ?? []) {
          if (Prefix) names.add(Prefix.slice(prefix.length, -1))
        }
        for (const { Key } of page.Contents ?? []) {
          if (Key) names.add(Key.slice(prefix.length))
        }
      }
      // A key ending in '/' (a "folder" created by some S3 consoles) yields an empty name.
      names.delete('')
      return [...names]
    },

    async listTree(path) {
      const prefix = bucket.directoryPrefix(path)
      const files: { path: string; size: number }[] = []
      for await (const page of bucket.listPages(prefix)) {
        for (const { Key, Size } of page.Contents ?? []) {
          if (Key && Key.length > prefix.length) files.push({ path: Key.slice(prefix.length), size: Size ?? 0 })
        }
      }
      return files
    },

    async move(source, destination) {
      if (source === destination) {
        await headObject(bucket, source)
        return
      }
      const sourceKey = await copyFile(source, destination)
      await bucket.deleteTree(sourceKey)
    },

    async copy(source, destination) {
      // S3 has no links: `link` copies too; dedupe's placeholders live above (dedupeByPlaceholder).
      if (source !== destination) await copyFile(source, destination)
    },

    async delete(path) {
      if (path === '') await bucket.deletePrefix(bucket.directoryPrefix(path))
      else await bucket.deleteTree(bucket.keyOf(path))
    },

    /**
     * A presigned GET for `redirectBlobURL`. Blob paths always hold plain objects (uploads are
     * assembled when moved into place, a streamed put completes first), so the client gets exactly
     * the blob's bytes.
     */
    async redirectURL(path) {
      const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner')
      const command = new GetObjectCommand({ Bucket: bucket.name, Key: bucket.keyOf(path) })
      return getSignedUrl(bucket.client, command, { expiresIn: PRESIGNED_URL_SECONDS })
    },

    abortStaleTransfers: (before) => abortStaleMultipartUploads(bucket, before),

    putContentIf: (path, data, condition) => putContentIf(conditionalBucket, path, data, condition),
    getContentWithETag: (path) => getContentWithETag(conditionalBucket, path),

    destroy() {
      bucket.client.destroy()
      conditionalBucket.client.destroy()
    },
  }
}
