/**
 * @module
 * Periodic mirroring (`pollInterval`, docs/zot-compatibility.md 5.4): per registry entry with content
 * rules, list the upstream catalog, keep the repositories a rule covers, filter their tags
 * (regex, excludeRegex, semver) and copy each new or moved tag with its referrers. One run per
 * entry at a time — the next is scheduled when the last ends — and a failed run backs off
 * (doubling from `retryDelay`, or 30 s, up to `pollInterval`). A failing tag is logged and
 * skipped; it does not stop the run. The caller's signal cancels the schedule and the running
 * pass at once, retry waits included (a stop must not wait for a 5 m `retryDelay`).
 *
 * Unlike zot, an upstream without a catalog (Docker Hub, GHCR) is still mirrored: rules whose
 * prefix is a plain repository name (`library/nginx`) are synced by name.
 */
import { RegistryError } from '../../errors/registry-error'
import type { Logger } from '../../log/logger'
import type { ImageCopier } from './image-copier'
import { contentForRemote, localName } from '../routing/name-mapping'
import type { SyncEntry } from '../routing/router'
import { filterTags } from './tag-filter'
import { isUpstreamError } from '../upstream/upstream-error'

const FIRST_BACKOFF_MS = 30_000
const GLOB_META = /[*?[\]{}]/

/** The upstream is down or limiting us: the rest of the run would fail the same way. */
const isUnavailable = (error: unknown): boolean =>
  isUpstreamError(error, 'unavailable') || (error instanceof RegistryError && error.code === 'UNAVAILABLE')

export interface PeriodicSyncOptions {
  entries: readonly SyncEntry[]
  copier: ImageCopier
  logger: Logger
  /** Ends mirroring: nothing more is scheduled and the running passes give up. */
  signal: AbortSignal
}

export interface RunReport {
  repositories: number
  copied: number
  failed: number
}

export class PeriodicSync {
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private readonly running = new Set<Promise<unknown>>()

  constructor(private readonly options: PeriodicSyncOptions) {
    options.signal.addEventListener(
      'abort',
      () => {
        for (const timer of this.timers) clearTimeout(timer)
        this.timers.clear()
      },
      { once: true },
    )
  }

  /** Starts every entry with a poll interval and content rules; the first run starts now. */
  start(): void {
    for (const entry of this.options.entries) {
      if (entry.registry.pollInterval > 0 && entry.registry.content.length > 0) this.schedule(entry, 0, 0)
    }
  }

  /** Resolves once the running passes have ended (soon after the signal is aborted). */
  async finished(): Promise<void> {
    await Promise.allSettled([...this.running])
  }

  /** One pass over an entry's upstream. */
  async runOnce(entry: SyncEntry): Promise<RunReport> {
    const { registry, upstream } = entry
    const { signal } = this.options
    const report: RunReport = { repositories: 0, copied: 0, failed: 0 }
    for (const remote of await this.repositories(entry)) {
      const rule = contentForRemote(registry.content, remote)
      if (!rule) continue
      signal.throwIfAborted()
      report.repositories++
      const route = { registry, upstream, remote }
      const local = localName(rule, remote)
      const tags = await upstream.listTags(remote, signal)
      for (const tag of filterTags(rule, tags)) {
        try {
          if ((await this.options.copier.copyTag(route, local, tag, tags, signal)) === 'copied') report.copied++
        } catch (error) {
          // Cancelled, not failed: the whole pass ends here.
          if (signal.aborted) throw error
          report.failed++
          this.options.logger.warn('sync: periodic copy failed', {
            upstream: upstream.name,
            repository: remote,
            tag,
            error: (error as Error).message,
          })
          if (isUnavailable(error)) throw error
        }
      }
    }
    return report
  }

  /** The catalog, or the plain names among the rules when the upstream has none. */
  private async repositories(entry: SyncEntry): Promise<string[]> {
    try {
      return await entry.upstream.catalog(this.options.signal)
    } catch (error) {
      if (!(error instanceof RegistryError) && !isUpstreamError(error, 'unauthorized')) throw error
      return entry.registry.content
        .map((rule) => rule.prefix.replace(/^\/+|\/+$/g, ''))
        .filter((prefix) => prefix !== '' && !GLOB_META.test(prefix))
    }
  }

  private schedule(entry: SyncEntry, delay: number, backoff: number): void {
    const { signal } = this.options
    if (signal.aborted) return
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      const run = this.runOnce(entry).then(
        (report) => {
          this.options.logger.info('sync: periodic run done', {
            upstream: entry.upstream.name,
            ...report,
          })
          return 0
        },
        (error: unknown) => {
          if (signal.aborted) {
            this.options.logger.debug('sync: periodic run cancelled', {
              upstream: entry.upstream.name,
            })
            return 0
          }
          const next = Math.min(
            backoff === 0 ? entry.registry.retryDelay || FIRST_BACKOFF_MS : backoff * 2,
            entry.registry.pollInterval,
          )
          this.options.logger.warn('sync: periodic run failed', {
            upstream: entry.upstream.name,
            retryIn: next,
            error: (error as Error).message,
          })
          return next
        },
      )
      this.running.add(run)
      void run.then((retry) => {
        this.running.delete(run)
        this.schedule(entry, retry || entry.registry.pollInterval, retry)
      })
    }, delay)
    this.timers.add(timer)
  }
}
