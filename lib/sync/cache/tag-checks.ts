/**
 * @module
 * When each cached tag was last confirmed with its upstream, so a tag is revalidated at most once
 * per `manifestCheckInterval`, and a restart (or a new pod on the same S3 bucket) does not send
 * a burst of revalidations to a rate-limited upstream. Kept in memory, written to the registry's
 * state store as one small JSON document (layout.ts's `statePaths.tagChecks`, outside every
 * repository), a moment after changes so a pull burst costs one write.
 */
import type { Logger } from '../../log/logger'
import { statePaths } from '../../registry/layout'
import type { StateStore } from '../../registry/registry'

/** Entries older than this are dropped when the file is written: nobody relies on them. */
const FORGET_AFTER_MS = 30 * 24 * 3600_000

export interface TagChecksOptions {
  logger: Logger
  /** Delay between a change and the write that records it. */
  flushDelay?: number
  now?: () => number
}

export class TagChecks {
  private readonly checks = new Map<string, number>()
  private loaded: Promise<void> | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private writing: Promise<void> = Promise.resolve()
  private dirty = false
  private readonly now: () => number

  constructor(
    private readonly state: StateStore,
    private readonly options: TagChecksOptions,
  ) {
    this.now = options.now ?? Date.now
  }

  /** Whether the tag was confirmed upstream less than `interval` ms ago. */
  async isFresh(repository: string, tag: string, interval: number): Promise<boolean> {
    await this.load()
    const checked = this.checks.get(checkKey(repository, tag))
    return checked !== undefined && this.now() - checked < interval
  }

  /** Records that the upstream confirmed the tag just now. */
  mark(repository: string, tag: string): void {
    this.checks.set(checkKey(repository, tag), this.now())
    this.dirty = true
    this.timer ??= setTimeout(() => void this.flush(), this.options.flushDelay ?? 1000)
    this.timer.unref?.()
  }

  /** Writes pending changes now (also on shutdown). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    if (!this.dirty) return this.writing
    this.dirty = false
    // Entries written by an earlier run must survive this write.
    await this.load()
    const cutoff = this.now() - FORGET_AFTER_MS
    for (const [k, at] of this.checks) if (at < cutoff) this.checks.delete(k)
    const content = JSON.stringify({ version: 1, checks: Object.fromEntries(this.checks) })
    this.writing = this.writing
      .then(() => this.state.write(statePaths.tagChecks, content))
      .catch((error: unknown) => this.options.logger.warn('sync: cannot record tag checks', { error }))
    await this.writing
  }

  private load(): Promise<void> {
    this.loaded ??= this.read()
    return this.loaded
  }

  private async read(): Promise<void> {
    try {
      // Missing is normal on first start.
      const stored = await this.state.read(statePaths.tagChecks)
      if (!stored) return
      const parsed = JSON.parse(new TextDecoder().decode(stored)) as {
        checks?: Record<string, unknown>
      }
      for (const [k, at] of Object.entries(parsed.checks ?? {})) {
        if (typeof at === 'number' && !this.checks.has(k)) this.checks.set(k, at)
      }
    } catch (error) {
      // Unreadable only costs one revalidation per tag.
      this.options.logger.warn('sync: ignoring unreadable tag checks', {
        path: statePaths.tagChecks,
        error,
      })
    }
  }
}

const checkKey = (repository: string, tag: string): string => `${repository}:${tag}`
