/**
 * @module
 * The sync extension, assembled: upstream clients per registry entry, the router, blob fills,
 * the pull-through ContentSource, the `?ns=` middleware and periodic mirroring. `serve` hands
 * `source` and `middleware` to `createApp` and calls `start`/`stop` with the server.
 */
import type { MiddlewareHandler } from 'hono'
import type { SyncConfig } from '../config'
import type { AppEnv } from '../http/context'
import type { PullSource } from '../http/pull-source'
import type { Logger } from '../log/logger'
import type { Registry } from '../registry/registry'
import { BlobFills } from './cache/blob-fills'
import { resolveRegistry, type ResolvedRegistry } from './config'
import { loadCredentials, type CredentialLookup } from './upstream/credentials'
import { localOnlySync, syncEnabled } from './load'
import { hostKey, urlHostKey } from './upstream/hosts'
import { ImageCopier } from './mirror/image-copier'
import { ManifestCache } from './cache/manifest-cache'
import { namespaceRouting } from './routing/ns-parameter'
import { PeriodicSync } from './mirror/periodic'
import { PullThroughSource } from './cache/pull-through'
import { Router, type SyncEntry } from './routing/router'
import { TagChecks } from './cache/tag-checks'
import { loadUpstreamTls } from './upstream/tls'
import { UpstreamClient } from './upstream/upstream-client'
import { UpstreamSource } from './upstream/upstream-source'

export interface SyncOptions {
  registry: Registry
  /** `extensions.sync` as lib/config decodes it; absent, disabled or without registries: local only. */
  config: SyncConfig | undefined
  logger: Logger
  /** host[:port] names this registry is reached by (externalUrl host, listen address). */
  ownHosts?: readonly string[]
  /**
   * The server's shutdown: aborting it cancels periodic mirroring (retry waits included) and
   * fills nobody waits for, as `stop()` does.
   */
  signal?: AbortSignal
}

export interface Sync {
  /** Serves every pull (narrowed per `?ns=` request); pass to `createApp({ source })`. */
  source: PullSource
  /** The `?ns=` router; run it before authorization, which must see the mapped name. */
  middleware: MiddlewareHandler<AppEnv>[]
  /** Starts periodic mirroring. */
  start(): void
  /**
   * Cancels periodic mirroring and fills nobody waits for, waits for them to end and records
   * pending tag checks. Fills that clients are reading go on until the last of them is gone.
   */
  stop(): Promise<void>
}

/** zot drops URLs that point back at this registry when an entry has others to use. */
function withoutOwnUrls(registry: ResolvedRegistry, own: ReadonlySet<string>): ResolvedRegistry {
  if (registry.urls.length < 2) return registry
  const urls = registry.urls.filter((url) => !own.has(urlHostKey(url)))
  return urls.length > 0 ? { ...registry, urls } : registry
}

function upstreamEntry(registry: ResolvedRegistry, credentials: Promise<CredentialLookup>, logger: Logger): SyncEntry {
  const tls = loadUpstreamTls(registry)
  // The config check refuses a missing certDir; one unreadable now is said once, here, and each
  // request to this upstream fails with it.
  tls.catch((error: unknown) =>
    logger.error('sync: cannot read certDir; requests to this upstream fail until it is fixed', {
      upstream: registry.urls[0],
      error: (error as Error).message,
    }),
  )
  const client = new UpstreamClient({
    registry,
    credentials: async (host) => (await credentials)(host),
    tls,
    logger,
  })
  return { registry, upstream: new UpstreamSource(client) }
}

/** Keys sync accepts but cannot honour yet: say so once, at start. */
function warnUnsupported(config: SyncConfig, logger: Logger): void {
  for (const [index, entry] of config.registries.entries()) {
    if (!entry.credentialHelper) continue
    logger.warn('sync: credentialHelper is not supported; using credentialsFile', {
      registry: index,
      credentialHelper: entry.credentialHelper,
    })
  }
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
  warnUnsupported(config, logger)
  const own = new Set((options.ownHosts ?? []).map(hostKey))
  const registries = config.registries.map((entry, index) => withoutOwnUrls(resolveRegistry(entry, index), own))
  const entries = registries.map((entry) => upstreamEntry(entry, credentials, logger))
  const lifetime = new AbortController()
  const signal = options.signal ? AbortSignal.any([options.signal, lifetime.signal]) : lifetime.signal
  const fills = new BlobFills({
    registry,
    spoolDirectory: config.downloadDir,
    logger,
    signal,
  })
  const manifests = new ManifestCache(registry)
  const tagChecks = new TagChecks(registry.state, { logger })
  const source = new PullThroughSource({
    registry,
    router: new Router(entries),
    fills,
    manifests,
    tagChecks,
    logger,
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
    start: () => periodic.start(),
    stop: async () => {
      lifetime.abort()
      await Promise.all([periodic.finished(), fills.settled()])
      await tagChecks.flush()
    },
  }
}
