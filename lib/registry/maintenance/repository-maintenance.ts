/**
 * @module
 * One repository as GC, retention, scrub and dedupe see it: what it stores (with sizes and
 * mtimes), index.json under the lock pushes take, and the few raw operations they decide on
 * their own (deleting an unreferenced blob, quarantining a corrupt one, relinking a copy). The
 * rules stay in lib/maintenance; where things live and how they move stays here.
 */
import type { ManifestInfo, Descriptor } from '../../oci/manifest'
import type { Content, StorageDriver } from '../../storage/driver'
import type { BlobStore, DedupeIndex, RestoreOutcome } from '../storage/blob-store'
import type { Catalog } from '../catalog'
import type { ImageIndex } from '../storage/image-index'
import type { IndexStore, Mutation } from '../storage/index-store'
import {
  blobPath,
  blobsPath,
  indexPath,
  ociLayoutPath,
  quarantineDirectory,
  quarantinePath,
  repositoryPath,
  uploadPath,
  uploadsPath,
} from '../layout'
import type { ManifestStore } from '../storage/manifest-store'
import { listDigestTree, listFiles, statFile, type StoredFile } from './storage-walk'
import { claimOf, type SweepClaim } from './sweep-claims'

/** A removal claim: the few deletes of an empty repository's files. */
const REMOVAL_LEASE_MS = 30_000

export type { StoredFile } from './storage-walk'

/** What the view works on: the registry's own parts. */
export interface MaintenanceParts {
  driver: StorageDriver
  indexes: IndexStore
  blobs: BlobStore
  manifests: ManifestStore
  catalog: Catalog
  dedupeIndex: DedupeIndex | undefined
}

export class RepositoryMaintenance {
  constructor(
    private readonly parts: MaintenanceParts,
    readonly repository: string,
  ) {}

  /** index.json as stored now; undefined when the repository does not exist. */
  index(): Promise<ImageIndex | undefined> {
    return this.parts.indexes.read(this.repository)
  }

  /** Rewrites index.json under the repository's lock (undefined: no change); NAME_UNKNOWN when gone. */
  updateIndex(mutate: Mutation): Promise<ImageIndex> {
    return this.parts.indexes.update(this.repository, mutate, { create: false })
  }

  /** Whether other processes (replicas on one bucket) write this storage too: sweeps then claim. */
  get shared(): boolean {
    return this.parts.indexes.shared
  }

  /**
   * Claims blobs for a sweep on shared storage (sweep-claims.ts): those of `candidates` that
   * `live`, run on the index the claim is written to, does not keep. Undefined: nothing claimed.
   */
  claimBlobs(
    candidates: readonly string[],
    live: (index: ImageIndex) => Promise<ReadonlySet<string> | undefined>,
    leaseMs: number,
  ): Promise<SweepClaim | undefined> {
    const decide = async (index: ImageIndex) => {
      const keep = await live(index)
      const blobs = keep && candidates.filter((digest) => !keep.has(digest))
      return blobs && blobs.length > 0 ? { blobs } : undefined
    }
    return this.parts.indexes.claim(this.repository, decide, leaseMs)
  }

  releaseClaim(claim: SweepClaim): Promise<void> {
    return this.parts.indexes.release(this.repository, claim)
  }

  /** Runs `critical` under the repository's lock, the one manifest pushes take (not re-entrant). */
  locked<T>(critical: () => Promise<T>): Promise<T> {
    return this.parts.indexes.locked(this.repository, critical)
  }

  manifestInfo(descriptor: Descriptor): Promise<ManifestInfo> {
    return this.parts.manifests.info(this.repository, descriptor)
  }

  /** A small blob's bytes (a manifest, a config); throws BLOB_UNKNOWN. */
  blobContent(digest: string): Promise<Uint8Array> {
    return this.parts.blobs.getContent(this.repository, digest)
  }

  /** Streams a blob; throws BLOB_UNKNOWN. */
  openBlob(digest: string): Promise<Content> {
    return this.parts.blobs.open(this.repository, digest)
  }

  blobs(): Promise<StoredFile[]> {
    return listDigestTree(this.parts.driver, blobsPath(this.repository))
  }

  /** The blob's file now, or undefined when it is gone. */
  blob(digest: string): Promise<StoredFile | undefined> {
    return statFile(this.parts.driver, blobPath(this.repository, digest))
  }

  /** Bytes of every blob (manifests included). */
  async storedBytes(): Promise<number> {
    return (await this.blobs()).reduce((sum, blob) => sum + blob.size, 0)
  }

  /** Deletes a blob the caller found unreferenced under `locked` (no in-use check here). */
  deleteBlob(digest: string): Promise<void> {
    return this.parts.blobs.delete(this.repository, digest)
  }

  quarantined(): Promise<StoredFile[]> {
    return listDigestTree(this.parts.driver, quarantineDirectory(this.repository))
  }

  deleteQuarantined(digest: string): Promise<void> {
    return this.parts.driver.delete(quarantinePath(this.repository, digest))
  }

  /**
   * Moves a corrupt blob aside, under the lock, only if its file is still the one that was
   * hashed (a blob repaired meanwhile stays). Every holder of the digest is dropped from the
   * dedupe index: others may share the bad inode, and a repair must never be linked to it.
   */
  async quarantine(digest: string, hashed: Pick<StoredFile, 'size' | 'modifiedAt'>): Promise<boolean> {
    const moved = await this.locked(async () => {
      const now = await this.blob(digest)
      if (!now || now.size !== hashed.size || now.modifiedAt !== hashed.modifiedAt) return false
      await this.parts.driver.move(now.path, quarantinePath(this.repository, digest))
      return true
    })
    const index = this.parts.dedupeIndex
    if (moved) for (const holder of (await index?.holders(digest)) ?? []) index?.removed(holder, digest)
    return moved
  }

  uploads(): Promise<StoredFile[]> {
    return listFiles(this.parts.driver, uploadsPath(this.repository))
  }

  /** The upload session's file now, or undefined when it is gone. */
  upload(id: string): Promise<StoredFile | undefined> {
    return statFile(this.parts.driver, uploadPath(this.repository, id))
  }

  deleteUpload(id: string): Promise<void> {
    return this.parts.driver.delete(uploadPath(this.repository, id))
  }

  /** For a dedupe placeholder (storage without links), where its content is; undefined for content. */
  placeholderOf(digest: string): ReturnType<BlobStore['placeholderOf']> {
    return this.parts.blobs.placeholderOf(this.repository, digest)
  }

  /** Replaces a dedupe placeholder with a copy of its content. */
  restorePlaceholder(digest: string): Promise<RestoreOutcome> {
    return this.parts.blobs.restorePlaceholder(this.repository, digest)
  }

  /** Makes this repository's copy of a blob a link to `holder`'s (dedupe). */
  linkBlob(digest: string, holder: string): Promise<void> {
    return this.parts.driver.copy(blobPath(holder, digest), blobPath(this.repository, digest), { link: true })
  }

  /** Makes this repository's copy of a blob a file of its own again (dedupe turned off). */
  unshareBlob(digest: string): Promise<void> {
    const path = blobPath(this.repository, digest)
    return this.parts.driver.copy(path, path, { link: false })
  }

  /**
   * Removes the repository when nothing is left in it (zot removes the directory once all its
   * blobs went): no manifest, blob, upload or quarantined blob. Only its own files are deleted,
   * never the directory tree: repositories nest (`a`, `a/b`). True when it was removed. On shared
   * storage the repository is claimed first, so no replica records a manifest in the index.json
   * about to be deleted (its push waits, then creates the repository again).
   */
  async removeIfEmpty(): Promise<boolean> {
    const { indexes } = this.parts
    if (!indexes.shared) return this.locked(() => this.removeEmpty())
    if (!(await this.holdsNothing())) return false
    const claim = await indexes.claim(
      this.repository,
      async (index) => (index.manifests.length === 0 ? { blobs: [], repository: true } : undefined),
      REMOVAL_LEASE_MS,
    )
    if (!claim) return false
    const removed = await this.locked(() => this.removeEmpty(claim.id))
    if (!removed) await indexes.release(this.repository, claim)
    return removed
  }

  private async holdsNothing(): Promise<boolean> {
    const { driver } = this.parts
    if ((await this.blobs()).length > 0) return false
    if ((await driver.list(uploadsPath(this.repository))).length > 0) return false
    return (await driver.list(quarantineDirectory(this.repository))).length === 0
  }

  /** Under the lock; on shared storage only while the index holds this process's claim `claimId`. */
  private async removeEmpty(claimId?: string): Promise<boolean> {
    const { driver, indexes, catalog } = this.parts
    const repository = this.repository
    const index = await indexes.read(repository)
    if (!index || index.manifests.length > 0) return false
    if (claimId !== undefined && claimOf(index)?.id !== claimId) return false
    if (!(await this.holdsNothing())) return false
    for (const path of [
      indexPath(repository),
      ociLayoutPath(repository),
      blobsPath(repository),
      uploadsPath(repository),
    ])
      await driver.delete(path)
    if ((await driver.list(repositoryPath(repository))).length === 0) await driver.delete(repositoryPath(repository))
    indexes.forget(repository)
    catalog.remove(repository)
    return true
  }
}
