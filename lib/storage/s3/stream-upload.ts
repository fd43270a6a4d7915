/**
 * @module
 * `putStream` on S3: a body of any size written straight to its final key. A body shorter than one
 * part is one PutObject; a longer one is one multipart upload to that key, its parts uploaded as
 * they fill (one part buffered while the previous one is in flight: memory stays at two parts)
 * and completed only once the body has ended. Completion is atomic: the key shows the old content
 * or the new, never a part of it. Anything that fails (the body errors because its bytes did not
 * verify, S3 refuses a part) aborts the upload, so nothing is left behind; only a process killed
 * meanwhile leaves one open, which GC aborts (stale-multipart.ts).
 *
 * Unlike an upload session (segmented-object.ts) nothing of it can be read before it completes:
 * this is for content that needs no reading back (a verified pull-through fill), and saves the
 * part objects, the server-side assembly and the deletes an upload session costs.
 */
import { PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3'
import { StorageUnavailableError } from '../driver'
import type { S3Bucket } from './bucket'
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  type MultipartTarget,
} from './multipart-upload'
import { MAX_PARTS } from './options'
import { PartBuffer } from './part-buffer'

/** Writes `body` to `path` (see the module comment); returns its size. */
export async function putStream(bucket: S3Bucket, path: string, body: ReadableStream<Uint8Array>): Promise<number> {
  const key = bucket.keyOf(path)
  const reader = body.getReader()
  let buffer = new PartBuffer(bucket.options.chunkSize)
  let upload: MultipartUpload | undefined
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      let offset = 0
      while (offset < value.byteLength) {
        offset += buffer.append(value.subarray(offset))
        if (!buffer.full) continue
        upload ??= await MultipartUpload.create(bucket, path, key)
        await upload.send(buffer)
        buffer = new PartBuffer(bucket.options.chunkSize)
      }
    }
    if (!upload) {
      await putObject(bucket, path, key, buffer)
      return size
    }
    if (buffer.size > 0) await upload.send(buffer)
    await upload.complete()
    return size
  } catch (error) {
    await reader.cancel(error).catch(() => {})
    buffer.release(false)
    await upload?.abort()
    throw error
  }
}

async function putObject(bucket: S3Bucket, path: string, key: string, buffer: PartBuffer): Promise<void> {
  let stored = false
  try {
    await bucket.call('PutObject', path, (s3) =>
      s3.send(new PutObjectCommand({ Bucket: bucket.name, Key: key, Body: buffer.bytes(), ...bucket.writeParameters })),
    )
    stored = true
  } finally {
    buffer.release(stored)
  }
}

/** One multipart upload to a key, with at most one part in flight. */
class MultipartUpload {
  private readonly etags: (string | undefined)[] = []
  /** The part in flight; its failure surfaces at the next `send`, at `complete` or at `abort`. */
  private inFlight: Promise<void> = Promise.resolve()

  private constructor(
    private readonly bucket: S3Bucket,
    private readonly path: string,
    private readonly target: MultipartTarget,
  ) {}

  static async create(bucket: S3Bucket, path: string, key: string): Promise<MultipartUpload> {
    return new MultipartUpload(bucket, path, await createMultipartUpload(bucket, path, key))
  }

  /** Waits for the part in flight, then sends `buffer` as the next part (and releases it once sent). */
  async send(buffer: PartBuffer): Promise<void> {
    await this.inFlight
    const number = this.etags.length + 1
    if (number > MAX_PARTS) {
      buffer.release(false)
      throw new StorageUnavailableError(
        `"${this.path}" exceeds S3's ${MAX_PARTS} parts of ${buffer.capacity} bytes: raise storageDriver.chunksize`,
      )
    }
    this.etags.push(undefined)
    this.inFlight = this.uploadPart(number, buffer)
    // Observed by the next send, complete or abort; not an unhandled rejection meanwhile.
    this.inFlight.catch(() => {})
  }

  async complete(): Promise<void> {
    await this.inFlight
    await completeMultipartUpload(this.bucket, this.path, this.target, this.etags)
  }

  /** Aborts once no part is in flight (a part landing after the abort would keep the upload). */
  async abort(): Promise<void> {
    await this.inFlight.catch(() => {})
    await abortMultipartUpload(this.bucket, this.path, this.target)
  }

  private async uploadPart(number: number, buffer: PartBuffer): Promise<void> {
    let sent = false
    try {
      const uploaded = await this.bucket.call('UploadPart', this.path, (s3) =>
        s3.send(new UploadPartCommand({ ...this.target, PartNumber: number, Body: buffer.bytes() })),
      )
      this.etags[number - 1] = uploaded.ETag
      sent = true
    } finally {
      buffer.release(sent)
    }
  }
}
