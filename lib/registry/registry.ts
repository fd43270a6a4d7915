/**
 * @module
 * The registry: the only way into storage. It offers operations, never its parts: pulls (local
 * reads, and `pulls()` for clients), pushes (manifests from a client or the pull-through cache,
 * uploads, mounts), deletes (with the in-use rule), a per-repository view for maintenance, and a
 * door for state documents. Events are raised inside these operations, as distribution's
 * notifications listener wraps its repository, so no caller can forget one. The driver, the
 * index store and the other stores stay inside lib/registry; `openStore` builds a registry.
 */
import type { Descriptor } from '../oci/manifest'
import type { StaleTransfer, StorageDriver } from '../storage/driver'
import type { DedupeIndex } from './storage/blob-store'
import type { ContentSource } from './content-source'
import type { RegistryEventSource } from './events'
import type { PutManifestResult } from './storage/manifest-store'
import type { Pulls } from './pulls'
import type { RepositoryMaintenance } from './maintenance/repository-maintenance'
import type { StateStore } from './storage/state-store'
import type { UploadQuota } from './storage/upload-quota'
import type { ChunkRange, UploadStatus } from './storage/upload-store'

export type { DedupeIndex } from './storage/blob-store'
export type { PutManifestResult } from './storage/manifest-store'
export type { StateStore } from './storage/state-store'
export { rangeHeader, type ChunkRange, type UploadStatus } from './storage/upload-store'
export type { Pulls } from './pulls'
export type { RepositoryMaintenance, StoredFile } from './maintenance/repository-maintenance'

export interface PutBlobOptions {
  origin: Origin
  owner?: string
  /**
   * The body ends only once its bytes are known to hash to the digest, and errors otherwise (a
   * pull-through fill's spool, verified while it downloaded): it is not hashed a second time.
   */
  verified?: boolean
}

export interface RegistryOptions {
  driver: StorageDriver
  /** zot's `storage.dedupe`: share identical blobs between repositories (hard links on disk). */
  dedupe: boolean
  /** Where identical blobs live (the metadata store's), consulted when dedupe links a blob. */
  dedupeIndex?: DedupeIndex
  /**
   * Other processes write this storage too (S3 replicas on one bucket): index.json is never
   * cached and every update is a compare-and-swap.
   */
  sharedStorage: boolean
  /**
   * The caps on open upload sessions. The stores of one registry (subPaths) share one, so a
   * user's cap covers all of them; absent, the registry has its own.
   */
  uploadQuota?: UploadQuota
}

/** Who stored something: a client's push, or the pull-through cache and mirror. */
export type Origin = 'push' | 'sync'

export type PutManifestOptions =
  | {
      origin: 'push'
      /** The request's Content-Type. */
      contentType: string
      /** The request's `?tag=` tags, recorded besides the reference. */
      extraTags?: string[]
      /** Refuse (DENIED) to move a tag that exists: the pusher may create tags, not update them. */
      tagMustBeNew?: boolean
    }
  | {
      origin: 'sync'
      /** The upstream's descriptor, its digest verified against the bytes by the caller. */
      descriptor: Descriptor
      /** A child of a cached index: store the bytes only, the index reaches it. */
      contentOnly?: boolean
    }

/** Session-writing requests name whom the session counts against (UploadQuota). */
export interface UploadWriteOptions {
  /** The chunk's declared position (Content-Range): it must start where the session ends. */
  range?: ChunkRange
  owner?: string
}

export interface BlobStored {
  digest: string
  size: number
}

/** The catalog as the registry shows it: read only, the registry keeps it current. */
export interface CatalogView {
  /** Every repository, sorted (the first call walks storage). */
  list(): Promise<string[]>
  /** Whether the repository is known to exist, without a storage call. */
  has(repository: string): boolean
}

/** The registry's operations. As a ContentSource it reads local storage and raises no event. */
export interface Registry extends ContentSource {
  /** Subscribe here; the registry raises every event itself. */
  readonly events: RegistryEventSource
  readonly catalog: CatalogView
  /** State documents (auth, bucket metadata, sync tag checks) at layout.ts's `statePaths`. */
  readonly state: StateStore
  /** `local` or `s3`: dedupe's hard links exist on local disk only. */
  readonly storageName: string
  /** Whether `adoptBlob` can rename a local file into storage (same filesystem). */
  readonly adoptsFiles: boolean

  /** Pull operations for clients over `source` (this registry, or sync's): they raise pull events. */
  pulls(source: ContentSource): Pulls
  tagExists(repository: string, tag: string): Promise<boolean>
  hasBlob(repository: string, digest: string): Promise<boolean>
  /** A URL to download a blob held here straight from storage (S3 presigned), if there is one. */
  blobRedirectURL(repository: string, digest: string): Promise<string | undefined>
  /** Throws when storage does not answer now (readiness). */
  checkStorage(): Promise<void>

  /** Stores a manifest under a tag or its digest (manifestPushed, unless content only). */
  putManifest(
    repository: string,
    reference: string,
    body: Uint8Array,
    options: PutManifestOptions,
  ): Promise<PutManifestResult>
  /** Points a tag at a manifest the repository holds: the pull-through cache following a moved tag. */
  tagManifest(repository: string, tag: string, descriptor: Descriptor): Promise<void>
  startUpload(repository: string, owner?: string): Promise<UploadStatus>
  uploadStatus(repository: string, id: string): Promise<UploadStatus>
  /** Appends a chunk; with a range it must fit exactly (416 RANGE_INVALID, nothing appended). */
  appendUpload(
    repository: string,
    id: string,
    body: ReadableStream<Uint8Array> | null,
    options?: UploadWriteOptions,
  ): Promise<UploadStatus>
  /** Completes an upload with a last body or chunk, verifying the digest (blobTouched). */
  finishUpload(
    repository: string,
    id: string,
    digest: string,
    body: ReadableStream<Uint8Array> | null,
    options?: UploadWriteOptions,
  ): Promise<BlobStored>
  cancelUpload(repository: string, id: string): Promise<void>
  /** A whole blob in one go, verified (a client's push raises blobTouched). */
  putBlob(
    repository: string,
    digest: string,
    body: ReadableStream<Uint8Array> | null,
    options: PutBlobOptions,
  ): Promise<BlobStored>
  /** Makes a blob of `from` available in `to`; false when there is nothing to mount (blobTouched). */
  mountBlob(from: string, to: string, digest: string): Promise<boolean>
  /** Takes a verified local file as the blob by renaming it; false when storage cannot. */
  adoptBlob(repository: string, digest: string, file: string): Promise<boolean>

  /** Deletes a tag, or a manifest by digest (manifestDeleted). */
  deleteManifest(repository: string, reference: string): Promise<void>
  /** Deletes a blob no manifest of the repository uses (405 DENIED while one does). */
  deleteBlob(repository: string, digest: string): Promise<void>

  /** One repository as GC, retention, scrub and dedupe work on it. */
  maintenance(repository: string): RepositoryMaintenance
  /**
   * Aborts storage transfers a killed process left unfinished, begun before `before` (GC). A
   * registry of one store has it; one routing to several stores leaves it to each store's GC.
   */
  abortStaleTransfers?(before: Date): Promise<StaleTransfer[]>
  /** Tells zot, in storage, whether dedupe placeholders may remain (after `zot dedupe --restore`). */
  markRestoreComplete?(complete: boolean): Promise<void>
}
