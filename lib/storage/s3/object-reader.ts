/**
 * @module
 * Streaming reads. A plain object is one GetObject whose body, Bun's own fetch stream
 * (fetch-handler.ts), is handed out as it is: a response pipes it to the client natively, with the
 * client's backpressure, and the blob is never buffered. Empty content is an empty Blob, so that
 * callers (dedupe placeholders) tell it apart without reading. The same request reveals a
 * segmented upload through its metadata, which is then read piece by piece with the requested
 * range mapped onto the pieces.
 */
import { GetObjectCommand, type GetObjectCommandOutput } from '@aws-sdk/client-s3'
import { StorageUnavailableError, type Content } from '../driver'
import { markNativeBody } from '../native-body'
import { chunksOf, discard } from './body'
import type { S3Bucket } from './bucket'
import { classifyS3Error } from './errors'
import { describeObject, segmentStateOf, type Piece } from './segmented-object'

/** Streams `length` bytes (all when absent) from `offset`; an offset past the end reads nothing. */
export async function readObject(
  bucket: S3Bucket,
  path: string,
  range?: { offset: number; length?: number },
): Promise<Content> {
  const offset = range?.offset ?? 0
  const end = range?.length === undefined ? Infinity : offset + range.length
  if (end > offset) {
    const response = await getRange(bucket, path, bucket.keyOf(path), offset, end)
    if (response && segmentStateOf(response.Metadata).parts === 0) {
      if (response.ContentLength === 0) {
        discard(response.Body)
        return new Blob([])
      }
      // A length S3 did not state goes the long way, which knows the size.
      if (response.ContentLength !== undefined && response.Body instanceof ReadableStream)
        return markNativeBody(response.Body)
    }
    discard(response?.Body)
  }
  // A segmented upload, an empty range, or a range S3 refused (416: it starts past the end).
  const object = await describeObject(bucket, path)
  const to = Math.min(end, object.size)
  if (to <= offset) return new Blob([])
  return streamOf(readPieces(bucket, path, object.pieces, offset, to))
}

/** The whole content in memory: for small objects (manifests, index.json) only. */
export async function readObjectBytes(bucket: S3Bucket, path: string): Promise<Uint8Array> {
  const response = await getRange(bucket, path, bucket.keyOf(path), 0, Infinity)
  if (response?.Body && segmentStateOf(response.Metadata).parts === 0) {
    return response.Body.transformToByteArray()
  }
  discard(response?.Body)
  return new Uint8Array(await new Response(await readObject(bucket, path)).arrayBuffer())
}

/** GetObject of `[offset, end)`; undefined when S3 answers 416: the range starts past the end. */
async function getRange(
  bucket: S3Bucket,
  path: string,
  key: string,
  offset: number,
  end: number,
): Promise<GetObjectCommandOutput | undefined> {
  const whole = offset === 0 && end === Infinity
  return bucket.call('GetObject', path, async (s3) => {
    try {
      return await s3.send(
        new GetObjectCommand({
          Bucket: bucket.name,
          Key: key,
          ...(whole ? {} : { Range: `bytes=${offset}-${end === Infinity ? '' : end - 1}` }),
        }),
      )
    } catch (error) {
      const failure = classifyS3Error(error)
      if (failure.code === 'InvalidRange' || failure.status === 416) return undefined
      throw error
    }
  })
}

/** Reads `[offset, end)` of the concatenated pieces, one ranged GetObject per piece touched. */
async function* readPieces(
  bucket: S3Bucket,
  path: string,
  pieces: Piece[],
  offset: number,
  end: number,
): AsyncGenerator<Uint8Array> {
  let pieceStart = 0
  for (const piece of pieces) {
    const from = Math.max(offset, pieceStart) - pieceStart
    const to = Math.min(end, pieceStart + piece.size) - pieceStart
    pieceStart += piece.size
    if (from >= to) continue
    const response = await getRange(bucket, path, piece.key, from, to)
    let received = 0
    for await (const chunk of chunksOf(response?.Body)) {
      received += chunk.byteLength
      yield chunk
    }
    // The tail is rewritten by every append: a read racing one must fail, never return a mix.
    if (received !== to - from) {
      throw new StorageUnavailableError(`S3 object "${piece.key}" in bucket "${bucket.name}" changed while it was read`)
    }
  }
}

/** A pull-based web stream over an async iterator: S3 is read only as fast as the client reads. */
function streamOf(chunks: AsyncGenerator<Uint8Array>): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await chunks.next()
      if (done) controller.close()
      else controller.enqueue(value)
    },
    async cancel() {
      await chunks.return(undefined)
    },
  })
}
