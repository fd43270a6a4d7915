/**
 * @module
 * Aborting multipart uploads nobody will complete. The driver starts one only inside a request
 * (object-copy.ts assembles uploads and large copies with it) or a pull-through commit
 * (stream-upload.ts writes the blob as it downloads) and aborts it on failure, but a process
 * killed with SIGKILL meanwhile cannot: the upload stays open, its parts are stored and billed,
 * and no listing of the bucket shows it. GC calls this with a cutoff older than any copy still
 * running. A commit lasts as long as its download, which may be longer: an upload begun before the
 * cutoff is stale only when no part of it was uploaded since either (one ListParts each).
 */
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, ListPartsCommand } from '@aws-sdk/client-s3'
import type { StaleTransfer } from '../driver'
import type { S3Bucket } from './bucket'
import { classifyS3Error } from './errors'

/**
 * Where the driver's copies write: blobs, upload parts, quarantined blobs. Only multipart uploads
 * to such keys are ours: without `rootdirectory` the root is the whole bucket, which other tools
 * may share (a backup uploading for hours must not be cut off).
 */
const OWN_DESTINATION = /(^|\/)(blobs|\.uploads|\.quarantine)\//

/** Aborts the driver's multipart uploads under its root begun before `before`. */
export async function abortStaleMultipartUploads(bucket: S3Bucket, before: Date): Promise<StaleTransfer[]> {
  const prefix = bucket.options.keyPrefix
  const aborted: StaleTransfer[] = []
  let keyMarker: string | undefined
  let uploadIdMarker: string | undefined
  do {
    const page = await bucket.call('ListMultipartUploads', undefined, (s3) =>
      s3.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket.name,
          Prefix: prefix,
          ...(keyMarker !== undefined && { KeyMarker: keyMarker }),
          ...(uploadIdMarker !== undefined && { UploadIdMarker: uploadIdMarker }),
        }),
      ),
    )
    for (const upload of page.Uploads ?? []) {
      const { Key, UploadId, Initiated } = upload
      if (!Key || !UploadId || !Initiated || Initiated >= before) continue
      if (!OWN_DESTINATION.test(Key.slice(prefix.length))) continue
      if (await partUploadedSince(bucket, Key, UploadId, before)) continue
      await bucket.call('AbortMultipartUpload', undefined, (s3) =>
        s3.send(new AbortMultipartUploadCommand({ Bucket: bucket.name, Key, UploadId })),
      )
      aborted.push({ path: Key.slice(prefix.length), startedAt: Initiated })
    }
    const more =
      page.IsTruncated === true && (page.NextKeyMarker !== undefined || page.NextUploadIdMarker !== undefined)
    keyMarker = more ? page.NextKeyMarker : undefined
    uploadIdMarker = more ? page.NextUploadIdMarker : undefined
  } while (keyMarker !== undefined || uploadIdMarker !== undefined)
  return aborted
}

/** Whether a part of the upload was uploaded at or after `since` (it is still being written). */
async function partUploadedSince(bucket: S3Bucket, key: string, uploadId: string, since: Date): Promise<boolean> {
  let marker: string | undefined
  do {
    const request = new ListPartsCommand({
      Bucket: bucket.name,
      Key: key,
      UploadId: uploadId,
      ...(marker !== undefined && { PartNumberMarker: marker }),
    })
    const page = await bucket
      .call('ListParts', undefined, (s3) => s3.send(request))
      .catch((error: unknown) => {
        // Completed or aborted since it was listed: nothing to abort.
        if (error instanceof Error && classifyS3Error(error.cause).code === 'NoSuchUpload') return undefined
        throw error
      })
    if (!page) return true
    if (page.Parts?.some((part) => part.LastModified !== undefined && part.LastModified >= since)) return true
    marker = page.IsTruncated ? page.NextPartNumberMarker : undefined
  } while (marker !== undefined)
  return false
}
