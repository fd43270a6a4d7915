/**
 * @module
 * The local-disk storage driver. Every replacement is write-to-temp then rename, so a crash at any
 * moment leaves either the old or the new file, never a half-written one; with `commit: true`
 * (zot's `storage.commit`) files and their directories are also fsynced before a write counts.
 */
import { closeSync, constants, fstatSync, ftruncateSync, fsyncSync, openSync, promises as fs } from 'node:fs'
import { dirname, join } from 'node:path'
import {
  assertSafePath,
  PathNotFoundError,
  StorageUnavailableError,
  type Content,
  type FileInfo,
  type FileWriter,
  type StorageDriver,
} from './driver'
import { removeStaleFiles } from './stale-files'

export interface LocalDriverOptions {
  /** Absolute or relative directory all paths are resolved under. */
  rootDirectory: string
  /** fsync every write (zot's `storage.commit`): slower, survives power loss, not only crashes. */
  commit: boolean
}

const isErrno = (error: unknown, code: string): boolean =>
  error instanceof Error && (error as NodeJS.ErrnoException).code === code

/** What a client is told for each filesystem failure that makes storage unavailable. */
const UNAVAILABLE_REASONS: Record<string, string> = {
  ENOSPC: 'the storage is full',
  EDQUOT: 'the storage quota is exhausted',
  EIO: 'the storage had an I/O error',
  EROFS: 'the storage is read-only',
  EACCES: 'the storage refused access',
  EPERM: 'the storage refused access',
}

/** Maps a filesystem error to the driver's error vocabulary. */
function translate(error: unknown, path: string): Error {
  if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return new PathNotFoundError(path)
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined
  const reason = code === undefined ? undefined : UNAVAILABLE_REASONS[code]
  if (reason !== undefined) {
    return new StorageUnavailableError(`local storage: ${(error as Error).message}`, { cause: error, reason })
  }
  return error instanceof Error ? error : new Error(String(error))
}

/**
 * Files being written live in one directory under the root, not beside their target: a crash
 * then never leaves a half-written file where readers look (a `*.tmp` in `blobs/sha256/` would
 * confuse zot's GC and scrub and any OCI tool). Same filesystem, so the final rename is atomic.
 * The name starts with a dot, which no repository name can.
 */
export const TEMPORARY_DIRECTORY = '.tmp'
/** Temporaries older than this at start-up belong to a process that died. */
const STALE_TEMPORARY_MS = 60 * 60 * 1000

let temporarySequence = 0

export function createLocalDriver(options: LocalDriverOptions): StorageDriver {
  const root = options.rootDirectory
  const durable = options.commit

  const resolve = (path: string): string => {
    assertSafePath(path)
    return path === '' ? root : join(root, path)
  }

  const temporaryDirectory = join(root, TEMPORARY_DIRECTORY)
  let temporaryDirectoryReady: Promise<unknown> | undefined
  async function temporaryName(): Promise<string> {
    temporaryDirectoryReady ??= fs.mkdir(temporaryDirectory, { recursive: true })
    await temporaryDirectoryReady
    return join(temporaryDirectory, `${process.pid}.${++temporarySequence}.${crypto.randomUUID().slice(0, 8)}.tmp`)
  }
  void removeStaleFiles(temporaryDirectory, STALE_TEMPORARY_MS)

  /** fsyncs a file or a directory when writes must be durable. */
  async function syncPath(path: string): Promise<void> {
    if (!durable) return
    const handle = await fs.open(path, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  }

  /** Renames into place, creating the parent directory when needed. */
  async function renameInto(from: string, to: string): Promise<void> {
    try {
      await fs.rename(from, to)
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error
      await fs.mkdir(dirname(to), { recursive: true })
      await fs.rename(from, to)
    }
    await syncPath(dirname(to))
  }

  /**
   * A temporary holding `data`, and its size; one that cannot be written whole (a full disk, a body
   * that errors) is removed.
   */
  async function writeTemporary(
    data: Uint8Array | string | ReadableStream<Uint8Array>,
  ): Promise<{ temporary: string; size: number }> {
    const temporary = await temporaryName()
    let size = 0
    try {
      const handle = await fs.open(temporary, 'w', 0o600)
      try {
        // writeFile writes from the current position and finishes partial writes.
        for await (const chunk of data instanceof ReadableStream ? data : [data]) {
          await handle.writeFile(chunk)
          size += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength
        }
        if (durable) await handle.sync()
      } finally {
        await handle.close()
      }
    } catch (error) {
      await fs.rm(temporary, { force: true })
      throw error
    }
    return { temporary, size }
  }

  /** Writes `data` to a temporary and renames it over `path`. */
  async function replace(path: string, data: Uint8Array | string | ReadableStream<Uint8Array>): Promise<number> {
    const target = resolve(path)
    try {
      const { temporary, size } = await writeTemporary(data)
      // A rename that fails (no room for a new directory entry) must not leave the temporary.
      await renameInto(temporary, target).catch(async (error: unknown) => {
        await fs.rm(temporary, { force: true })
        throw error
      })
      return size
    } catch (error) {
      throw translate(error, path)
    }
  }

  return {
    name: 'local',

    async getContent(path) {
      try {
        return new Uint8Array(await fs.readFile(resolve(path)))
      } catch (error) {
        throw translate(error, path)
      }
    },

    async putContent(path, data) {
      await replace(path, data)
    },

    putStream: replace,

    async read(path, range): Promise<Content> {
      const target = resolve(path)
      let size: number
      try {
        const info = await fs.stat(target)
        if (info.isDirectory()) throw new PathNotFoundError(path)
        size = info.size
      } catch (error) {
        throw translate(error, path)
      }
      // A BunFile is a lazy Blob: Bun.serve sends it with sendfile(2), never through memory.
      const file = Bun.file(target)
      if (!range) return file
      const end = range.length === undefined ? size : Math.min(size, range.offset + range.length)
      return file.slice(range.offset, end)
    },

    async writer(path, { append }) {
      const target = resolve(path)
      try {
        await fs.mkdir(dirname(target), { recursive: true })
        const fd = openSync(target, append ? 'a' : 'w', 0o600)
        return localFileWriter(fd, target, path, durable)
      } catch (error) {
        throw translate(error, path)
      }
    },

    async stat(path): Promise<FileInfo> {
      try {
        const info = await fs.stat(resolve(path))
        return { path, size: info.size, modifiedAt: info.mtime, isDirectory: info.isDirectory() }
      } catch (error) {
        throw translate(error, path)
      }
    },

    async list(path) {
      try {
        return await fs.readdir(resolve(path))
      } catch (error) {
        if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return []
        throw translate(error, path)
      }
    },

    async move(source, destination) {
      try {
        await renameInto(resolve(source), resolve(destination))
      } catch (error) {
        throw translate(error, source)
      }
    },

    async adopt(file, path) {
      try {
        await syncPath(file)
        await renameInto(file, resolve(path))
        return true
      } catch (error) {
        if (isErrno(error, 'EXDEV')) return false
        throw translate(error, path)
      }
    },

    async copy(source, destination, copyOptions) {
      const from = resolve(source)
      const to = resolve(destination)
      const temporary = await temporaryName()
      try {
        let linked = false
        if (copyOptions?.link) {
          // A hard link shares the inode: blobs are immutable, so sharing is safe (zot's dedupe).
          linked = await fs.link(from, temporary).then(
            () => true,
            () => false,
          )
        }
        if (!linked) await fs.copyFile(from, temporary, constants.COPYFILE_FICLONE)
        await renameInto(temporary, to)
      } catch (error) {
        await fs.rm(temporary, { force: true })
        throw translate(error, source)
      }
    },

    async delete(path) {
      try {
        await fs.rm(resolve(path), { recursive: true, force: true })
      } catch (error) {
        throw translate(error, path)
      }
    },
  }
}

/**
 * Writes through Bun's FileSink, which batches chunks into large write(2) calls: several times the
 * throughput of one awaited FileHandle.write per chunk (docs/performance.md).
 */
function localFileWriter(fd: number, target: string, path: string, durable: boolean): FileWriter {
  let size = fstatSync(fd).size
  const openedSize = size
  const sink = Bun.file(fd).writer({ highWaterMark: 1 << 20 })
  let closed = false
  /** The final flush failed (a full disk): the descriptor is gone, but `abort` must still undo. */
  let closeFailed = false
  const release = async (): Promise<void> => {
    if (closed) return
    closed = true
    try {
      // Buffered chunks reach the disk only here: a full disk often shows first at this flush.
      await sink.end()
      if (durable) fsyncSync(fd)
    } catch (error) {
      closeFailed = true
      throw translate(error, path)
    } finally {
      closeSync(fd)
    }
  }
  return {
    get size() {
      return size
    },
    async write(chunk) {
      try {
        const pending = sink.write(chunk) as number | Promise<number>
        if (pending instanceof Promise) await pending
      } catch (error) {
        throw translate(error, path)
      }
      size += chunk.byteLength
    },
    close: release,
    async abort() {
      if (closeFailed) {
        // Part of the flush may have landed before the disk filled: cut the file back by name.
        closeFailed = false
        size = openedSize
        return fs.truncate(target, openedSize).catch((error: unknown) => {
          throw translate(error, path)
        })
      }
      if (closed) return
      closed = true
      try {
        // Flushed first, so no buffered chunk lands after the truncation.
        await Promise.resolve(sink.end()).catch(() => {})
        ftruncateSync(fd, openedSize)
        size = openedSize
        if (durable) fsyncSync(fd)
      } catch (error) {
        throw translate(error, path)
      } finally {
        closeSync(fd)
      }
    },
    async cancel() {
      await release().catch(() => {})
      await fs.rm(target, { force: true }).catch((error: unknown) => {
        throw translate(error, path)
      })
    },
  }
}
