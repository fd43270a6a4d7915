/**
 * @module
 * zot's `reqConcurrent` and `reqPerSec` per upstream: at most N requests waiting for their
 * response headers, started at most R per second. A slot is released once the headers arrive,
 * not when the body ends: the limits protect the upstream's request budget (Docker Hub counts
 * requests, not bytes), and holding a slot for a multi-GB layer would make a tag check queue
 * behind it for minutes.
 */
import { setTimeout as sleep } from 'node:timers/promises'

export class RequestLimiter {
  private active = 0
  private readonly queue: (() => void)[] = []
  private nextStart = 0

  constructor(
    private readonly concurrency: number,
    private readonly perSecond: number,
  ) {}

  /**
   * Waits for a slot (and the rate); returns its release function. Rejects with the signal's
   * reason once `signal` is aborted, leaving the queue (a stopping job must not wait its turn).
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.active >= this.concurrency) await this.queued(signal)
    else this.active++
    let released = false
    const release = (): void => {
      if (released) return
      released = true
      const next = this.queue.shift()
      if (next) next()
      else this.active--
    }
    try {
      await this.pace(signal)
    } catch (error) {
      release()
      throw error
    }
    return release
  }

  /** Waits until a released slot is handed over, or leaves the queue when `signal` aborts. */
  private queued(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      signal?.throwIfAborted()
      const handOver = (): void => {
        signal?.removeEventListener('abort', leave)
        resolve()
      }
      const leave = (): void => {
        this.queue.splice(this.queue.indexOf(handOver), 1)
        reject(signal?.reason)
      }
      this.queue.push(handOver)
      signal?.addEventListener('abort', leave, { once: true })
    })
  }

  /** Spaces request starts 1/perSecond apart. */
  private async pace(signal: AbortSignal | undefined): Promise<void> {
    if (!Number.isFinite(this.perSecond)) return
    const now = Date.now()
    const start = Math.max(now, this.nextStart)
    this.nextStart = start + 1000 / this.perSecond
    if (start > now) await sleep(start - now, undefined, { signal })
  }
}
