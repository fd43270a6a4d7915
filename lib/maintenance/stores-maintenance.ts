/**
 * @module
 * Maintenance of every store of a registry (docs/zot-compatibility.md 6.1, 6.5): the default
 * store and each `subPaths` store get their own GC schedule, retention, dedupe walk and metadata
 * feed, each with that store's settings (a sub-store's `gc`, `gcDelay`, `gcInterval`,
 * `gcTimeWindow`, `retention`, `dedupe`), as zot runs one collector per store. Scrub visits every
 * store. The stores share one task queue, so their tasks still run one at a time.
 */
import type { ScrubConfig, StorageConfig } from '../config'
import type { LogFields, Logger } from '../log/logger'
import type { StorePart } from '../registry/open-store'
import { type Maintenance, startMaintenance } from './maintenance'
import { mergeDedupeReports, mergeGcReports, mergeMetricFamilies, mergeScrubReports } from './reports/merge-reports'
import { reportMisplacedRepositories } from './misplaced-repositories'
import type { StoreMaintenanceOptions } from './options'
import { TaskQueue } from './task-queue'

export interface StoresMaintenanceOptions {
  parts: readonly StorePart[]
  /** The `storage` section: the default store's keys and `subPaths`. */
  storage: StorageConfig
  scrub?: ScrubConfig
  logger: Logger
  signal?: AbortSignal
}

/**
 * The maintenance settings of one store: the top-level keys for the default store (`route`
 * undefined), its `subPaths` entry for a sub-store, which does not inherit the top-level ones.
 */
export function storeSettings(storage: StorageConfig, route: string | undefined): StoreMaintenanceOptions {
  const own = route === undefined ? storage : storage.subPaths?.[route]
  if (!own) throw new Error(`storage.subPaths has no route ${route}`)
  return own
}

/**
 * The `storage` section maintenance runs with after a reload: the stores stay those opened at
 * start (which stores exist, and where, needs a restart), each with the settings `next` gives its
 * route; a route `next` no longer names keeps the settings it started with.
 */
export function reloadedStorage(started: StorageConfig, next: StorageConfig): StorageConfig {
  const subPaths = Object.fromEntries(
    Object.entries(started.subPaths ?? {}).map(([route, store]) => [route, next.subPaths?.[route] ?? store]),
  )
  return { ...next, subPaths }
}

/** `logger` with `fields` on every line: a sub-store's lines name its route. */
function withFields(logger: Logger, fields: LogFields): Logger {
  return {
    get level() {
      return logger.level
    },
    set level(level) {
      logger.level = level
    },
    enabled: (level) => logger.enabled(level),
    writeFailure: () => logger.writeFailure(),
    debug: (message, more) => logger.debug(message, { ...fields, ...more }),
    info: (message, more) => logger.info(message, { ...fields, ...more }),
    warn: (message, more) => logger.warn(message, { ...fields, ...more }),
    error: (message, more) => logger.error(message, { ...fields, ...more }),
  }
}

/** Stores already checked for misplaced repositories: a reload restarts maintenance, not the check. */
const checkedStores = new WeakSet<readonly StorePart[]>()

/** Starts the maintenance of every store; its reports and metrics cover them all. */
export function startStoresMaintenance(options: StoresMaintenanceOptions): Maintenance {
  const { parts, storage, scrub, logger, signal } = options
  const queue = new TaskQueue()
  const started = parts.map((part) =>
    startMaintenance({
      registry: part.registry,
      meta: part.meta,
      logger: part.route === undefined ? logger : withFields(logger, { subPath: part.route }),
      queue,
      ...(signal && { signal }),
      options: {
        storage: { ...storeSettings(storage, part.route), rootDirectory: part.rootDirectory },
        ...(scrub && { scrub }),
      },
    }),
  )
  if (!checkedStores.has(parts)) {
    checkedStores.add(parts)
    // Behind the start-up dedupe walks: it lists the same catalogs.
    void queue
      .run(() => reportMisplacedRepositories(parts, logger))
      .catch((error: unknown) => logger.warn('could not check where repositories are stored', { error }))
  }
  return {
    metrics: () => mergeMetricFamilies(started.map((maintenance) => maintenance.metrics())),
    async runGc(overrides) {
      const reports = await Promise.all(started.map((maintenance) => maintenance.runGc(overrides)))
      return mergeGcReports(
        reports,
        reports.every((report) => report.dryRun),
      )
    },
    async runScrub() {
      return mergeScrubReports(await Promise.all(started.map((maintenance) => maintenance.runScrub())))
    },
    dedupe: Promise.all(started.map((maintenance) => maintenance.dedupe)).then(mergeDedupeReports),
    async stop() {
      await Promise.all(started.map((maintenance) => maintenance.stop()))
    },
  }
}
