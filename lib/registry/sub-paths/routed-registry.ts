/**
 * @module
 * zot's `storage.subPaths` (docs/zot-compatibility.md 6.1): several stores behind one registry,
 * each repository in exactly one of them. The store is chosen by the repository's first path
 * component, as zot's `GetRoutePrefix` does: `a/b/c` goes to the store of route `/a` when there is
 * one, a name without `/` (`a`) and every other name to the default store. The repository keeps
 * its full name inside its store (`<subRoot>/a/b/c`), so a zot data directory is served as-is.
 *
 * Every operation goes to the repository's store; what spans repositories is decided here: the
 * catalog merges the stores' catalogs, a mount between two stores is refused (the client then
 * uploads the blob, as zot answers such a mount with 202), readiness asks every store, and state
 * documents (API keys, sync's tag checks) live in the default store.
 */
import type { Descriptor } from '../../oci/manifest'
import type { Content } from '../../storage/driver'
import type { BlobStat } from '../storage/blob-store'
import type { ContentSource, ManifestBody } from '../content-source'
import type { RegistryEventSource, RegistryListener } from '../events'
import type { PutManifestResult } from '../storage/manifest-store'
import type { Pulls } from '../pulls'
import type { BlobStored, PutBlobOptions, PutManifestOptions, Registry, UploadWriteOptions } from '../registry'
import type { RepositoryMaintenance } from '../maintenance/repository-maintenance'
import { MergedCatalog } from './routed-catalog'
import type { StateStore } from '../storage/state-store'
import type { UploadStatus } from '../storage/upload-store'

/** One store behind the routed registry. */
export interface RoutedStore {
  /** zot's route, `/<first path component>`; undefined for the default store. */
  route: string | undefined
  registry: Registry
}

/**
 * The route a repository name selects: `/` plus its first path component, or undefined for a
 * name without `/`, which always belongs to the default store (zot's `GetRoutePrefix`).
 */
export function routeOf(repository: string): string | undefined {
  const slash = repository.indexOf('/')
  return slash > 0 ? `/${repository.slice(0, slash)}` : undefined
}

/**
 * Routes are compared lower-cased: zot reads its config with viper, which lower-cases map keys,
 * so `/Team` serves `team/...` there (repository names are lower-case).
 */
export const normalizeRoute = (route: string): string => route.toLowerCase()

/**
 * The `subPaths` entry whose store holds `repository`, or undefined for the default store: a
 * store's own settings (`redirectBlobURL`, GC) are looked up by repository with it.
 */
export function subPathOf<T>(subPaths: Readonly<Record<string, T>> | undefined, repository: string): T | undefined {
  const route = routeOf(repository)
  if (route === undefined || subPaths === undefined) return undefined
  const key = Object.keys(subPaths).find((candidate) => normalizeRoute(candidate) === route)
  return key === undefined ? undefined : subPaths[key]
}

/** The registry over a default store and the subPaths stores. */
export class RoutedRegistry implements Registry {
  readonly catalog: MergedCatalog
  readonly events: RegistryEventSource
  readonly state: StateStore
  readonly storageName: string
  readonly adoptsFiles: boolean
  private readonly byRoute: Map<string, RoutedStore>

  constructor(
    private readonly defaultStore: RoutedStore,
    private readonly subStores: readonly RoutedStore[],
  ) {
    this.byRoute = new Map(subStores.map((store) => [normalizeRoute(store.route ?? ''), store]))
    const stores = [defaultStore, ...subStores]
    this.catalog = new MergedCatalog(stores, (repository) => this.storeOf(repository))
    this.events = {
      subscribe: (listener: Partial<RegistryListener>) => {
        const unsubscribers = stores.map((store) => store.registry.events.subscribe(listener))
        return () => {
          for (const unsubscribe of unsubscribers) unsubscribe()
        }
      },
    }
    this.state = defaultStore.registry.state
    this.storageName = [...new Set(stores.map((store) => store.registry.storageName))].join('+')
    // Sync's spool is either renamed into place or streamed; a store that cannot take the
    // rename would need the stream, so streaming is chosen unless every store can.
    this.adoptsFiles = stores.every((store) => store.registry.adoptsFiles)
  }

  /** The store holding `repository`. */
  storeOf(repository: string): RoutedStore {
    const route = routeOf(repository)
    return (route !== undefined && this.byRoute.get(route)) || this.defaultStore
  }

  private of(repository: string): Registry {
    return this.storeOf(repository).registry
  }

  resolveManifest(repository: string, reference: string): Promise<Descriptor> {
    return this.of(repository).resolveManifest(repository, reference)
  }

  openManifest(repository: string, descriptor: Descriptor): Promise<ManifestBody> {
    return this.of(repository).openManifest(repository, descriptor)
  }

  statBlob(repository: string, digest: string): Promise<Pick<BlobStat, 'size'> | undefined> {
    return this.of(repository).statBlob(repository, digest)
  }

  openBlob(repository: string, digest: string, range?: { offset: number; length: number }): Promise<Content> {
    return this.of(repository).openBlob(repository, digest, range)
  }

  listTags(repository: string): Promise<string[]> {
    return this.of(repository).listTags(repository)
  }

  listReferrers(repository: string, digest: string, artifactType?: string): Promise<Descriptor[]> {
    return this.of(repository).listReferrers(repository, digest, artifactType)
  }

  /** Each store raises the pull events of its repositories, so its maintenance sees them. */
  pulls(source: ContentSource): Pulls {
    const pulls = new Map<Registry, Pulls>()
    const of = (repository: string): Pulls => {
      const registry = this.of(repository)
      let found = pulls.get(registry)
      if (!found) pulls.set(registry, (found = registry.pulls(source)))
      return found
    }
    return {
      resolveManifest: (repository, reference) => of(repository).resolveManifest(repository, reference),
      pullManifest: (repository, reference) => of(repository).pullManifest(repository, reference),
      checkBlob: (repository, digest) => of(repository).checkBlob(repository, digest),
      findBlob: (repository, digest) => of(repository).findBlob(repository, digest),
      openBlob: (repository, digest, range) => of(repository).openBlob(repository, digest, range),
      listTags: (repository) => of(repository).listTags(repository),
      listReferrers: (repository, digest, artifactType) =>
        of(repository).listReferrers(repository, digest, artifactType),
    }
  }

  tagExists(repository: string, tag: string): Promise<boolean> {
    return this.of(repository).tagExists(repository, tag)
  }

  hasBlob(repository: string, digest: string): Promise<boolean> {
    return this.of(repository).hasBlob(repository, digest)
  }

  blobRedirectURL(repository: string, digest: string): Promise<string | undefined> {
    return this.of(repository).blobRedirectURL(repository, digest)
  }

  async checkStorage(): Promise<void> {
    await Promise.all([this.defaultStore, ...this.subStores].map((store) => store.registry.checkStorage()))
  }

  putManifest(
    repository: string,
    reference: string,
    body: Uint8Array,
    options: PutManifestOptions,
  ): Promise<PutManifestResult> {
    return this.of(repository).putManifest(repository, reference, body, options)
  }

  tagManifest(repository: string, tag: string, descriptor: Descriptor): Promise<void> {
    return this.of(repository).tagManifest(repository, tag, descriptor)
  }

  startUpload(repository: string, owner?: string): Promise<UploadStatus> {
    return this.of(repository).startUpload(repository, owner)
  }

  uploadStatus(repository: string, id: string): Promise<UploadStatus> {
    return this.of(repository).uploadStatus(repository, id)
  }

  appendUpload(
    repository: string,
    id: string,
    body: ReadableStream<Uint8Array> | null,
    options?: UploadWriteOptions,
  ): Promise<UploadStatus> {
    return this.of(repository).appendUpload(repository, id, body, options)
  }

  finishUpload(
    repository: string,
    id: string,
    digest: string,
    body: ReadableStream<Uint8Array> | null,
    options?: UploadWriteOptions,
  ): Promise<BlobStored> {
    return this.of(repository).finishUpload(repository, id, digest, body, options)
  }

  cancelUpload(repository: string, id: string): Promise<void> {
    return this.of(repository).cancelUpload(repository, id)
  }

  putBlob(
    repository: string,
    digest: string,
    body: ReadableStream<Uint8Array> | null,
    options: PutBlobOptions,
  ): Promise<BlobStored> {
    return this.of(repository).putBlob(repository, digest, body, options)
  }

  /**
   * Within one store only: a blob cannot be linked or copied cheaply between two stores (other
   * disks, other buckets). false makes the client upload it, as zot answers 202 there.
   */
  async mountBlob(from: string, to: string, digest: string): Promise<boolean> {
    const store = this.of(to)
    if (this.of(from) !== store) return false
    return store.mountBlob(from, to, digest)
  }

  adoptBlob(repository: string, digest: string, file: string): Promise<boolean> {
    return this.of(repository).adoptBlob(repository, digest, file)
  }

  deleteManifest(repository: string, reference: string): Promise<void> {
    return this.of(repository).deleteManifest(repository, reference)
  }

  deleteBlob(repository: string, digest: string): Promise<void> {
    return this.of(repository).deleteBlob(repository, digest)
  }

  maintenance(repository: string): RepositoryMaintenance {
    return this.of(repository).maintenance(repository)
  }
}
