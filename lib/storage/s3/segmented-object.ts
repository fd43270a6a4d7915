/**
 * @module
 * How an upload in progress is stored: a *segmented object*. The resumable writer cannot keep
 * its data in an unfinished S3 multipart upload, because S3 cannot read the parts of one, and the
 * registry must read an unfinished upload: to rebuild the digest when a PATCH lands on another
 * replica or after a restart. Completing the multipart upload at every request instead would
 * re-copy everything written so far on each append (quadratic). So:
 *
 * - full parts (each one writer buffer, >= 5 MiB) are ordinary objects `<key>/.parts/00001`, ...
 * - the object at `<key>` itself holds the pending tail (< one part) and, in its user metadata,
 *   how many parts belong to the content and their total size. Rewriting it is the atomic commit
 *   point of each request: parts beyond its count (a writer that died mid-request) are ignored.
 *
 * Any process can stat (`HEAD <key>`), read (parts then tail) or append to it. Moving it to its
 * content-addressed key assembles the pieces server-side with UploadPartCopy: one copy, which a
 * move costs on S3 anyway, and no multipart upload outlives the request that created it (unless the
 * process is killed during it: GC aborts those, stale-multipart.ts). Deleting
 * the path deletes `<key>` and everything under `<key>/`. An object without the metadata is plain.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3'
import { StorageUnavailableError } from '../driver'
import type { S3Bucket } from './bucket'

/** A byte range source: a whole object. */
export interface Piece {
  key: string
  size: number
}

export interface SegmentState {
  /** Full parts belonging to the content, numbered from 1. */
  parts: number
  /** Their total size. */
  partsBytes: number
}

export interface StoredObject {
  key: string
  /** Content size: parts plus tail. */
  size: number
  modifiedAt: Date
  /** The pieces in content order (for a plain object, the object itself). */
  pieces: Piece[]
}

const PARTS_HEADER = 'zot-bun-parts'
const PARTS_BYTES_HEADER = 'zot-bun-parts-bytes'

export const EMPTY_SEGMENT_STATE: SegmentState = { parts: 0, partsBytes: 0 }

export const partsPrefix = (key: string): string => `${key}/.parts/`
/** Zero-padded so that listing order is part order (S3 allows 10,000 parts). */
export const partKey = (key: string, number: number): string => `${partsPrefix(key)}${String(number).padStart(5, '0')}`

export function segmentStateOf(metadata: Record<string, string> | undefined): SegmentState {
  const parts = Number(metadata?.[PARTS_HEADER] ?? 0)
  const partsBytes = Number(metadata?.[PARTS_BYTES_HEADER] ?? 0)
  return Number.isSafeInteger(parts) && Number.isSafeInteger(partsBytes) && parts > 0
    ? { parts, partsBytes }
    : EMPTY_SEGMENT_STATE
}

/** The metadata of the tail object; none for content that has no parts (a plain object). */
export function segmentMetadata(state: SegmentState): Record<string, string> | undefined {
  return state.parts === 0
    ? undefined
    : { [PARTS_HEADER]: String(state.parts), [PARTS_BYTES_HEADER]: String(state.partsBytes) }
}

export interface ObjectHead {
  key: string
  /** Content size: parts plus tail. */
  size: number
  modifiedAt: Date
  state: SegmentState
  tailSize: number
}

/** Size and time of the object at `path` (one HeadObject); PathNotFoundError when there is none. */
export async function headObject(bucket: S3Bucket, path: string): Promise<ObjectHead> {
  const key = bucket.keyOf(path)
  const head = await bucket.call('HeadObject', path, (s3) =>
    s3.send(new HeadObjectCommand({ Bucket: bucket.name, Key: key })),
  )
  const tailSize = head.ContentLength ?? 0
  const state = segmentStateOf(head.Metadata)
  return {
    key,
    size: state.partsBytes + tailSize,
    modifiedAt: head.LastModified ?? new Date(),
    state,
    tailSize,
  }
}

/** Size, time and pieces of the object at `path`; PathNotFoundError when there is none. */
export async function describeObject(bucket: S3Bucket, path: string): Promise<StoredObject> {
  const head = await headObject(bucket, path)
  const tail = { key: head.key, size: head.tailSize }
  const pieces =
    head.state.parts === 0
      ? [tail]
      : [...(await listParts(bucket, head.key, head.state)), ...(head.tailSize > 0 ? [tail] : [])]
  return { key: head.key, size: head.size, modifiedAt: head.modifiedAt, pieces }
}

/** The parts the tail object's metadata counts (later ones are leftovers of a failed request). */
export async function listParts(bucket: S3Bucket, key: string, state: SegmentState): Promise<Piece[]> {
  const parts: Piece[] = []
  for await (const page of bucket.listPages(partsPrefix(key))) {
    for (const object of page.Contents ?? []) {
      if (object.Key && parts.length < state.parts) {
        parts.push({ key: object.Key, size: object.Size ?? 0 })
      }
    }
    if (parts.length >= state.parts) break
  }
  const listedBytes = parts.reduce((sum, part) => sum + part.size, 0)
  const expected = parts.every((part, index) => part.key === partKey(key, index + 1))
  if (parts.length !== state.parts || listedBytes !== state.partsBytes || !expected) {
    throw new StorageUnavailableError(
      `S3 object "${key}" in bucket "${bucket.name}" is an unfinished upload whose parts ` +
        `are missing (expected ${state.parts} parts of ${state.partsBytes} bytes, ` +
        `found ${parts.length} of ${listedBytes})`,
    )
  }
  return parts
}
