/**
 * @module
 * The registry over one storage driver: the implementation of `Registry` (registry.ts), which
 * owns the stores and raises every event inside the operation that causes it.
 */
import { RegistryError } from '../errors/registry-error'
import { digestOf, parseDigest, requireDigest } from '../oci/digest'
import type { Descriptor } from '../oci/manifest'
import { isValidRepositoryName } from '../oci/names'
import type { Content, StaleTransfer, StorageDriver } from '../storage/driver'
import { BlobStore, type BlobStat, type DedupeIndex } from './storage/blob-store'
import { Catalog } from './catalog'
import type { ContentSource, ManifestBody } from './content-source'
import { RegistryEvents } from './events'
import { findTag } from './storage/image-index'
import { IndexStore } from './storage/index-store'
import { ManifestStore, type PutManifestResult } from './storage/manifest-store'
import { Placeholders } from './storage/placeholders'
import { createPulls, type Pulls } from './pulls'
import type {
  BlobStored,
  PutBlobOptions,
  PutManifestOptions,
  Registry,
  RegistryOptions,
  UploadWriteOptions,
} from './registry'
import { RepositoryMaintenance } from './maintenance/repository-maintenance'
import { createStateStore, type StateStore } from './storage/state-store'
import { UploadStore, type UploadStatus } from './storage/upload-store'

const blobInUse = (digest: string, user: string): RegistryError =>
  new RegistryError('DENIED', {
    status: 405,
    message: 'blob is in use',
    detail: { description: `manifest ${user} references this blob; delete the manifest first`, digest },
  })

/** How long a shared storage's catalog walk is reused: a few seconds, and one walk at a time. */
const SHARED_CATALOG_REFRESH_MS = 5_000

/** The registry over one storage driver. */
export class StorageRegistry implements Registry {
  readonly events = new RegistryEvents()
  readonly catalog: Catalog
  readonly state: StateStore
  readonly storageName: string
  readonly adoptsFiles: boolean
  private readonly driver: StorageDriver
  private readonly indexes: IndexStore
  private readonly blobs: BlobStore
  private readonly uploads: UploadStore
  private readonly manifests: ManifestStore
  private readonly dedupeIndex: DedupeIndex | undefined

  constructor(options: RegistryOptions) {
    const { driver } = options
    // Replicas on one bucket create and remove repositories behind each other's backs.
    const catalog = new Catalog(driver, options.sharedStorage ? { refreshAfterMs: SHARED_CATALOG_REFRESH_MS } : {})
    this.driver = driver
    this.catalog = catalog
    this.state = createStateStore(driver)
    this.storageName = driver.name
    this.adoptsFiles = driver.adopt !== undefined
    this.dedupeIndex = options.dedupeIndex
    this.indexes = new IndexStore(driver, {
      shared: options.sharedStorage,
      onRepositorySeen: (repository) => catalog.add(repository),
      onRepositoryCreated: (repository) => this.events.emit('repositoryCreated', repository),
    })
    // Without links (S3), blobs may be zot's dedupe placeholders: resolved on every read.
    const placeholders = driver.dedupeByPlaceholder ? new Placeholders(driver, () => catalog.list()) : undefined
    this.blobs = new BlobStore(driver, {
      dedupe: options.dedupe,
      ...(options.dedupeIndex && { index: options.dedupeIndex }),
      ...(placeholders && { placeholders }),
      onShared: (holder, digest) => this.events.emit('blobTouched', holder, digest),
    })
    this.uploads = new UploadStore(driver, this.blobs, this.indexes, options.uploadQuota)
    this.manifests = new ManifestStore(this.blobs, this.indexes)
  }

  resolveManifest(repository: string, reference: string): Promise<Descriptor> {
    return this.manifests.resolve(repository, reference)
  }

  openManifest(repository: string, descriptor: Descriptor): Promise<ManifestBody> {
    return this.manifests.open(repository, descriptor)
  }

  statBlob(repository: string, digest: string): Promise<BlobStat | undefined> {
    return this.blobs.stat(repository, digest)
  }

  openBlob(repository: string, digest: string, range?: { offset: number; length: number }): Promise<Content> {
    return this.blobs.open(repository, digest, range)
  }

  listTags(repository: string): Promise<string[]> {
    return this.manifests.tags(repository)
  }

  listReferrers(repository: string, digest: string, artifactType?: string): Promise<Descriptor[]> {
    return this.manifests.referrers(repository, digest, artifactType)
  }

  pulls(source: ContentSource): Pulls {
    return createPulls(source, this.events)
  }

  async tagExists(repository: string, tag: string): Promise<boolean> {
    const index = await this.indexes.read(repository)
    return index !== undefined && findTag(index, tag) !== undefined
  }

  hasBlob(repository: string, digest: string): Promise<boolean> {
    return this.blobs.exists(repository, digest)
  }

  async blobRedirectURL(repository: string, digest: string): Promise<string | undefined> {
    // Only blobs held here: a pull-through fill still streams through the registry.
    return (await this.blobs.exists(repository, digest)) ? this.blobs.redirectURL(repository, digest) : undefined
  }

  async checkStorage(): Promise<void> {
    await this.driver.list('')
  }

  async putManifest(
    repository: string,
    reference: string,
    body: Uint8Array,
    options: PutManifestOptions,
  ): Promise<PutManifestResult> {
    if (options.origin === 'push') {
      const result = await this.manifests.put(repository, reference, body, options.contentType, options)
      this.events.emit('manifestPushed', repository, result.digest, result.tags, 'push')
      return result
    }
    const { descriptor, contentOnly = false } = options
    const actual = digestOf(body, requireDigest(descriptor.digest).algorithm)
    if (actual !== descriptor.digest) {
      throw new RegistryError('DIGEST_INVALID', {
        detail: { description: `the manifest's digest is ${actual}`, digest: descriptor.digest },
      })
    }
    const tag = parseDigest(reference) ? undefined : reference
    await this.manifests.cache(repository, descriptor, body, { ...(tag !== undefined && { tag }), contentOnly })
    const tags = tag === undefined ? [] : [tag]
    if (!contentOnly) this.events.emit('manifestPushed', repository, descriptor.digest, tags, 'sync')
    return { digest: descriptor.digest, tags }
  }

  async tagManifest(repository: string, tag: string, descriptor: Descriptor): Promise<void> {
    await this.manifests.tag(repository, descriptor, tag)
    this.events.emit('manifestPushed', repository, descriptor.digest, [tag], 'sync')
  }

  startUpload(repository: string, owner?: string): Promise<UploadStatus> {
    return this.uploads.start(repository, owner)
  }

  uploadStatus(repository: string, id: string): Promise<UploadStatus> {
    return this.uploads.status(repository, id)
  }

  appendUpload(
    repository: string,
    id: string,
    body: ReadableStream<Uint8Array> | null,
    options: UploadWriteOptions = {},
  ): Promise<UploadStatus> {
    return this.uploads.append(repository, id, body, options)
  }

  async finishUpload(
    repository: string,
    id: string,
    digest: string,
    body: ReadableStream<Uint8Array> | null,
    options: UploadWriteOptions = {},
  ): Promise<BlobStored> {
    const { range, owner } = options
    // A last chunk with a Content-Range is appended under the same rules as any other chunk.
    if (range) await this.uploads.append(repository, id, body, { range, owner })
    const stored = await this.uploads.finish(repository, id, digest, range ? null : body, { owner })
    this.events.emit('blobTouched', repository, stored.digest)
    return stored
  }

  cancelUpload(repository: string, id: string): Promise<void> {
    return this.uploads.cancel(repository, id)
  }

  async putBlob(
    repository: string,
    digest: string,
    body: ReadableStream<Uint8Array> | null,
    options: PutBlobOptions,
  ): Promise<BlobStored> {
    const stored = await this.uploads.upload(repository, digest, body, options)
    if (options.origin === 'push') this.events.emit('blobTouched', repository, stored.digest)
    return stored
  }

  async mountBlob(from: string, to: string, digest: string): Promise<boolean> {
    if (!parseDigest(digest) || !isValidRepositoryName(from)) return false
    if (!(await this.blobs.mount(from, to, digest))) return false
    await this.indexes.ensure(to)
    this.events.emit('blobTouched', to, digest)
    return true
  }

  async adoptBlob(repository: string, digest: string, file: string): Promise<boolean> {
    if (!(await this.blobs.adopt(repository, digest, file))) return false
    await this.indexes.ensure(repository)
    return true
  }

  async deleteManifest(repository: string, reference: string): Promise<void> {
    // What the reference named, for the event (zot's `image.deleted` tells digest and media type).
    const descriptor = await this.manifests.resolve(repository, reference)
    await this.manifests.delete(repository, reference)
    this.events.emit('manifestDeleted', repository, reference, descriptor)
  }

  async deleteBlob(repository: string, digest: string): Promise<void> {
    const valid = requireDigest(digest).value
    await this.indexes.locked(repository, async () => {
      if (!(await this.blobs.exists(repository, valid)))
        throw new RegistryError('BLOB_UNKNOWN', { detail: { digest: valid } })
      const user = await this.manifests.blobUser(repository, valid)
      if (user) throw blobInUse(valid, user)
      await this.blobs.delete(repository, valid)
    })
  }

  maintenance(repository: string): RepositoryMaintenance {
    const { driver, indexes, blobs, manifests, catalog, dedupeIndex } = this
    return new RepositoryMaintenance({ driver, indexes, blobs, manifests, catalog, dedupeIndex }, repository)
  }

  async abortStaleTransfers(before: Date): Promise<StaleTransfer[]> {
    return (await this.driver.abortStaleTransfers?.(before)) ?? []
  }

  markRestoreComplete(complete: boolean): Promise<void> {
    return this.blobs.markRestoreComplete(complete)
  }
}

/** A registry over a driver; outside lib/registry, use `openStore`, which also opens metadata. */
export function createRegistry(options: RegistryOptions): Registry {
  return new StorageRegistry(options)
}
