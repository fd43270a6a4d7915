/**
 * @module
 * zot's `reqConcurrent` and `reqPerSec` per upstream: at most N requests waiting for their
 * response headers, started at most R per second. A slot is released once the headers arrive,
 * not when the body ends: the limits protect the upstream's request budget (Docker Hub counts
 * requests, not bytes), and holding a slot for a multi-GB layer would make a tag check queue
 * behind it for minutes.
 */
export class RequestLimiter {
  private active = 0
  private readonly queue: (() => void)[] = []
  private nextStart = 0

  constructor(
    private readonly concurrency: number,
    private readonly perSecond: number,
  ) {}

  /** Waits for a slot (and the rate); returns its release function. */
  async acquire(): Promise<() => void> {
    if (this.active >= this.concurrency)
      await new Promise<void>((resolve) => this.queue.push(resolve))
    else this.active++
    await this.pace()
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.queue.shift()
      if (next) next()
      else this.active--
    }
  }

  /** Spaces request starts 1/perSecond apart. */
  private async pace(): Promise<void> {
    if (!Number.isFinite(this.perSecond)) return
    const now = Date.now()
    const start = Math.max(now, this.nextStart)
    this.nextStart = start + 1000 / this.perSecond
    if (start > now) await Bun.sleep(start - now)
  }
}
