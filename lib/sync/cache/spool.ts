/**
 * @module
 * A spool: one writer appends a download to a temporary file while any number of readers tail
 * it, each at its own pace, from any offset. This is how one upstream fetch feeds N clients and
 * the storage commit at once: nobody waits for the whole blob, and
 * a slow client never slows the download, because the bytes wait on disk, not in memory.
 * The last few MiB appended stay in memory as well (`WINDOW`): readers that keep up with the
 * download (nearly always: a cold pull's own client) take them from there, neither waiting for the
 * disk write nor reading the file back; only a reader that falls behind reads the file.
 *
 * An anonymous spool is unlinked as soon as it is open, so a crash leaves nothing behind. A named
 * spool keeps its file until the last user is done, so that, complete and verified, it can be
 * renamed into storage instead of copied (`path`); one a crash left behind is swept at the next
 * start (`removeStale`): its name carries the PID of the process that writes it. The descriptor
 * closes when the writer and the last reader are done.
 * Readers never see the final byte before the writer declares the content complete (verified):
 * a client can never receive a whole blob whose digest turned out wrong, only a transfer that
 * breaks.
 */
import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { removeStaleFiles } from '../../storage/stale-files'

const READ_CHUNK = 1 << 20
/** Bytes the writer may run ahead of the disk before `append` waits (memory stays bounded). */
const MAX_QUEUED = 4 << 20
/** Recently appended bytes kept in memory for readers that keep up (on disk or still queued). */
const WINDOW = 2 << 20
/** `.zot-sync-<pid>-<uuid>.spool`; without the PID, as versions before it named spools. */
const SPOOL_NAME = /^\.zot-sync-(?:(\d+)-)?[0-9a-f-]{36}\.spool$/

/** Whether a process with this PID runs (EPERM: it does, as another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Directories this process has swept: after the first sweep, spools of its own PID are its own. */
const sweptHere = new Set<string>()

/**
 * A spool no running process can be writing: one of a process that is gone, one without a PID
 * (written by an older version), or, at this process's first sweep of the directory, one of its
 * own PID (nothing here has made a spool yet: the PID belonged to a process before a restart,
 * PID 1 in a container). A later sweep (a config reload) leaves this process's spools alone:
 * fills of the previous configuration may still be writing them.
 */
function isOrphan(name: string, firstSweep: boolean): boolean {
  const match = SPOOL_NAME.exec(name)
  if (!match) return false
  const pid = match[1] === undefined ? undefined : Number(match[1])
  if (pid === undefined) return true
  return pid === process.pid ? firstSweep : !isRunning(pid)
}

export class Spool {
  /** Bytes on disk, readable by tails. */
  private written = 0
  /** Bytes appended, on disk or queued. */
  private appended = 0
  private queue: Uint8Array[] = []
  /** The latest chunks appended, contiguous, the first one starting at `windowStart`. */
  private window: Uint8Array[] = []
  private windowStart = 0
  private windowBytes = 0
  private flushing: Promise<void> | undefined
  private writeError: Error | undefined
  private state: 'filling' | 'complete' | 'failed' = 'filling'
  private failure: Error | undefined
  private references = 1
  private waiters: (() => void)[] = []

  private constructor(
    private readonly handle: FileHandle,
    /** The file's name while it has one (named spools), for renaming it into storage. */
    readonly path: string | undefined,
  ) {}

  /** Creates a spool file in `directory`: anonymous, or `named` to be adopted by storage. */
  static async create(directory: string, options: { named?: boolean } = {}): Promise<Spool> {
    await mkdir(directory, { recursive: true })
    const path = join(directory, `.zot-sync-${process.pid}-${crypto.randomUUID()}.spool`)
    const handle = await open(path, 'w+', 0o600)
    if (options.named) return new Spool(handle, path)
    await unlink(path)
    return new Spool(handle, undefined)
  }

  /**
   * Deletes the spools a process that died (kill -9, a crash, a power cut) left behind, whatever
   * their age. Runs before sync makes any spool; another live process's spools stay.
   */
  static removeStale(directory: string): Promise<void> {
    const firstSweep = !sweptHere.has(directory)
    sweptHere.add(directory)
    return removeStaleFiles(directory, 0, (name) => isOrphan(name, firstSweep))
  }

  /** Bytes appended so far. */
  get size(): number {
    return this.appended
  }

  /**
   * Queues a chunk for the disk. Chunks that arrive while a write is in flight go out together
   * in the next one (one writev instead of one awaited write per network chunk: 2x faster).
   */
  async append(chunk: Uint8Array): Promise<void> {
    if (this.state !== 'filling') throw new Error('spool is closed for writing')
    if (this.writeError) throw this.writeError
    this.queue.push(chunk)
    this.window.push(chunk)
    this.windowBytes += chunk.byteLength
    this.appended += chunk.byteLength
    this.trimWindow()
    this.wake()
    this.flushing ??= this.drain()
    if (this.appended - this.written > MAX_QUEUED) await this.flushing
  }

  /** The content is whole and verified: once it is on disk, readers may have the last byte. */
  async complete(): Promise<void> {
    while (this.flushing) await this.flushing
    if (this.writeError) throw this.writeError
    if (this.state !== 'filling') return
    this.state = 'complete'
    this.wake()
  }

  /** The content is bad or incomplete: every reader's stream errors. */
  fail(error: Error): void {
    if (this.state !== 'filling') return
    this.state = 'failed'
    this.failure = error
    this.wake()
  }

  /** The writer is done with the spool (readers may still be tailing it). */
  release(): void {
    if (--this.references > 0) return
    this.window = []
    void this.handle.close().catch(() => {})
    // Renamed into storage, the name is gone and this finds nothing.
    if (this.path) void unlink(this.path).catch(() => {})
  }

  /**
   * A stream of the whole content, following the writer. `onClose` runs once when the stream
   * ends, fails or is cancelled (its reader is gone). There is no ranged tail: bytes are verified
   * only as a whole, so a range is served from storage after the fill (blob-fills.ts).
   */
  tail(onClose?: () => void): ReadableStream<Uint8Array> {
    this.references++
    let position = 0
    let open = true
    const close = (): void => {
      if (!open) return
      open = false
      this.release()
      onClose?.()
    }
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        for (;;) {
          if (this.state === 'failed') {
            close()
            return controller.error(this.failure)
          }
          const complete = this.state === 'complete'
          const available = complete ? this.appended : this.appended - 1
          if (position < available) {
            if (position < this.windowStart) {
              const chunk = await this.fromDisk(position, Math.min(available, this.windowStart))
              position += chunk.byteLength
              return controller.enqueue(chunk)
            }
            // Several network chunks at once, as they are: Bun's response takes them in one go,
            // which costs less than copying them into one buffer.
            for (const chunk of this.fromWindow(position, available)) {
              position += chunk.byteLength
              controller.enqueue(chunk)
            }
            return
          }
          if (complete) {
            close()
            return controller.close()
          }
          await new Promise<void>((resolve) => this.waiters.push(resolve))
        }
      },
      cancel: () => close(),
    })
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue
        this.queue = []
        this.written += await writeAll(this.handle, batch, this.written)
        this.trimWindow()
      }
    } catch (error) {
      this.writeError = error instanceof Error ? error : new Error(String(error))
    } finally {
      this.flushing = undefined
    }
  }

  /** Up to READ_CHUNK bytes from `position` (inside the window) to `end`, without a read. */
  private fromWindow(position: number, end: number): Uint8Array[] {
    let start = this.windowStart
    let index = 0
    while (start + this.window[index]!.byteLength <= position) start += this.window[index++]!.byteLength
    const parts: Uint8Array[] = []
    let length = 0
    for (; index < this.window.length && start < end && length < READ_CHUNK; index++) {
      const chunk = this.window[index]!
      const part = chunk.subarray(Math.max(0, position - start), Math.min(chunk.byteLength, end - start))
      parts.push(part)
      length += part.byteLength
      start += chunk.byteLength
    }
    return parts
  }

  /** Up to READ_CHUNK bytes from `position` to `end` (both on disk) read from the file. */
  private async fromDisk(position: number, end: number): Promise<Uint8Array> {
    const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK, end - position))
    const { bytesRead } = await this.handle.read(buffer, 0, buffer.byteLength, position)
    if (bytesRead === 0) throw new Error(`spool: nothing to read at byte ${position}`)
    return new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead)
  }

  /** Drops the oldest chunks past WINDOW bytes once they are on disk (readers behind read it). */
  private trimWindow(): void {
    for (;;) {
      const first = this.window[0]
      if (!first || this.windowBytes - first.byteLength < WINDOW) return
      if (this.windowStart + first.byteLength > this.written) return
      this.window.shift()
      this.windowStart += first.byteLength
      this.windowBytes -= first.byteLength
    }
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const resolve of waiters) resolve()
  }
}

/** Writes every buffer at `position`, finishing partial writes; returns the bytes written. */
async function writeAll(handle: FileHandle, buffers: Uint8Array[], position: number): Promise<number> {
  let pending = buffers
  let total = 0
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending, position + total)
    total += bytesWritten
    let skip = bytesWritten
    while (pending.length > 0 && skip >= pending[0]!.byteLength) skip -= pending.shift()!.byteLength
    if (skip > 0) pending = [pending[0]!.subarray(skip), ...pending.slice(1)]
  }
  return total
}
