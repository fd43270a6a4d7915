/**
 * @module
 * On-demand manifest work against the upstream routes of a repository: fetch by digest, bring a
 * tag up to date, sync a subject's referrers. Tags are checked with HEAD (free on Docker Hub)
 * and only downloaded when new or moved to content the cache lacks; every manifest fetched is
 * stored verbatim and teaches the sizes of its blobs, so serving them needs no upstream HEAD.
 */
import { RegistryError } from '../../errors/registry-error'
import type { Descriptor } from '../../oci/manifest'
import { Lru } from '../../cache/lru'
import { upstreamFailure } from '../routing/upstream-failure'
import type { LocalManifest, ManifestCache, Placement } from './manifest-cache'
import { firstRoute, type Route } from '../routing/route'
import { isSigned } from '../upstream/signatures'
import type { TagChecks } from './tag-checks'
import { isUpstreamError, UpstreamError } from '../upstream/upstream-error'
import type { FetchedManifest } from '../upstream/upstream-source'

/** Not there, or not for us: asking again soon would get the same answer. */
const isDefinite = (error: unknown): boolean =>
  error instanceof RegistryError || isUpstreamError(error, 'not-found') || isUpstreamError(error, 'unauthorized')

export class ManifestSync {
  /** Blob sizes from manifests fetched through us. */
  private readonly blobSizes = new Lru<string, number>(100_000)

  constructor(
    private readonly manifests: ManifestCache,
    private readonly tagChecks: TagChecks,
    /** Told of every manifest fetched and stored, with the route it came from (prefetch). */
    private readonly fetched?: (repository: string, fetched: FetchedManifest, route: Route) => void,
  ) {}

  /** The size of a blob some manifest fetched through the cache declared. */
  blobSize(digest: string): number | undefined {
    return this.blobSizes.get(digest)
  }

  /** A manifest by digest, stored untagged (or as bare content under the index listing it). */
  async byDigest(repository: string, digest: string, routes: Route[], listedByIndex: boolean): Promise<Descriptor> {
    const found = await firstRoute(routes, (route) => this.fetchAllowed(route, digest))
    if (!('value' in found)) {
      throw upstreamFailure('MANIFEST_UNKNOWN', { name: repository, reference: digest }, found.failures)
    }
    return this.store(repository, found.value, found.route, { child: listedByIndex })
  }

  /** Brings a tag up to date and records the check; throws when no route could answer. */
  async byTag(
    repository: string,
    tag: string,
    routes: Route[],
    cached: LocalManifest | undefined,
  ): Promise<Descriptor> {
    const found = await firstRoute(routes, (route) => this.syncTag(repository, tag, route, cached))
    // A definite answer (not there, not for us) counts as a check: a tag pushed here, or gone
    // upstream, is then served without asking again until the interval ends.
    if ('value' in found || found.failures.every(({ error }) => isDefinite(error))) {
      this.tagChecks.mark(repository, tag)
    }
    if ('value' in found) return found.value
    throw upstreamFailure('MANIFEST_UNKNOWN', { name: repository, reference: tag }, found.failures)
  }

  /** Stores the upstream's referrers of a subject that are not cached yet (their blobs lazily). */
  async referrers(repository: string, digest: string, routes: Route[]): Promise<void> {
    const found = await firstRoute(routes, async (route) => ({
      route,
      referrers: await route.upstream.listReferrers(route.remote, digest),
    }))
    if (!('value' in found)) {
      throw upstreamFailure('MANIFEST_UNKNOWN', { name: repository, reference: digest }, found.failures)
    }
    const { route, referrers } = found.value
    for (const referrer of referrers) {
      if ((await this.manifests.lookup(repository, referrer.digest))?.stored) continue
      await this.store(repository, await route.upstream.fetchManifest(route.remote, referrer.digest), route, {})
    }
  }

  /** HEAD when a copy is cached; a GET only for a new tag or one moved to uncached content. */
  private async syncTag(
    repository: string,
    tag: string,
    route: Route,
    cached: LocalManifest | undefined,
  ): Promise<Descriptor> {
    if (!cached) return this.store(repository, await this.fetchAllowed(route, tag), route, { tag })
    const current = await route.upstream.resolveManifest(route.remote, tag)
    if (current.digest === cached.descriptor.digest) return cached.descriptor
    if ((await this.manifests.lookup(repository, current.digest))?.stored) {
      await this.manifests.tag(repository, current, tag)
      return current
    }
    return this.store(repository, await this.fetchAllowed(route, current.digest), route, { tag })
  }

  /** Fetches a manifest unless `onlySigned` rules it out (then the next route is tried). */
  private async fetchAllowed(route: Route, reference: string): Promise<FetchedManifest> {
    const fetched = await route.upstream.fetchManifest(route.remote, reference)
    if (route.registry.onlySigned && !(await isSigned(route, fetched.descriptor.digest))) {
      const message = `${fetched.descriptor.digest} has no signature upstream and onlySigned is set`
      throw new UpstreamError('not-found', message)
    }
    return fetched
  }

  private async store(
    repository: string,
    fetched: FetchedManifest,
    route: Route,
    placement: Placement,
  ): Promise<Descriptor> {
    await this.manifests.store(repository, fetched, placement)
    for (const blob of fetched.info.blobs) this.blobSizes.set(blob.digest, blob.size)
    this.fetched?.(repository, fetched, route)
    return fetched.descriptor
  }
}
