/**
 * @module
 * Blobs of a repository: `<repo>/blobs/<alg>/<hex>`, written only by moving a verified upload
 * (or an atomic putContent for manifests), so a blob path always holds exactly its digest's bytes.
 */
import { RegistryError } from '../errors/registry-error'
import { PathNotFoundError, type Content, type StorageDriver } from '../storage/driver'
import { blobPath } from './layout'

export interface BlobStat {
  size: number
  modifiedAt: Date
}

/**
 * Where identical blobs already live, for dedupe (zot's cache DB). A hint, never the truth: an
 * entry may name a blob that is gone (then it is dropped), and a blob missing from it is merely
 * stored twice until the next dedupe walk.
 */
export interface DedupeIndex {
  /** Repositories believed to hold the blob. */
  holders(digest: string): Promise<string[]>
  added(repository: string, digest: string): void
  removed(repository: string, digest: string): void
}

const blobUnknown = (digest: string): RegistryError => new RegistryError('BLOB_UNKNOWN', { detail: { digest } })

export class BlobStore {
  constructor(
    private readonly driver: StorageDriver,
    private readonly options: { dedupe: boolean; index?: DedupeIndex },
  ) {}

  async stat(repository: string, digest: string): Promise<BlobStat | undefined> {
    try {
      const info = await this.driver.stat(blobPath(repository, digest))
      return info.isDirectory ? undefined : { size: info.size, modifiedAt: info.modifiedAt }
    } catch (error) {
      if (error instanceof PathNotFoundError) return undefined
      throw error
    }
  }

  async exists(repository: string, digest: string): Promise<boolean> {
    return (await this.stat(repository, digest)) !== undefined
  }

  /** Opens the blob, or the byte range of it; throws BLOB_UNKNOWN. */
  async open(repository: string, digest: string, range?: { offset: number; length: number }): Promise<Content> {
    try {
      return await this.driver.read(blobPath(repository, digest), range)
    } catch (error) {
      if (error instanceof PathNotFoundError) throw blobUnknown(digest)
      throw error
    }
  }

  async getContent(repository: string, digest: string): Promise<Uint8Array> {
    try {
      return await this.driver.getContent(blobPath(repository, digest))
    } catch (error) {
      if (error instanceof PathNotFoundError) throw blobUnknown(digest)
      throw error
    }
  }

  /** Stores small content (a manifest) under its digest; the caller computed the digest. */
  async putContent(repository: string, digest: string, bytes: Uint8Array): Promise<void> {
    await this.driver.putContent(blobPath(repository, digest), bytes)
  }

  /** Moves a verified upload into place, or links it to an identical blob (dedupe). */
  async commit(repository: string, digest: string, sourcePath: string): Promise<void> {
    if (await this.linkToHolder(repository, digest, sourcePath)) await this.driver.delete(sourcePath)
    else await this.driver.move(sourcePath, blobPath(repository, digest))
    this.options.index?.added(repository, digest)
  }

  /**
   * Takes a local file whose content is already verified as the blob, when the driver can rename
   * it into place; false when it cannot (another filesystem, remote storage) or when dedupe would
   * rather link another repository's copy: then commit it through an upload.
   */
  async adopt(repository: string, digest: string, file: string): Promise<boolean> {
    if (!this.driver.adopt) return false
    const index = this.options.index
    if (this.options.dedupe && index && (await index.holders(digest)).some((holder) => holder !== repository))
      return false
    if (!(await this.driver.adopt(file, blobPath(repository, digest)))) return false
    index?.added(repository, digest)
    return true
  }

  /**
   * Links the blob from another repository holding it. Sizes must agree: a truncated copy is never
   * shared (bit rot of equal size is scrub's to find; it drops the digest from the index).
   */
  private async linkToHolder(repository: string, digest: string, sourcePath: string): Promise<boolean> {
    const index = this.options.index
    if (!this.options.dedupe || !index) return false
    const size = (await this.driver.stat(sourcePath)).size
    for (const holder of await index.holders(digest)) {
      if (holder === repository) continue
      const stat = await this.stat(holder, digest)
      if (!stat) index.removed(holder, digest)
      if (stat?.size !== size) continue
      try {
        await this.driver.copy(blobPath(holder, digest), blobPath(repository, digest), { link: true })
        return true
      } catch (error) {
        if (!(error instanceof PathNotFoundError)) throw error
        index.removed(holder, digest)
      }
    }
    return false
  }

  /** Makes a blob of one repository available in another (hard link when dedupe is on). */
  async mount(from: string, to: string, digest: string): Promise<boolean> {
    if (!(await this.exists(from, digest))) return false
    if (await this.exists(to, digest)) return true
    try {
      await this.driver.copy(blobPath(from, digest), blobPath(to, digest), { link: this.options.dedupe })
      this.options.index?.added(to, digest)
      return true
    } catch (error) {
      // Deleted between the check and the copy: an ordinary miss.
      if (error instanceof PathNotFoundError) return false
      throw error
    }
  }

  /** A URL the client can download the blob from directly (S3 presigned), when storage has one. */
  async redirectURL(repository: string, digest: string): Promise<string | undefined> {
    return this.driver.redirectURL?.(blobPath(repository, digest))
  }

  async delete(repository: string, digest: string): Promise<void> {
    await this.driver.delete(blobPath(repository, digest))
    this.options.index?.removed(repository, digest)
  }
}
