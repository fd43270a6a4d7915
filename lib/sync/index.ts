import type { Logger } from '../log/logger'
import { BlobFills } from './cache/blob-fills'
import { CacheBudget } from './cache/budget/cache-budget'
import { MeteredUpstreamSource, type UpstreamMeter } from './cache/budget/metered-upstream'
import { resolveRegistry, type ResolvedRegistry } from './config'
import { loadCredentials, type CredentialLookup } from './upstream/credentials'
import { helperCredentials } from './upstream/credential-helpers'
import { localOnlySync, syncEnabled, type Sync, type SyncOptions } from './sync'
import { hostKey, urlHostKey } from './upstream/hosts'
import { ImageCopier } from './mirror/image-copier'
import { ManifestCache } from './cache/manifest-cache'
import { namespaceRouting } from './routing/ns-parameter'
import { PeriodicSync } from './mirror/periodic'
import { Prefetch } from './cache/prefetch'
import { PullThroughSource } from './cache/pull-through'
import { Router, type SyncEntry } from './routing/router'
import { TagChecks } from './cache/tag-checks'
import { loadUpstreamTls } from './upstream/tls'
import { UpstreamClient } from './upstream/upstream-client'

/** zot drops URLs that point back at this registry when an entry has others to use. */
function withoutOwnUrls(registry: ResolvedRegistry, own: ReadonlySet<string>): ResolvedRegistry {
  if (registry.urls.length < 2) return registry
  const urls = registry.urls.filter((url) => !own.has(urlHostKey(url)))
  return urls.length > 0 ? { ...registry, urls } : registry
}

function upstreamEntry(
  registry: ResolvedRegistry,
  credentials: Promise<CredentialLookup>,
  logger: Logger,
  meter: UpstreamMeter,
): SyncEntry {
  const tls = loadUpstreamTls(registry)
  // The config check refuses a missing certDir; one unreadable now is said once, here, and each
  // request to this upstream fails with it.
  tls.catch((error: unknown) =>
    logger.error('sync: cannot read certDir; requests to this upstream fail until it is fixed', {
      upstream: registry.urls[0],
      error: (error as Error).message,
    }),
  )
  const helper = registry.credentialHelper
  const client = new UpstreamClient({
    registry,
    ...(helper
      ? helperCredentials(helper, registry, logger)
      : { credentials: async (host: string) => (await credentials)(host) }),
    tls,
    logger,
  })
  return { registry, upstream: new MeteredUpstreamSource(client, meter) }
}

/**
 * Builds the sync extension over a registry.
 *
 * @param options.registry the registry whose storage caches upstream content
 * @param options.config zot's `extensions.sync`; absent, `enable: false` or no registries: local only
 * @returns the pull source, middleware and the periodic job's start/stop
 * @example
 * const sync = createSync({ registry, config: syncConfig, logger, ownHosts: ['zot.example.com'] })
 * const middleware = [...sync.middleware, ...auth]
 * const app = createApp({ registry, logger, source: sync.source, middleware })
 * sync.start()
 */
export function createSync(options: SyncOptions): Sync {
  const { registry, config, logger } = options
  if (!syncEnabled(config)) return localOnlySync(registry)
  const credentials = loadCredentials(config.credentialsFile).catch((error: unknown) => {
    logger.error('sync: cannot read credentialsFile; upstreams are asked anonymously', {
      file: config.credentialsFile,
      error,
    })
    return (() => undefined) satisfies CredentialLookup
  })
  const own = new Set((options.ownHosts ?? []).map(hostKey))
  const registries = config.registries.map((entry, index) => withoutOwnUrls(resolveRegistry(entry, index), own))
  const lifetime = new AbortController()
  const signal = options.signal ? AbortSignal.any([options.signal, lifetime.signal]) : lifetime.signal
  const budget = new CacheBudget({
    registry,
    stores: options.stores ?? [],
    maxBytes: config.cacheMaxBytes,
    lowWatermark: config.cacheLowWatermark,
    minFreeBytes: config.cacheMinFreeBytes,
    spoolDirectory: config.downloadDir,
    logger,
    signal,
  })
  const entries = registries.map((entry) => upstreamEntry(entry, credentials, logger, budget.counters))
  const fills = new BlobFills({
    registry,
    spoolDirectory: config.downloadDir,
    logger,
    signal,
  })
  const manifests = new ManifestCache(registry, budget)
  const tagChecks = new TagChecks(registry.state, { logger })
  const prefetch: Prefetch = new Prefetch({
    registry,
    fills,
    budget,
    logger,
    signal,
    fetchChild: (repository, digest, routes): Promise<void> => source.fetchIndexChild(repository, digest, routes),
  })
  const source: PullThroughSource = new PullThroughSource({
    registry,
    router: new Router(entries),
    fills,
    manifests,
    tagChecks,
    logger,
    budget,
    prefetch,
  })
  const periodic = new PeriodicSync({
    entries,
    copier: new ImageCopier({ registry, fills, manifests }),
    logger,
    signal,
  })
  return {
    source,
    middleware: [namespaceRouting({ registries, ownHosts: own })],
    start: () => {
      periodic.start()
      budget.start()
    },
    metrics: () => budget.metrics(),
    stop: async () => {
      lifetime.abort()
      // Prefetch first: its jobs stop waiting for their fills, which are then cancelled unwaited.
      await prefetch.settled()
      await Promise.all([periodic.finished(), fills.settled(), budget.stop()])
      await tagChecks.flush()
    },
  }
}
