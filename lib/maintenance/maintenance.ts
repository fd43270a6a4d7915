/**
 * @module
 * Background maintenance for `serve`: the metadata feed, GC every `gcInterval` (inside
 * `gcTimeWindow`, with zot's random start jitter of up to 30s), scrub every
 * `extensions.scrub.interval`, and the start-up dedupe or restore walk. Tasks run one at a time
 * (a GC never overlaps a scrub or another GC): the machine's I/O goes to clients first.
 * The server's shutdown signal, like `stop()`, cancels the schedule and the running task.
 */
import type { ScrubConfig } from '../config'
import type { Logger } from '../log/logger'
import type { MetaStore } from '../meta/meta-store'
import { recordRegistryEvents } from '../meta/record-events'
import type { Registry } from '../registry/registry'
import { RecentActivity } from './gc/activity'
import { reconcileDedupe, type DedupeReport } from './dedupe'
import { collectGarbage } from './gc/gc'
import { emptyReport, type GcReport } from './gc/gc-report'
import { MaintenanceMetrics, type MetricFamily } from './reports/metrics'
import { resolveGcSettings, type StoreMaintenanceOptions } from './options'
import { scrubStorage, type ScrubReport } from './scrub/scrub'
import { TaskQueue } from './task-queue'
import { delayUntilOpen, parseTimeWindow, type TimeWindow } from './gc/time-window'

export interface MaintenanceOptions {
  /** The store's `storage` keys. */
  storage: StoreMaintenanceOptions
  /** `extensions.scrub`; absent or `enable: false` means no periodic scrub. */
  scrub?: ScrubConfig
  /** Upper bound of the random delay before the first GC (zot: 30s). */
  maxStartJitter?: number
}

export interface StartMaintenanceOptions {
  registry: Registry
  meta: MetaStore
  options: MaintenanceOptions
  logger: Logger
  /** The server's shutdown: once aborted, nothing more is scheduled and the running task ends. */
  signal?: AbortSignal
  /** Shared by the maintenance of every store (subPaths), so their tasks never overlap. */
  queue?: TaskQueue
}

export interface Maintenance {
  /** GC and scrub metrics for the Prometheus endpoint. */
  metrics(): MetricFamily[]
  /** Queues a GC pass now and resolves with its report. */
  runGc(overrides?: { dryRun?: boolean }): Promise<GcReport>
  /** Queues a scrub now and resolves with its report. */
  runScrub(): Promise<ScrubReport>
  /** The start-up dedupe or restore walk. */
  readonly dedupe: Promise<DedupeReport>
  /** Stops the timers, aborts the running task between repositories and waits for it. */
  stop(): Promise<void>
}

const ZOT_MAX_START_JITTER_MS = 30_000

/**
 * Starts maintenance for one store. It subscribes the metadata store to the registry's events
 * (do not subscribe it elsewhere) and the GC's activity tracker.
 *
 * @example
 * const options = { storage: config.storage, scrub: config.extensions?.scrub }
 * const maintenance = startMaintenance({ registry, meta, logger, options })
 * // on shutdown: await maintenance.stop(); meta.close()
 */
export function startMaintenance({
  registry,
  meta,
  options,
  logger,
  signal: shutdown,
  queue = new TaskQueue(),
}: StartMaintenanceOptions): Maintenance {
  const settings = resolveGcSettings(options.storage)
  const { gcTimeWindow } = options.storage
  const window: TimeWindow | undefined = gcTimeWindow ? parseTimeWindow(gcTimeWindow) : undefined
  const metrics = new MaintenanceMetrics()
  const activity = new RecentActivity()
  const abort = new AbortController()
  const signal = shutdown ? AbortSignal.any([shutdown, abort.signal]) : abort.signal
  const graceSince = Date.now()
  const { gcInterval } = options.storage
  const unsubscribe = [activity.follow(registry.events), recordRegistryEvents(registry.events, meta, logger)]
  // Storage that compares-and-swaps is shared by replicas (a bucket): every replica, GC on or
  // off, publishes the blobs it answered for, so GC on any replica spares them.
  if (registry.state.conditional) {
    const onError = (error: unknown) => logger.warn('gc activity not published', { module: 'gc', error })
    unsubscribe.push(activity.share(registry.state, settings.gcDelay, onError))
  }
  const timers = new Set<Timer>()
  signal.addEventListener(
    'abort',
    () => {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
    },
    { once: true },
  )
  const enqueue = <T>(task: () => Promise<T>): Promise<T> => queue.run(task)

  function later(ms: number, task: () => void): void {
    if (signal.aborted) return
    const timer = setTimeout(() => {
      timers.delete(timer)
      task()
    }, ms)
    timer.unref()
    timers.add(timer)
  }

  const runGc = (overrides: { dryRun?: boolean } = {}): Promise<GcReport> =>
    enqueue(async () => {
      const gcSettings = overrides.dryRun ? { ...settings, dryRun: true } : settings
      try {
        const context = { registry, logger, meta, activity, graceSince, signal }
        const report = await collectGarbage(context, gcSettings)
        metrics.recordGc(report, false)
        logger.info('gc pass done', { module: 'gc', ...report, decisions: report.decisions.length })
        return report
      } catch (error) {
        metrics.recordGc(emptyReport(gcSettings.dryRun, Date.now()), true)
        logger.error('gc pass failed', { module: 'gc', error })
        throw error
      }
    })

  const runScrub = (): Promise<ScrubReport> =>
    enqueue(async () => {
      const report = await scrubStorage({ registry, logger, signal })
      metrics.recordScrub(report)
      return report
    })

  function scheduleGc(delay: number): void {
    later(delay + (window ? delayUntilOpen(window, Date.now() + delay) : 0), () => {
      void runGc()
        .catch(() => {})
        .finally(() => scheduleGc(gcInterval))
    })
  }

  function scheduleScrub(interval: number): void {
    later(interval, () => {
      void runScrub()
        .catch((error: unknown) => logger.error('scrub failed', { module: 'scrub', error }))
        .finally(() => scheduleScrub(interval))
    })
  }

  if (options.storage.gc && gcInterval > 0) {
    scheduleGc(Math.random() * Math.min(options.maxStartJitter ?? ZOT_MAX_START_JITTER_MS, gcInterval))
  }
  const scrub = options.scrub
  if (scrub?.enable) scheduleScrub(scrub.interval)
  const { rootDirectory, dedupe: dedupeOn } = options.storage
  const dedupe = enqueue(() => reconcileDedupe({ registry, meta, logger, rootDirectory, signal }, dedupeOn))
  dedupe.catch((error: unknown) => logger.error('dedupe walk failed', { module: 'dedupe', error }))

  return {
    metrics: () => metrics.families(),
    runGc,
    runScrub,
    dedupe,
    async stop() {
      abort.abort()
      for (const stop of unsubscribe) stop()
      await queue.idle()
    },
  }
}
