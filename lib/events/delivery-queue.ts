/**
 * @module
 * One sink's outbox: a bounded queue drained by one worker, so a slow or dead sink never slows a
 * push and never grows memory without bound. Events beyond the bound are dropped (counted);
 * a failed delivery is retried with backoff, then given up (counted). Order is kept per sink.
 */
import type { Logger } from '../log/logger'
import type { CloudEvent } from './cloud-event'

export interface Sink {
  /** For logs and metrics: `http:<url>` or `nats:<address>/<subject>`. */
  readonly name: string
  /** Delivers one event; throws a `SinkError` (retryable or not) when it could not. */
  send(event: CloudEvent, signal: AbortSignal): Promise<void>
  close(): Promise<void>
}

export class SinkError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message)
  }
}

export interface DeliveryStats {
  delivered: number
  failed: number
  dropped: number
  queued: number
}

export interface DeliveryOptions {
  /** Events waiting at most; more are dropped. */
  capacity: number
  /** Attempts per event, the first included. */
  attempts: number
  /** Delay before the first retry; doubles with each. */
  retryDelayMs: number
  /** Bounds one attempt. */
  timeoutMs: number
}

export const DEFAULT_DELIVERY: Omit<DeliveryOptions, 'timeoutMs'> = { capacity: 1_000, attempts: 4, retryDelayMs: 500 }

export class DeliveryQueue {
  private readonly waiting: CloudEvent[] = []
  private draining: Promise<void> | undefined
  private readonly stopping = new AbortController()
  readonly stats: DeliveryStats = { delivered: 0, failed: 0, dropped: 0, queued: 0 }

  constructor(
    readonly sink: Sink,
    private readonly options: DeliveryOptions,
    private readonly logger: Logger,
  ) {}

  enqueue(event: CloudEvent): void {
    if (this.stopping.signal.aborted) return
    if (this.waiting.length >= this.options.capacity) return this.drop()
    this.waiting.push(event)
    this.stats.queued = this.waiting.length
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined
    })
  }

  /** Counts (and now and then logs) an event that could not wait. */
  drop(): void {
    this.stats.dropped++
    if (this.stats.dropped === 1 || this.stats.dropped % 100 === 0) {
      this.logger.warn('event sink is behind; dropping events', { sink: this.sink.name, dropped: this.stats.dropped })
    }
  }

  /** Stops taking events; gives what is queued until `signal` aborts, then closes the sink. */
  async close(signal: AbortSignal): Promise<void> {
    const abandon = () => this.stopping.abort()
    signal.addEventListener('abort', abandon, { once: true })
    await this.draining
    signal.removeEventListener('abort', abandon)
    this.stopping.abort()
    await this.sink.close().catch(() => undefined)
  }

  private async drain(): Promise<void> {
    for (let event = this.waiting.shift(); event; event = this.waiting.shift()) {
      this.stats.queued = this.waiting.length
      if (this.stopping.signal.aborted) return
      await this.deliver(event)
    }
  }

  private async deliver(event: CloudEvent): Promise<void> {
    const { attempts, retryDelayMs, timeoutMs } = this.options
    for (let attempt = 1; ; attempt++) {
      const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(timeoutMs)])
      try {
        await this.sink.send(event, signal)
        this.stats.delivered++
        return
      } catch (error) {
        const retryable = !(error instanceof SinkError) || error.retryable
        if (!retryable || attempt >= attempts || this.stopping.signal.aborted) {
          this.stats.failed++
          this.logger.warn('event delivery failed', {
            sink: this.sink.name,
            type: event.type,
            attempts: attempt,
            error: (error as Error).message,
          })
          return
        }
        await sleep(retryDelayMs * 2 ** (attempt - 1), this.stopping.signal)
      }
    }
  }
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
