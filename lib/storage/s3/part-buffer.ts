/**
 * @module
 * The one part an upload writer holds in memory. Part-sized buffers are recycled through a small
 * pool: every PATCH opens a new writer, and allocating (and dropping) a fresh multi-MiB buffer per
 * request leaves the garbage collector behind, letting RSS balloon far past what is live.
 */

/** Idle buffers kept per part size: enough for steady sequential traffic, little memory at rest. */
const POOL_LIMIT = 2
const idle = new Map<number, Uint8Array[]>()

export class PartBuffer {
  private storage: Uint8Array | undefined
  private length = 0

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.length
  }

  get full(): boolean {
    return this.length >= this.capacity
  }

  /** Copies as much of `bytes` as fits; returns how many bytes were taken. */
  append(bytes: Uint8Array): number {
    const taken = Math.min(bytes.byteLength, this.capacity - this.length)
    if (taken === 0) return 0
    this.storage ??= idle.get(this.capacity)?.pop() ?? new Uint8Array(this.capacity)
    this.storage.set(bytes.subarray(0, taken), this.length)
    this.length += taken
    return taken
  }

  /** The buffered bytes (a view, valid until the next append, clear or release). */
  bytes(): Uint8Array {
    return this.storage?.subarray(0, this.length) ?? new Uint8Array(0)
  }

  clear(): void {
    this.length = 0
  }

  /**
   * Empties the buffer and hands its storage back to the pool. Not `reusable` after a failed
   * request: the HTTP client may not be done with the bytes yet.
   */
  release(reusable = true): void {
    this.length = 0
    if (!this.storage || !reusable) {
      this.storage = undefined
      return
    }
    const pool = idle.get(this.capacity) ?? []
    if (pool.length < POOL_LIMIT) pool.push(this.storage)
    idle.set(this.capacity, pool)
    this.storage = undefined
  }
}
