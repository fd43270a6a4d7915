/**
 * @module
 * The resumable writer behind chunked blob uploads, storing a segmented object (see
 * `segmented-object.ts` for the layout and why it is not an open S3 multipart upload). It holds at
 * most one part in memory: bytes gather in the part buffer, every full buffer becomes a part
 * object, and `close()` writes the remainder as the tail together with the part count, which is
 * the commit point. An appending writer (a later PATCH, possibly on another replica) reloads the
 * tail into its buffer, so small appends merge into full-size parts.
 */
import { GetObjectCommand, type GetObjectCommandOutput, PutObjectCommand } from '@aws-sdk/client-s3'
import { PathNotFoundError, StorageUnavailableError, type FileWriter } from '../driver'
import { chunksOf, discard } from './body'
import type { S3Bucket } from './bucket'
import { copyPieces } from './object-copy'
import { MAX_PARTS } from './options'
import { PartBuffer } from './part-buffer'
import { EMPTY_SEGMENT_STATE, partKey, segmentMetadata, segmentStateOf, type SegmentState } from './segmented-object'

export async function openUploadWriter(bucket: S3Bucket, path: string, append: boolean): Promise<FileWriter> {
  const key = bucket.keyOf(path)
  const buffer = new PartBuffer(bucket.options.chunkSize)
  const state = append ? await resume(bucket, path, key, buffer) : EMPTY_SEGMENT_STATE
  return new UploadWriter(bucket, path, key, state, buffer)
}

/** Loads what the path holds: its part count, and its tail into `buffer`. */
async function resume(bucket: S3Bucket, path: string, key: string, buffer: PartBuffer): Promise<SegmentState> {
  let response: GetObjectCommandOutput
  try {
    response = await bucket.call('GetObject', path, (s3) =>
      s3.send(new GetObjectCommand({ Bucket: bucket.name, Key: key })),
    )
  } catch (error) {
    if (error instanceof PathNotFoundError) return EMPTY_SEGMENT_STATE
    throw error
  }
  const state = segmentStateOf(response.Metadata)
  const tailSize = response.ContentLength ?? 0
  if (tailSize > buffer.capacity) {
    // More than one part (a plain object, or a writer with a larger chunksize): rather than load
    // it, copy it server-side into the next part. It is larger than 5 MiB, so a valid part.
    discard(response.Body)
    await copyPieces(bucket, [{ key, size: tailSize }], partKey(key, state.parts + 1), path)
    return { parts: state.parts + 1, partsBytes: state.partsBytes + tailSize }
  }
  for await (const chunk of chunksOf(response.Body)) buffer.append(chunk)
  if (buffer.size !== tailSize) {
    throw new StorageUnavailableError(`S3 object "${key}" in bucket "${bucket.name}" was cut short while it was read`)
  }
  return state
}

class UploadWriter implements FileWriter {
  private finished = false

  constructor(
    private readonly bucket: S3Bucket,
    private readonly path: string,
    private readonly key: string,
    private state: SegmentState,
    private readonly buffer: PartBuffer,
  ) {}

  /** Set at close: the buffer is released then, and its bytes live on in the tail object. */
  private closedSize: number | undefined

  get size(): number {
    return this.closedSize ?? this.state.partsBytes + this.buffer.size
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.assertOpen()
    let offset = 0
    while (offset < chunk.byteLength) {
      offset += this.buffer.append(chunk.subarray(offset))
      // Flushing as soon as the buffer fills keeps memory at one part, whatever the chunk size.
      if (this.buffer.full) await this.flushPart()
    }
  }

  async close(): Promise<void> {
    this.assertOpen()
    this.closedSize = this.size
    this.finished = true
    const metadata = segmentMetadata(this.state)
    let stored = false
    try {
      await this.bucket.call('PutObject', this.path, (s3) =>
        s3.send(
          new PutObjectCommand({
            Bucket: this.bucket.name,
            Key: this.key,
            Body: this.buffer.bytes(),
            ...(metadata ? { Metadata: metadata } : {}),
            ...this.bucket.writeParameters,
          }),
        ),
      )
      stored = true
    } finally {
      this.buffer.release(stored)
    }
  }

  /** The tail object is the commit point: not rewriting it keeps the content as it was. */
  async abort(): Promise<void> {
    this.finished = true
    this.buffer.release(false)
  }

  async cancel(): Promise<void> {
    this.finished = true
    this.buffer.release(false)
    await this.bucket.deleteTree(this.key)
  }

  private async flushPart(): Promise<void> {
    const number = this.state.parts + 1
    // The last slot is the tail's, when the content is assembled.
    if (number >= MAX_PARTS) {
      throw new StorageUnavailableError(
        `upload "${this.path}" exceeds S3's ${MAX_PARTS} parts of ${this.buffer.capacity} ` +
          'bytes: raise storageDriver.chunksize',
      )
    }
    const bytes = this.buffer.bytes()
    await this.bucket.call('PutObject', this.path, (s3) =>
      s3.send(
        new PutObjectCommand({
          Bucket: this.bucket.name,
          Key: partKey(this.key, number),
          Body: bytes,
          ...this.bucket.writeParameters,
        }),
      ),
    )
    this.state = { parts: number, partsBytes: this.state.partsBytes + bytes.byteLength }
    this.buffer.clear()
  }

  private assertOpen(): void {
    if (this.finished) throw new Error(`writer for "${this.path}" is already closed`)
  }
}
