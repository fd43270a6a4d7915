/**
 * @module
 * Compare-and-swap on small objects, so replicas sharing a bucket never lose a tag update: a
 * writer reads the object with its ETag, and writes back only if it is unchanged (`If-Match`), or
 * creates it only if absent (`If-None-Match: *`). A server without conditional writes ignores the
 * headers, and then the last writer wins (a concurrent tag update can be lost).
 *
 * Requests go through a client that never retries: a retried conditional write that had in fact
 * succeeded would report a lost race. Ceph RGW answers a losing concurrent writer 500 instead of
 * 412 (and AWS may answer 409), so such an answer is settled by re-reading the object.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { PathNotFoundError, StorageUnavailableError } from '../driver'
import type { S3Bucket } from './bucket'
import { classifyS3Error } from './errors'
import { segmentStateOf } from './segmented-object'

export type PutCondition = { ifNoneMatch: '*' } | { ifMatch: string }

export interface ConditionalPutResult {
  /** False when the condition did not hold: another writer got there first. */
  written: boolean
  /** The new ETag, when written. */
  etag?: string
}

export interface ContentWithETag {
  data: Uint8Array
  /** Unquoted. */
  etag: string
}

/** Ceph RGW matches `If-Match` only against the bare ETag, which AWS accepts as well. */
const unquote = (etag: string | undefined): string => (etag ?? '').replace(/^(W\/)?"(.*)"$/, '$2')

export async function getContentWithETag(bucket: S3Bucket, path: string): Promise<ContentWithETag> {
  const response = await bucket.call('GetObject', path, (s3) =>
    s3.send(new GetObjectCommand({ Bucket: bucket.name, Key: bucket.keyOf(path) })),
  )
  if (segmentStateOf(response.Metadata).parts > 0 || !response.Body) {
    throw new StorageUnavailableError(
      `S3 object "${path}" in bucket "${bucket.name}" is an unfinished upload, not a small object`,
    )
  }
  return { data: await response.Body.transformToByteArray(), etag: unquote(response.ETag) }
}

export async function putContentIf(
  bucket: S3Bucket,
  path: string,
  content: Uint8Array | string,
  condition: PutCondition,
): Promise<ConditionalPutResult> {
  const data = typeof content === 'string' ? new TextEncoder().encode(content) : content
  const outcome = await bucket.call('PutObject', path, async (s3) => {
    try {
      const put = await s3.send(
        new PutObjectCommand({
          Bucket: bucket.name,
          Key: bucket.keyOf(path),
          Body: data,
          ...bucket.writeParameters,
          ...('ifMatch' in condition ? { IfMatch: unquote(condition.ifMatch) } : { IfNoneMatch: '*' }),
        }),
      )
      return { written: true, etag: unquote(put.ETag) } as const
    } catch (error) {
      const failure = classifyS3Error(error)
      // If-Match on a missing object answers 404: the object it was read from is gone.
      if (failure.kind === 'precondition' || failure.kind === 'not-found') {
        return { written: false } as const
      }
      if (failure.status === 409 || (failure.status ?? 0) >= 500) {
        return { unsettled: error } as const
      }
      throw error
    }
  })
  return 'unsettled' in outcome ? settle(bucket, path, data, outcome.unsettled) : outcome
}

/** After an ambiguous answer: the write happened iff the object now holds exactly our bytes. */
async function settle(bucket: S3Bucket, path: string, data: Uint8Array, cause: unknown): Promise<ConditionalPutResult> {
  try {
    const current = await getContentWithETag(bucket, path)
    return Buffer.from(current.data).equals(data) ? { written: true, etag: current.etag } : { written: false }
  } catch (error) {
    if (error instanceof PathNotFoundError) {
      throw new StorageUnavailableError(
        `S3 conditional PutObject of "${path}" on bucket "${bucket.name}" failed and wrote nothing`,
        { cause },
      )
    }
    throw error
  }
}
