/**
 * @module
 * Server-side copies: the bytes never pass through the registry. A small plain object is one
 * CopyObject; a large one (above `multipartcopythresholdsize`, and always above S3's 5 GiB
 * CopyObject limit) and a segmented upload are assembled by a multipart upload whose parts are
 * UploadPartCopy requests, run in parallel. The destination appears atomically when the
 * multipart upload completes; on any failure it is aborted. Only a process killed mid-copy leaves
 * one open: GC aborts those once they are older than any copy could take (stale-multipart.ts).
 */
import { CopyObjectCommand, UploadPartCopyCommand } from '@aws-sdk/client-s3'
import { StorageUnavailableError } from '../driver'
import type { S3Bucket } from './bucket'
import { mapWithConcurrency } from './concurrency'
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload } from './multipart-upload'
import { MAX_PART_SIZE, MAX_PARTS } from './options'
import type { Piece } from './segmented-object'

/** A part of the destination: a byte range of one source object (the whole object when absent). */
interface CopyRange {
  key: string
  range?: { start: number; end: number }
}

/** Copies the concatenated `pieces` to `destinationKey`; `sourcePath` names them in errors. */
export async function copyPieces(
  bucket: S3Bucket,
  pieces: Piece[],
  destinationKey: string,
  sourcePath: string,
): Promise<void> {
  const ranges = copyRanges(pieces, bucket.options.multipartCopyThresholdSize, bucket.options.multipartCopyChunkSize)
  const only = ranges[0]
  if (ranges.length === 1 && only && !only.range) {
    await bucket.call('CopyObject', sourcePath, (s3) =>
      s3.send(
        new CopyObjectCommand({
          Bucket: bucket.name,
          Key: destinationKey,
          CopySource: bucket.copySource(only.key),
          // Never carry the source's metadata: an upload tail's must not follow its content.
          MetadataDirective: 'REPLACE',
          ...bucket.writeParameters,
        }),
      ),
    )
    return
  }
  if (ranges.length > MAX_PARTS) {
    throw new StorageUnavailableError(
      `S3 cannot assemble "${destinationKey}" from ${ranges.length} parts ` +
        `(the limit is ${MAX_PARTS}): raise storageDriver.chunksize`,
    )
  }
  await multipartCopy(bucket, ranges, destinationKey, sourcePath)
}

async function multipartCopy(
  bucket: S3Bucket,
  ranges: CopyRange[],
  destinationKey: string,
  sourcePath: string,
): Promise<void> {
  const target = await createMultipartUpload(bucket, undefined, destinationKey)
  try {
    const etags = await mapWithConcurrency(
      ranges,
      bucket.options.multipartCopyMaxConcurrency,
      async ({ key, range }, index) => {
        const copied = await bucket.call('UploadPartCopy', sourcePath, (s3) =>
          s3.send(
            new UploadPartCopyCommand({
              ...target,
              PartNumber: index + 1,
              CopySource: bucket.copySource(key),
              ...(range ? { CopySourceRange: `bytes=${range.start}-${range.end - 1}` } : {}),
            }),
          ),
        )
        return copied.CopyPartResult?.ETag
      },
    )
    await completeMultipartUpload(bucket, undefined, target, etags)
  } catch (error) {
    await abortMultipartUpload(bucket, undefined, target)
    throw error
  }
}

/**
 * The destination's parts. Pieces of a segmented upload are already valid parts (>= 5 MiB except
 * the tail) and are copied whole; a piece is split only when it is a lone object above the
 * threshold or too big for one part. Splits are even and at least `chunkSize` (>= 5 MiB) long.
 */
function copyRanges(pieces: Piece[], thresholdSize: number, chunkSize: number): CopyRange[] {
  const splitAbove = pieces.length === 1 ? thresholdSize : MAX_PART_SIZE
  return pieces.flatMap(({ key, size }): CopyRange[] => {
    if (size <= splitAbove) return [{ key }]
    const count = Math.min(MAX_PARTS, Math.max(1, Math.floor(size / chunkSize)))
    return Array.from({ length: count }, (_, index) => ({
      key,
      range: {
        start: Math.floor((index * size) / count),
        end: Math.floor(((index + 1) * size) / count),
      },
    }))
  })
}
