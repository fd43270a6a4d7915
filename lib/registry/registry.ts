/**
 * @module
 * The registry's storage façade: blobs, uploads, manifests and the catalog over one storage
 * driver. The HTTP layer, the CLI commands and (later) sync, GC and scrub all go through it.
 */
import type { StorageDriver } from '../storage/driver'
import { BlobStore, type DedupeIndex } from './blob-store'
import { Catalog } from './catalog'
import { RegistryEvents } from './events'
import { IndexStore } from './index-store'
import { ManifestStore } from './manifest-store'
import { UploadStore } from './upload-store'

export interface RegistryOptions {
  driver: StorageDriver
  /** zot's `storage.dedupe`: share identical blobs between repositories (hard links on disk). */
  dedupe?: boolean
  /** Where identical blobs live (the metadata store's), consulted when dedupe links a blob. */
  dedupeIndex?: DedupeIndex
  /**
   * Other processes write this storage too (S3 replicas on one bucket): index.json is never
   * cached and every update is a compare-and-swap.
   */
  sharedStorage?: boolean
}

export interface Registry {
  readonly driver: StorageDriver
  readonly blobs: BlobStore
  readonly uploads: UploadStore
  readonly manifests: ManifestStore
  readonly indexes: IndexStore
  readonly catalog: Catalog
  readonly events: RegistryEvents
}

export function createRegistry(options: RegistryOptions): Registry {
  const { driver } = options
  const catalog = new Catalog(driver)
  const indexes = new IndexStore(driver, { shared: options.sharedStorage ?? false, onRepositorySeen: (repository) => catalog.add(repository) })
  const blobs = new BlobStore(driver, { dedupe: options.dedupe ?? true, index: options.dedupeIndex })
  const uploads = new UploadStore(driver, blobs, indexes)
  const manifests = new ManifestStore(blobs, indexes)
  return { driver, blobs, uploads, manifests, indexes, catalog, events: new RegistryEvents() }
}
