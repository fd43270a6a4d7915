/**
 * @module
 * Builds the registry from the configuration in two parts. The runtime (storage, registry,
 * metrics) lives as long as the process; the app (middleware, auth, routes) is rebuilt from a
 * reloaded configuration and swapped in without dropping connections.
 */
import { hostname } from 'node:os'
import type { Hono, MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import { setupAuth } from '../auth/setup'
import type { Config } from '../config'
import { createApp } from '../http/app'
import type { AppEnv } from '../http/context'
import { healthRoutes } from '../http/health'
import { rateLimit } from '../http/middleware/rate-limit'
import { repositoryQuota } from '../http/middleware/repository-quota'
import { requestLog } from '../http/middleware/request-log'
import { eventContext } from '../events/event-context'
import { startEvents, type Events } from '../events/events'
import { mandatoryAnnotationsLint } from '../lint/mandatory-annotations'
import { createLogger, type Logger } from '../log/logger'
import type { Maintenance } from '../maintenance'
import { reloadedStorage, startStoresMaintenance } from '../maintenance/stores-maintenance'
import type { MetaStore } from '../meta'
import { createRegistryMetrics, type RegistryMetrics } from '../metrics/registry-metrics'
import { openStore } from '../registry/open-store'
import { subPathOf } from '../registry/sub-paths/routed-registry'
import { extensionEndpoints } from './extension-endpoints'
import type { Registry } from '../registry/registry'
import type { Sync } from '../sync/sync'
import { loadSync } from '../sync/load'
import { createSearchRuntime, type SearchRuntime } from '../search/runtime'
import { searchEnabled } from '../search/enabled'
import { uiEnabled } from '../ui/enabled'

/** What survives a configuration reload. */
export interface Runtime {
  registry: Registry
  /** Counters keep counting across reloads. */
  metrics: RegistryMetrics
  /** Push and pull times (retention), blob locations (dedupe) of the default store. */
  meta: MetaStore
  /** Online GC, retention, scrub and the dedupe walk (replaced on reload). */
  readonly maintenance: Maintenance
  /** The pull-through cache and mirror (replaced on reload). */
  readonly sync: Sync
  /** Search's index, stars and bookmarks: it follows every change from the start. */
  readonly search: SearchRuntime
  /** Change notifications to the configured sinks (replaced on reload). */
  readonly events: Events
  /** Restarts sync and maintenance with a reloaded configuration. */
  reconfigure(config: Config): Promise<void>
  /** Stops background work and closes the store. */
  close(): Promise<void>
}

/** What queued events get to reach their sinks when the server stops. */
const EVENTS_DRAIN_MS = 5_000

/** The names this registry is reached by, so a sync URL or `?ns=` naming itself means itself. */
function ownHosts(config: Config): string[] {
  const { address, port, externalUrl } = config.http
  const hosts = [`${address}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `${hostname()}:${port}`]
  if (externalUrl) hosts.push(new URL(externalUrl).host)
  return hosts
}

/** `signal` is the server's shutdown: aborting it cancels every background job at once. */
export async function createRuntime(config: Config, logger: Logger, signal?: AbortSignal): Promise<Runtime> {
  const store = await openStore(config.storage)
  const { registry, meta, parts } = store
  const metrics = createRegistryMetrics(registry)
  const search = createSearchRuntime({ registry, metas: parts.map((part) => part.meta), logger })
  // GC and retention raise no registry event: what they forget reaches the search index this way.
  const maintained = search.observe(parts)
  // Started even with gc off: it records the push and pull times retention decides by. One per
  // store (subPaths), each with its own settings.
  const maintain = (next: Config) =>
    startStoresMaintenance({
      parts: maintained,
      storage: reloadedStorage(config.storage, next.storage),
      logger,
      ...(signal && { signal }),
      ...(next.extensions?.scrub && { scrub: next.extensions.scrub }),
    })
  const synchronise = async (next: Config) => {
    const sync = await loadSync({
      registry,
      config: next.extensions?.sync,
      logger,
      ownHosts: ownHosts(next),
      // The observed metadata stores: what the cache budget evicts reaches search's index.
      stores: maintained,
      signal,
    })
    sync.start()
    return sync
  }
  const notify = (next: Config) => startEvents({ config: next.extensions?.events, registry, logger })
  const runtime: Runtime = {
    registry,
    metrics,
    meta,
    maintenance: maintain(config),
    sync: await synchronise(config),
    search,
    events: notify(config),
    async reconfigure(next) {
      await Promise.all([runtime.maintenance.stop(), runtime.sync.stop(), runtime.events.stop()])
      Object.assign(runtime, { maintenance: maintain(next), sync: await synchronise(next), events: notify(next) })
    },
    async close() {
      // Queued events get the few seconds background work is given at shutdown.
      const delivery = AbortSignal.timeout(EVENTS_DRAIN_MS)
      await Promise.all([runtime.maintenance.stop(), runtime.sync.stop(), runtime.events.stop(delivery)])
      search.close()
      await store.close()
    },
  }
  metrics.registry.registerCollector(() => runtime.maintenance.metrics())
  metrics.registry.registerCollector(() => runtime.events.metrics())
  metrics.registry.registerCollector(() => runtime.sync.metrics())
  return runtime
}

/** The audit logger; a path it cannot append to stops start-up (or a reload) with the fix. */
function openAuditLog(path: string): Logger {
  try {
    return createLogger({ level: 'info', output: path, label: 'audit log' })
  } catch (error) {
    throw new Error(
      `log.audit ${path}: ${(error as Error).message}; fix: create its directory and make it writable by the user zot runs as`,
    )
  }
}

const throwIf = (failure: Error | undefined, message: string): void => {
  if (failure) throw new Error(message)
}

const EXPOSED_HEADERS = [
  'Docker-Content-Digest',
  'Docker-Distribution-API-Version',
  'Location',
  'Range',
  'Link',
  'OCI-Subject',
]

/** The HTTP application for a configuration over a runtime. */
export async function buildApp(config: Config, runtime: Runtime, logger: Logger): Promise<Hono<AppEnv>> {
  const { registry, metrics, sync } = runtime
  const metricsConfig = config.extensions?.metrics
  const metricsPath = metricsConfig?.enable ? metricsConfig.prometheus.path : undefined
  const audit = config.log.audit ? openAuditLog(config.log.audit) : undefined
  const lintConfig = config.extensions?.lint
  const lint = lintConfig?.enable
    ? mandatoryAnnotationsLint(lintConfig.mandatoryAnnotations, (refused) => runtime.events.lintFailed(refused))
    : undefined
  const auth = await setupAuth({
    ...(config.http.auth && { auth: config.http.auth }),
    ...(config.http.accessControl && { accessControl: config.http.accessControl }),
    realm: config.http.realm,
    ...(config.http.externalUrl && { externalUrl: config.http.externalUrl }),
    tls: Boolean(config.http.tls?.cert),
    clientCertificates: Boolean(config.http.tls?.cert && config.http.tls.key && config.http.tls.cacert),
    state: registry.state,
    tagExists: (repository, tag) => registry.tagExists(repository, tag),
    logger,
    ui: uiEnabled(config),
  })

  // Logging and metrics first, so refused requests are logged and counted too.
  const middleware: MiddlewareHandler<AppEnv>[] = [requestLog({ logger, ...(audit && { audit }) })]
  if (metricsPath) middleware.push(metrics.middleware(metricsPath))
  // Before authentication: password guesses count against the rate too.
  const limiter = config.http.ratelimit && rateLimit(config.http.ratelimit)
  if (limiter) middleware.push(limiter)
  const origins = config.http.allowOrigin
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
  if (origins.length > 0) middleware.push(cors({ origin: origins, exposeHeaders: EXPOSED_HEADERS }))
  // Sync's `?ns=` routing rewrites the repository name: authorization must see the local name.
  middleware.push(...sync.middleware, ...auth.middleware)
  if (config.storage.maxRepos > 0) middleware.push(repositoryQuota(config.storage.maxRepos, registry.catalog))
  // Events name who made a change: the principal is known once authentication ran.
  if (config.extensions?.events?.enable) middleware.push(eventContext())
  // The search API and the UI are imported only when on: graphql, the resolvers and the pages are
  // megabytes of RSS a registry without them never pays (tests/server/lazy-modules.test.ts).
  const search = searchEnabled(config)
    ? (await import('../search/mount')).searchFor(config, runtime.search, auth)
    : undefined
  if (search) middleware.push(search.middleware)
  const ui = uiEnabled(config) ? await import('../ui') : undefined

  const app = createApp({
    registry,
    source: sync.source,
    logger,
    middleware,
    readable: auth.readable,
    // zot reads the setting of the repository's store (subPaths).
    redirectBlobs: (repository) => (subPathOf(config.storage.subPaths, repository) ?? config.storage).redirectBlobURL,
    extensions: extensionEndpoints(config),
    ...(lint && { lintManifest: lint }),
    routes: (routes) => {
      healthRoutes(routes, {
        ready: {
          storage: () => registry.checkStorage(),
          // Lines that cannot reach their file go to stderr; readiness says so until they can.
          log: async () => throwIf(logger.writeFailure(), 'log.output writes are failing'),
          'audit-log': async () => throwIf(audit?.writeFailure(), 'log.audit writes are failing'),
        },
      })
      auth.routes(routes)
      search?.routes(routes)
      if (metricsPath) {
        routes.use(metricsPath, auth.metricsGuard)
        routes.get(
          metricsPath,
          () => new Response(metrics.registry.render(), { headers: { 'Content-Type': 'text/plain; version=0.0.4' } }),
        )
      }
      ui?.mountUi(routes, { config, auth, registry, loopback: async (request) => app.fetch(request) })
    },
  })
  return app
}

/** Runtime and app in one call (tests, and the first start of `serve`). */
export async function assemble(config: Config, logger: Logger): Promise<{ app: Hono<AppEnv>; runtime: Runtime }> {
  const runtime = await createRuntime(config, logger)
  return { app: await buildApp(config, runtime, logger), runtime }
}
