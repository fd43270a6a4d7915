/**
 * @module
 * When each cached tag was last confirmed with its upstream, so a tag is revalidated at most once
 * per `manifestCheckInterval`, and a restart (or a new pod on the same S3 bucket) does not send
 * a burst of revalidations to a rate-limited upstream. Kept in memory, written through the
 * storage driver as one small JSON file (`.sync/tag-checks.json`, outside every repository: the
 * catalog skips names that start with a dot), a moment after changes so a pull burst costs one
 * write.
 */
import type { Logger } from '../log/logger'
import { PathNotFoundError, type StorageDriver } from '../storage/driver'

export const TAG_CHECKS_PATH = '.sync/tag-checks.json'

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
    private readonly driver: StorageDriver,
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
      .then(() => this.driver.putContent(TAG_CHECKS_PATH, content))
      .catch((error: unknown) =>
        this.options.logger.warn('sync: cannot record tag checks', { error }),
      )
    await this.writing
  }

  private load(): Promise<void> {
    this.loaded ??= this.read()
    return this.loaded
  }

  private async read(): Promise<void> {
    try {
      const parsed = JSON.parse(
        new TextDecoder().decode(await this.driver.getContent(TAG_CHECKS_PATH)),
      ) as { checks?: Record<string, unknown> }
      for (const [k, at] of Object.entries(parsed.checks ?? {})) {
        if (typeof at === 'number' && !this.checks.has(k)) this.checks.set(k, at)
      }
    } catch (error) {
      // Missing is normal on first start; unreadable only costs one revalidation per tag.
      if (!(error instanceof PathNotFoundError))
        this.options.logger.warn('sync: ignoring unreadable tag checks', {
          path: TAG_CHECKS_PATH,
          error,
        })
    }
  }
}

const checkKey = (repository: string, tag: string): string => `${repository}:${tag}`
