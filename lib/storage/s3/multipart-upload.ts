/**
 * @module
 * The three calls that frame every multipart upload: create (with its upload id), complete (the
 * parts' ETags in order) and abort. A stream written to its key (stream-upload.ts) fills the parts
 * with UploadPart, a server-side copy (object-copy.ts) with UploadPartCopy; both complete or abort
 * through here, so an upload never stays open by a path that forgot one of them.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
} from '@aws-sdk/client-s3'
import { StorageUnavailableError } from '../driver'
import type { S3Bucket } from './bucket'

/** What names an open multipart upload in every call about it. */
export interface MultipartTarget {
  Bucket: string
  Key: string
  UploadId: string
}

/** Opens a multipart upload to `key`; `path` names the object in errors (undefined: the bucket). */
export async function createMultipartUpload(
  bucket: S3Bucket,
  path: string | undefined,
  key: string,
): Promise<MultipartTarget> {
  const created = await bucket.call('CreateMultipartUpload', path, (s3) =>
    s3.send(new CreateMultipartUploadCommand({ Bucket: bucket.name, Key: key, ...bucket.writeParameters })),
  )
  if (!created.UploadId) {
    throw new StorageUnavailableError(`S3 CreateMultipartUpload on bucket "${bucket.name}" returned no upload id`)
  }
  return { Bucket: bucket.name, Key: key, UploadId: created.UploadId }
}

/** Completes the upload from its parts' ETags, part 1 first: the object appears whole, at once. */
export async function completeMultipartUpload(
  bucket: S3Bucket,
  path: string | undefined,
  target: MultipartTarget,
  etags: readonly (string | undefined)[],
): Promise<void> {
  await bucket.call('CompleteMultipartUpload', path, (s3) =>
    s3.send(
      new CompleteMultipartUploadCommand({
        ...target,
        MultipartUpload: { Parts: etags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })) },
      }),
    ),
  )
}

/** Aborts the upload; a failure is ignored (GC's stale-multipart sweep aborts what is left). */
export async function abortMultipartUpload(
  bucket: S3Bucket,
  path: string | undefined,
  target: MultipartTarget,
): Promise<void> {
  await bucket
    .call('AbortMultipartUpload', path, (s3) => s3.send(new AbortMultipartUploadCommand(target)))
    .catch(() => {})
}
