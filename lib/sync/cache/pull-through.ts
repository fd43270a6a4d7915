/**
 * @module
 * The pull-through cache as a ContentSource: local storage composed with the upstream sources
 * the router picks for a repository. Every rule here answers a zot complaint
 * (docs/zot-compatibility.md 5.2 and 10):
 *
 * - Digests are immutable: a pull by digest that is cached never contacts an upstream.
 * - A tag is revalidated with one HEAD at most once per `manifestCheckInterval`; if the
 *   upstream is down, rate-limited, refusing us or just slow (past `staleAfter`), the cached
 *   manifest is served at once and the check finishes in the background.
 * - A manifest is answered as soon as it arrives; only the manifests and blobs a client asks
 *   for are fetched (one platform of a multi-arch image, not all of them).
 * - Blobs stream to the client while they are stored, one upstream GET however many clients.
 * - tags/list merges the upstream's tags (briefly cached) with the cached ones.
 * - Referrers of a subject are synced when asked for.
 * - With `platforms`, an index child of another platform is not fetched: a 404 says why (zot
 *   rewrites the index without it instead, which changes the index's digest).
 *
 * A request with `?ns=` is served by `forNamespace(scope)`: the same caches and in-flight work,
 * with the routes narrowed to the entry the namespace names.
 */
import { RegistryError } from '../../errors/registry-error'
import type { NamespaceScope } from '../../http/context'
import type { PullSource } from '../../http/pull-source'
import type { Logger } from '../../log/logger'
import { isDigest } from '../../oci/digest'
import type { Descriptor } from '../../oci/manifest'
import type { Content, ContentSource, ManifestBody } from '../../registry/content-source'
import type { Registry } from '../../registry/registry'
import type { BlobFills } from './blob-fills'
import type { CacheBudget } from './budget/cache-budget'
import { ExpiringCache } from '../../cache/expiring-cache'
import { Lru } from '../../cache/lru'
import { platformLabel, platformSpecs, platformWanted } from '../platforms'
import { firstRoute, type Route } from '../routing/route'
import { upstreamFailure, upstreamReasons } from '../routing/upstream-failure'
import type { ManifestCache } from './manifest-cache'
import type { Prefetch } from './prefetch'
import { ManifestSync } from './manifest-sync'
import type { Router } from '../routing/router'
import { SingleFlight } from '../../cache/single-flight'
import type { TagChecks } from './tag-checks'

export interface PullThroughOptions {
  registry: Registry
  router: Router
  fills: BlobFills
  manifests: ManifestCache
  tagChecks: TagChecks
  logger: Logger
  /** Counts hits and misses; decides whether a blob may be cached or is served straight through. */
  budget?: CacheBudget
  /** Told of every manifest fetched on demand; fetches blobs for entries with `prefetch`. */
  prefetch?: Prefetch
  /** How long a pull waits for a tag check before it is served the cached manifest (ms). */
  staleAfter?: number
  /** How long upstream tag lists and referrer syncs are reused (ms). */
  listTtl?: number
}

const isMissing = (error: unknown): boolean =>
  error instanceof RegistryError &&
  (error.code === 'NAME_UNKNOWN' || error.code === 'MANIFEST_UNKNOWN' || error.code === 'BLOB_UNKNOWN')

/**
 * How long a blob GET's size lookup finding nothing in storage spares its read the same question:
 * the two follow each other within one request, and on S3 each miss is a round trip to the bucket
 * (~50 ms of a cold pull's first byte against a busy gateway). A blob stored in between is only
 * fetched once more; the fill finds it stored and keeps what is there.
 */
const MISS_MEMORY_MS = 1000

/** What every view of the cache shares, whatever namespace it is narrowed to. */
interface SharedState {
  flights: SingleFlight<Descriptor>
  upstreamTags: ExpiringCache<string[]>
  referrerSyncs: ExpiringCache<void>
  sync: ManifestSync
  /** `repository@digest` → when storage last said it lacks the blob (statBlob). */
  misses: Lru<string, number>
}

export class PullThroughSource implements PullSource {
  private readonly local: ContentSource
  private readonly flights: SingleFlight<Descriptor>
  private readonly upstreamTags: ExpiringCache<string[]>
  private readonly referrerSyncs: ExpiringCache<void>
  private readonly sync: ManifestSync
  private readonly misses: Lru<string, number>
  private readonly staleAfter: number

  constructor(
    private readonly options: PullThroughOptions,
    private readonly scope?: NamespaceScope,
    shared?: SharedState,
  ) {
    this.local = options.registry
    this.flights = shared?.flights ?? new SingleFlight()
    const { prefetch } = options
    this.sync =
      shared?.sync ??
      new ManifestSync(
        options.manifests,
        options.tagChecks,
        prefetch && ((repository, fetched, route) => prefetch.manifestFetched(repository, fetched, route)),
      )
    this.upstreamTags = shared?.upstreamTags ?? new ExpiringCache(options.listTtl ?? 60_000)
    this.referrerSyncs = shared?.referrerSyncs ?? new ExpiringCache(options.listTtl ?? 60_000)
    this.misses = shared?.misses ?? new Lru(1024)
    this.staleAfter = options.staleAfter ?? 2000
  }

  /** This cache as a `?ns=` request sees it: single flights and caches stay shared. */
  forNamespace(scope: NamespaceScope): ContentSource {
    const { flights, upstreamTags, referrerSyncs, sync, misses } = this
    return new PullThroughSource(this.options, scope, { flights, upstreamTags, referrerSyncs, sync, misses })
  }

  private routes(repository: string): Route[] {
    return this.options.router.routes(repository, this.scope)
  }

  async resolveManifest(repository: string, reference: string): Promise<Descriptor> {
    const { manifests, router, tagChecks } = this.options
    const cached = await manifests.lookup(repository, reference)
    const routes = this.routes(repository)
    if (routes.length === 0) {
      if (cached) return cached.descriptor
      throw router.onDemand
        ? router.noRule(repository, reference, this.scope)
        : new RegistryError('MANIFEST_UNKNOWN', { detail: { name: repository, reference } })
    }
    if (isDigest(reference)) {
      if (cached?.stored) return cached.descriptor
      if (cached) refuseExcludedPlatform(repository, cached.descriptor, routes[0]!)
      return this.flights.run(`${repository}@${reference}`, () =>
        this.sync.byDigest(repository, reference, routes, cached !== undefined),
      )
    }
    const interval = routes[0]!.registry.manifestCheckInterval
    const fresh = cached && (await tagChecks.isFresh(repository, reference, interval))
    if (fresh) return cached.descriptor
    const check = this.flights.run(`${repository}:${reference}`, () =>
      this.sync.byTag(repository, reference, routes, cached),
    )
    return cached ? this.staleIfSlow(check, cached.descriptor, repository, reference) : check
  }

  /**
   * An index child fetched and stored unless it is already (prefetch): through the same single
   * flight as a client's request for it, so the two cost one upstream GET.
   */
  async fetchIndexChild(repository: string, digest: string, routes: Route[]): Promise<void> {
    if ((await this.options.manifests.lookup(repository, digest))?.stored) return
    await this.flights.run(`${repository}@${digest}`, () => this.sync.byDigest(repository, digest, routes, true))
  }

  async openManifest(repository: string, descriptor: Descriptor): Promise<ManifestBody> {
    const { manifests, budget } = this.options
    budget?.read(repository, descriptor.digest)
    try {
      return await this.local.openManifest(repository, descriptor)
    } catch (error) {
      // Held in memory (no room on the disk), or evicted between resolving and reading: then
      // fetched again by its digest.
      if (!isMissing(error) || this.routes(repository).length === 0) throw error
      const held = manifests.held(repository, descriptor.digest)
      if (held) return held
      await this.resolveManifest(repository, descriptor.digest)
      return manifests.held(repository, descriptor.digest) ?? this.local.openManifest(repository, descriptor)
    }
  }

  async statBlob(repository: string, digest: string): Promise<{ size: number } | undefined> {
    // As in openBlob: storage is not asked about a blob a fill is still storing.
    if (!this.options.fills.filling(repository, digest)) {
      const local = await this.local.statBlob(repository, digest)
      if (local) return local
    }
    const routes = this.routes(repository)
    if (routes.length === 0) return undefined
    this.misses.set(`${repository}@${digest}`, Date.now())
    const size = this.options.fills.size(repository, digest) ?? this.sync.blobSize(digest)
    if (size !== undefined) return { size }
    const found = await firstRoute(routes, async (route) => {
      const stat = await route.upstream.statBlob(route.remote, digest)
      if (!stat) throw new RegistryError('BLOB_UNKNOWN', { detail: { digest } })
      return stat
    })
    return 'value' in found ? found.value : undefined
  }

  async openBlob(repository: string, digest: string, range?: { offset: number; length: number }): Promise<Content> {
    const { fills, budget } = this.options
    // Before storage is asked: eviction then waits for the lazy file it hands out to be opened.
    budget?.read(repository, digest)
    // A blob being filled streams from its spool, without a storage request first: on S3 the
    // commit to the bucket runs for a while after the last byte, and a client arriving then (a
    // second pull of a layer, a retry) would wait for the bucket's 404, slow while the commit
    // loads the machine, before being served from the spool anyway.
    if (!range && fills.filling(repository, digest)) {
      const routes = this.routes(repository)
      if (routes.length > 0) {
        if (budget) budget.counters.misses++
        return fills.open(repository, digest, routes)
      }
    }
    // Nor is it asked again right after the size lookup of this GET found nothing (statBlob).
    if (!range && this.missedJustNow(repository, digest)) {
      const routes = this.routes(repository)
      if (routes.length > 0) return this.fromUpstream(repository, digest, routes)
    }
    let content: Content
    try {
      content = await this.local.openBlob(repository, digest, range)
    } catch (error) {
      const routes = isMissing(error) ? this.routes(repository) : []
      if (routes.length === 0) throw error
      return this.fromUpstream(repository, digest, routes, range)
    }
    if (budget) budget.counters.hits++
    return content
  }

  /** Whether storage said it lacks the blob within MISS_MEMORY_MS (each answer is used once). */
  private missedJustNow(repository: string, digest: string): boolean {
    const key = `${repository}@${digest}`
    const missedAt = this.misses.get(key)
    if (missedAt === undefined) return false
    this.misses.delete(key)
    return Date.now() - missedAt < MISS_MEMORY_MS
  }

  /** A blob storage lacks: joins or starts its fill, or streams it straight through (no room). */
  private async fromUpstream(
    repository: string,
    digest: string,
    routes: Route[],
    range?: { offset: number; length: number },
  ): Promise<Content> {
    const { fills, budget } = this.options
    if (budget) budget.counters.misses++
    // A running fill has its room already; a range is served from storage after a fill.
    const starting = budget !== undefined && !range && fills.size(repository, digest) === undefined
    if (starting && !(await budget.admit(repository, digest, this.sync.blobSize(digest)))) {
      return budget.straightThrough(digest, routes)
    }
    return fills.open(repository, digest, routes, range)
  }

  async listTags(repository: string): Promise<string[]> {
    const { router } = this.options
    const local = await this.local
      .listTags(repository)
      .catch((error: unknown) => (isMissing(error) ? undefined : Promise.reject(error)))
    const routes = this.routes(repository)
    if (routes.length === 0) {
      if (local) return local
      throw router.onDemand
        ? router.noRule(repository, undefined, this.scope)
        : new RegistryError('NAME_UNKNOWN', { detail: { name: repository } })
    }
    const upstream = await firstRoute(routes, (route) =>
      this.upstreamTags.get(`${route.registry.index}|${route.remote}`, () => route.upstream.listTags(route.remote)),
    )
    if ('value' in upstream) return [...new Set([...(local ?? []), ...upstream.value])].sort()
    if (local) return local
    throw upstreamFailure('NAME_UNKNOWN', { name: repository }, upstream.failures)
  }

  async listReferrers(repository: string, digest: string, artifactType?: string): Promise<Descriptor[]> {
    const routes = this.routes(repository)
    if (routes.length > 0) {
      await this.referrerSyncs
        .get(`${repository}@${digest}`, () => this.sync.referrers(repository, digest, routes))
        .catch((error: unknown) => {
          this.options.logger.warn('sync: referrers not refreshed; answering from the cache', {
            repository,
            digest,
            error,
          })
        })
    }
    return this.local.listReferrers(repository, digest, artifactType)
  }

  /** The check's answer if it comes within `staleAfter`, else (or on failure) the cached one. */
  private staleIfSlow(
    check: Promise<Descriptor>,
    cached: Descriptor,
    repository: string,
    tag: string,
  ): Promise<Descriptor> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(cached), this.staleAfter)
      check.then(
        (descriptor) => {
          clearTimeout(timer)
          resolve(descriptor)
        },
        (error: unknown) => {
          clearTimeout(timer)
          // The error's own message speaks to a client with nothing cached; here a cached copy
          // is served, so the line carries what the upstreams said instead.
          this.options.logger.warn('sync: tag check failed upstream; served the cached manifest', {
            repository,
            tag,
            upstreams: upstreamReasons(error),
          })
          resolve(cached)
        },
      )
    })
  }
}

/** A child of a cached index whose platform the entry's `platforms` leaves out: 404, saying so. */
function refuseExcludedPlatform(repository: string, child: Descriptor, route: Route): void {
  const { platforms, architectures } = route.registry
  if (platformWanted(child, platformSpecs(route.registry))) return
  throw new RegistryError('MANIFEST_UNKNOWN', {
    detail: {
      description:
        `${platformLabel(child.platform)} is not among the platforms this registry syncs ` +
        `(${[...platforms, ...architectures].join(', ')}); add it to the sync registry's platforms to pull it`,
      name: repository,
      reference: child.digest,
    },
  })
}
