/**
 * @module
 * The storage driver: the small interface every backend (local disk, S3) implements, modelled on
 * distribution's `storagedriver.StorageDriver`. Paths are `/`-separated, relative to the driver's
 * root, never start with `/` and never contain `.` or `..` segments (`assertSafePath`). Everything
 * registry-specific (OCI layout, tags, uploads) lives above it, in `lib/registry`.
 *
 * Every driver passes the shared suite in `tests/storage/driver-suite.ts`.
 */

/** Thrown (and only thrown) when a path does not exist. */
export class PathNotFoundError extends Error {
  constructor(readonly path: string) {
    super(`path not found: ${path}`)
    this.name = 'PathNotFoundError'
  }
}

/** Thrown when the backend itself fails (disk full, S3 down); rendered as 503. */
export { StorageUnavailableError } from '../errors/storage-unavailable'

export interface FileInfo {
  path: string
  size: number
  modifiedAt: Date
  isDirectory: boolean
}

/** What `read` hands out: a `Blob` (a file the server can sendfile) or a byte stream. */
export type Content = Blob | ReadableStream<Uint8Array>

/** A resumable writer for one path. What it wrote becomes readable at `close`. */
export interface FileWriter {
  /** Bytes written so far, including those of earlier sessions (append mode). */
  readonly size: number
  write(chunk: Uint8Array): Promise<void>
  /** Makes everything written durable at the path (still to be moved by the caller). */
  close(): Promise<void>
  /** Removes what was written. */
  cancel(): Promise<void>
  /**
   * Closes without keeping anything written through this writer: the path holds what it held
   * when an appending writer was opened (a chunk that broke its declared range is not appended).
   */
  abort(): Promise<void>
}

/** An unfinished transfer `abortStaleTransfers` aborted: the path it was writing, and since when. */
export interface StaleTransfer {
  path: string
  startedAt: Date
}

export interface StorageDriver {
  /** `local` or `s3`; appears in logs and errors. */
  readonly name: string
  /** Small objects (manifests, index.json), read whole. */
  getContent(path: string): Promise<Uint8Array>
  /** Small objects, replaced atomically: readers see the old or the new content, never a mix. */
  putContent(path: string, data: Uint8Array | string): Promise<void>
  /**
   * Streams `length` bytes (all when absent) from `offset`. Empty content is an empty Blob, so a
   * stream always has bytes: callers tell empty content (a dedupe placeholder) without reading.
   */
  read(path: string, range?: { offset: number; length?: number }): Promise<Content>
  /**
   * Writes a body of any size to `path`, atomically as `putContent`: the path shows the new content
   * only once the body has ended, and a body that errors (or any failure) leaves the path as it was
   * and nothing behind. Memory stays at a buffer or two. Returns the size written. For content that
   * needs no reading back before it is whole (a verified pull-through fill); uploads use `writer`.
   */
  putStream(path: string, body: ReadableStream<Uint8Array>): Promise<number>
  /** A writer that appends to what the path holds (`append`) or starts empty. */
  writer(path: string, options: { append: boolean }): Promise<FileWriter>
  stat(path: string): Promise<FileInfo>
  /** Names (not paths) of the direct children of a directory; [] for a missing directory. */
  list(path: string): Promise<string[]>
  /**
   * Every file below a directory, at any depth, with its size (paths relative to it), from
   * listings alone, no stat per file; [] for a missing directory. Backends whose listing carries
   * sizes (S3) have it.
   */
  listTree?(path: string): Promise<{ path: string; size: number }[]>
  /** Moves a file, replacing the destination atomically. */
  move(source: string, destination: string): Promise<void>
  /** Copies a file; `link: true` allows sharing storage with the source (hard link, dedupe). */
  copy(source: string, destination: string, options?: { link?: boolean }): Promise<void>
  /** Deletes a file or a whole directory tree; a missing path is not an error. */
  delete(path: string): Promise<void>
  /**
   * Moves a file of the local filesystem to `path` when the backend keeps its files on the same
   * filesystem (a rename, no copy), made as durable as a write; false when it cannot, and then
   * nothing changed.
   */
  adopt?(file: string, path: string): Promise<boolean>
  /**
   * Set when `copy` with `link` cannot share storage (S3 has no links): dedupe is then zot's
   * placeholder scheme above the driver (lib/registry/storage/placeholders.ts), one object with the
   * content and zero-byte objects standing for it in other repositories.
   */
  readonly dedupeByPlaceholder?: boolean
  /**
   * Aborts the backend's unfinished transfers under the root begun before `before` (an S3
   * multipart upload of a process killed mid-copy: invisible to listings, never completed, billed
   * until aborted); returns what it aborted. Backends without such transfers lack it.
   */
  abortStaleTransfers?(before: Date): Promise<StaleTransfer[]>
  /** A URL a client may fetch the content from directly, when the backend can presign. */
  redirectURL?(path: string): Promise<string | undefined>
  /**
   * Compare-and-swap for storage shared by several processes (S3 replicas): a small object with
   * its version tag, and a write that happens only if the object is still at that version
   * (`ifMatch`) or does not exist yet (`ifNoneMatch: '*'`).
   */
  getContentWithETag?(path: string): Promise<{ data: Uint8Array; etag: string }>
  putContentIf?(
    path: string,
    data: Uint8Array | string,
    condition: { ifNoneMatch: '*' } | { ifMatch: string },
  ): Promise<{ written: boolean }>
}

const SAFE_SEGMENT = /^(?!\.{1,2}$)[^/\0]+$/

/** Rejects absolute paths, empty segments and `.`/`..`, so no path escapes the root. */
export function assertSafePath(path: string): void {
  if (path === '') return
  for (const segment of path.split('/')) {
    if (!SAFE_SEGMENT.test(segment)) throw new Error(`unsafe storage path: ${JSON.stringify(path)}`)
  }
}
