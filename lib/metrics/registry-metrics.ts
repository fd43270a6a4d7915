/**
 * @module
 * zot's metric names and labels (docs/zot-compatibility.md 7.3), so existing dashboards keep working, plus
 * the process metrics Prometheus' default Go collectors give zot users.
 */
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../http/context'
import type { Registry } from '../registry/registry'
import { COMMIT, VERSION } from '../version'
import { Counter, Gauge, Histogram, MetricsRegistry, Summary } from './prometheus'

export interface RegistryMetrics {
  readonly registry: MetricsRegistry
  /**
   * Counts and times every request except scrapes of the metrics path itself. The first call
   * (metrics are enabled) also starts measuring every repository's storage in the background.
   */
  middleware(metricsPath: string): ReturnType<typeof createMiddleware<AppEnv>>
}

const startTime = Date.now() / 1000

/**
 * Label values come from the request, so each is folded into a bounded set: otherwise anyone,
 * anonymous included, could grow memory and scrape size without limit by requesting made-up
 * repository names or methods. A repository is its own label only once it exists (the catalog
 * knows it); every other name, and requests outside a repository, are zot's `N/A`.
 */
const NO_REPOSITORY = 'N/A'
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
const methodLabel = (method: string): string => (METHODS.has(method) ? method : 'OTHER')

/** Bytes of a repository's blobs (manifests included). */
const repositoryBytes = (target: Registry, repository: string): Promise<number> =>
  target.maintenance(repository).storedBytes()

/** How long pushes to a repository are batched before its size is measured again. */
const STORAGE_MEASURE_DELAY_MS = 2000

export function createRegistryMetrics(target: Registry): RegistryMetrics {
  const registry = new MetricsRegistry()
  const requests = registry.register(
    new Counter('zot_http_requests_total', 'Total number of http request in zot', ['method', 'code']),
  )
  const repoLatency = registry.register(
    new Summary('zot_http_repo_latency_seconds', 'Latency of serving HTTP requests', ['repo']),
  )
  const methodLatency = registry.register(
    new Histogram(
      'zot_http_method_latency_seconds',
      'Latency of serving HTTP requests',
      ['method'],
      [0.05, 0.5, 1, 5, 30, 60, 600],
    ),
  )
  const uploads = registry.register(
    new Counter('zot_repo_uploads_total', 'Total number times an image was uploaded', ['repo']),
  )
  const downloads = registry.register(
    new Counter('zot_repo_downloads_total', 'Total number of image downloads', ['repo']),
  )
  registry.register(
    new Gauge('zot_info', 'Information about zot', ['commit', 'binaryType', 'goVersion', 'version'], (g) =>
      g.set({ commit: COMMIT, binaryType: 'bun', goVersion: `bun-${Bun.version}`, version: VERSION }, 0),
    ),
  )
  registry.register(
    new Gauge('process_resident_memory_bytes', 'Resident memory size in bytes', [], (g) =>
      g.set({}, process.memoryUsage().rss),
    ),
  )
  registry.register(
    new Gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds', [], (g) =>
      g.set({}, startTime),
    ),
  )
  registry.register(
    new Gauge('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds', [], (g) => {
      const usage = process.cpuUsage()
      g.set({}, (usage.user + usage.system) / 1e6)
    }),
  )

  const storageBytes = registry.register(new Gauge('zot_repo_storage_bytes', 'Storage used per zot repo', ['repo']))
  const pendingMeasurements = new Map<string, Timer>()
  /** Repositories a push or delete has scheduled a measurement of: fresher than the walk's. */
  const remeasured = new Set<string>()
  const measureLater = (repository: string): void => {
    remeasured.add(repository)
    if (pendingMeasurements.has(repository)) return
    const timer = setTimeout(() => {
      pendingMeasurements.delete(repository)
      void repositoryBytes(target, repository).then(
        (bytes) => storageBytes.set({ repo: repository }, bytes),
        () => {},
      )
    }, STORAGE_MEASURE_DELAY_MS)
    timer.unref()
    pendingMeasurements.set(repository, timer)
  }

  // Every repository once, one at a time, behind the catalog's walk: after a restart the gauge has
  // every repository, not only those pushed to since. Nothing waits for it (readiness neither).
  let walk: Promise<void> | undefined
  const measureAll = async (): Promise<void> => {
    for (const repository of await target.catalog.list()) {
      if (remeasured.has(repository)) continue
      const bytes = await repositoryBytes(target, repository).catch(() => undefined)
      if (bytes !== undefined && !remeasured.has(repository)) storageBytes.set({ repo: repository }, bytes)
    }
  }
  const startMeasuringAll = (): void => {
    // Storage that cannot be walked now is walked again at the next reload (SIGHUP).
    walk ??= measureAll().catch(() => void (walk = undefined))
  }

  target.events.subscribe({
    manifestPushed: (repository, _digest, _tags, origin) => {
      if (origin === 'push') uploads.inc({ repo: repository })
      measureLater(repository)
    },
    manifestDeleted: (repository) => measureLater(repository),
    manifestPulled: (repository) => downloads.inc({ repo: repository }),
  })

  return {
    registry,
    middleware: (metricsPath) => {
      startMeasuringAll()
      return createMiddleware<AppEnv>(async function countRequests(c, next) {
        if (c.req.path === metricsPath) return next()
        const started = performance.now()
        try {
          await next()
        } finally {
          const seconds = (performance.now() - started) / 1000
          const requested = c.get('target')
          const repository = requested && 'repository' in requested ? requested.repository : undefined
          const method = methodLabel(c.req.method)
          requests.inc({ method, code: String(c.res.status) })
          methodLatency.observe({ method }, seconds)
          repoLatency.observe(
            { repo: repository !== undefined && target.catalog.has(repository) ? repository : NO_REPOSITORY },
            seconds,
          )
        }
      })
    },
  }
}
