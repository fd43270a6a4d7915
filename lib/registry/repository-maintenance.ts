/**
 * @module
 * One repository as GC, retention, scrub and dedupe see it: what it stores (with sizes and
 * mtimes), index.json under the lock pushes take, and the few raw operations they decide on
 * their own (deleting an unreferenced blob, quarantining a corrupt one, relinking a copy). The
 * rules stay in lib/maintenance; where things live and how they move stays here.
 */
import type { ManifestInfo, Descriptor } from '../oci/manifest'
import type { Content, StorageDriver } from '../storage/driver'
import type { Catalog } from './catalog'
import type { ImageIndex } from './image-index'
import type { IndexStore, Mutation } from './index-store'
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
} from './layout'
import type { ManifestStore } from './manifest-store'
import { listDigestTree, listFiles, statFile, type StoredFile } from './storage-walk'

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
   */
  async removeIfEmpty(): Promise<boolean> {
    const { driver, indexes, catalog } = this.parts
    const repository = this.repository
  }
}
