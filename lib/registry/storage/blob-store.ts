/**
 * @module
 * Blobs of a repository: `<repo>/blobs/<alg>/<hex>`, written only by moving a verified upload
 * (or an atomic putContent for manifests), so a blob path always holds exactly its digest's bytes,
 * or, on storage without links (S3), nothing at all: a zero-byte placeholder of zot's dedupe
 * (placeholders.ts), which every read resolves to the repository holding the content. A
 * placeholder is never served as content: its reads answer the original's bytes, or BLOB_UNKNOWN.
 */
import { RegistryError } from '../../errors/registry-error'
import { PathNotFoundError, type Content, type StorageDriver } from '../../storage/driver'
import { blobPath, RESTORE_MARKER_PATH } from '../layout'
import { isPlaceholder, type Original, type Placeholders } from './placeholders'
import { statFile } from '../maintenance/storage-walk'

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

/** Where a blob's bytes are: its own path, or for a placeholder the original's. */
interface Located extends BlobStat {
  repository: string
  path: string
}

/** What `restorePlaceholder` found. */
export type RestoreOutcome = 'restored' | 'not a placeholder' | 'no original'

export class BlobStore {
  /** zot skips its restore walk while this marker says "1": set to "0" before the first placeholder. */
  private restoreMarkerCleared = false

  constructor(
    private readonly driver: StorageDriver,
    private readonly options: {
      dedupe: boolean
      index?: DedupeIndex
      placeholders?: Placeholders
      /**
       * A placeholder now stands for `repository`'s copy of `digest`: GC must see that copy as in
       * use, as it sees a blob a client just mounted (RecentActivity, shared between replicas).
       */
      onShared?: (repository: string, digest: string) => void
    },
  ) {}

  /** The blob's bytes: its own path, or for a placeholder the original's; undefined when neither. */
  private async locate(repository: string, digest: string): Promise<Located | undefined> {
    const path = blobPath(repository, digest)
    const file = await statFile(this.driver, path)
    if (!file) return undefined
    const modifiedAt = new Date(file.modifiedAt)
    const placeholders = this.options.placeholders
    if (!placeholders || !isPlaceholder(digest, file.size)) return { repository, path, size: file.size, modifiedAt }
    const original = await placeholders.original(digest)
    return original && { ...original, path: blobPath(original.repository, digest), modifiedAt }
  }

  async stat(repository: string, digest: string): Promise<BlobStat | undefined> {
    const located = await this.locate(repository, digest)
    return located && { size: located.size, modifiedAt: located.modifiedAt }
  }

  /** For a placeholder, where its content is (`original` absent when nowhere); undefined otherwise. */
  async placeholderOf(repository: string, digest: string): Promise<{ original?: Original } | undefined> {
    const placeholders = this.options.placeholders
    const file = placeholders && (await statFile(this.driver, blobPath(repository, digest)))
    if (!placeholders || !file || !isPlaceholder(digest, file.size)) return undefined
    const original = await placeholders.original(digest)
    return original ? { original } : {}
  }

  async exists(repository: string, digest: string): Promise<boolean> {
    return (await this.stat(repository, digest)) !== undefined
  }

  /** Opens the blob, or the byte range of it; throws BLOB_UNKNOWN. */
  async open(repository: string, digest: string, range?: { offset: number; length: number }): Promise<Content> {
    const content = await this.read(blobPath(repository, digest), digest, range)
    if (!this.options.placeholders || range?.length === 0) return content
    // Only empty content (an empty Blob: drivers never hand out an empty stream) can be a
    // placeholder: real blobs cost no extra request, and their streams pass on untouched.
    if (!(content instanceof Blob) || content.size > 0) return content
    if (!isPlaceholder(digest, 0)) return content
    return this.read(await this.originalPath(repository, digest), digest, range)
  }

  async getContent(repository: string, digest: string): Promise<Uint8Array> {
    const bytes = await this.readBytes(blobPath(repository, digest), digest)
    if (!this.options.placeholders || bytes.byteLength > 0) return bytes
    return this.readBytes(await this.originalPath(repository, digest), digest)
  }

  private async read(path: string, digest: string, range?: { offset: number; length: number }): Promise<Content> {
    try {
      return await this.driver.read(path, range)
    } catch (error) {
      if (error instanceof PathNotFoundError) throw blobUnknown(digest)
      throw error
    }
  }

  private async readBytes(path: string, digest: string): Promise<Uint8Array> {
    try {
      return await this.driver.getContent(path)
    } catch (error) {
      if (error instanceof PathNotFoundError) throw blobUnknown(digest)
      throw error
    }
  }

  /** The path of the content an empty read stood for; the empty blob's own path when it is one. */
  private async originalPath(repository: string, digest: string): Promise<string> {
    const path = blobPath(repository, digest)
    if (!isPlaceholder(digest, 0)) return path
    const original = await this.options.placeholders?.original(digest)
    if (!original) throw blobUnknown(digest)
    return blobPath(original.repository, digest)
  }

  /** Stores small content (a manifest) under its digest; the caller computed the digest. */
  async putContent(repository: string, digest: string, bytes: Uint8Array): Promise<void> {
    await this.driver.putContent(blobPath(repository, digest), bytes)
  }

  /** Moves a verified upload into place, or links it to an identical blob (dedupe). */
  async commit(repository: string, digest: string, sourcePath: string): Promise<void> {
    const shared =
      (await this.shareAsPlaceholder(repository, digest, sourcePath)) ||
      (await this.linkToHolder(repository, digest, sourcePath))
    if (shared) {
      await this.driver.delete(sourcePath)
    } else {
      await this.driver.move(sourcePath, blobPath(repository, digest))
      this.options.placeholders?.noteContent(digest, repository)
    }
    this.options.index?.added(repository, digest)
  }

  /**
   * Dedupe on storage without links: a placeholder instead of a second copy, when this process
   * knows another repository holding the same content (a hint: a blob it does not know of is
   * stored twice, as with the dedupe index). Content already at the path is never replaced by a
   * placeholder: other placeholders may stand for it.
   */
  private async shareAsPlaceholder(repository: string, digest: string, sourcePath: string): Promise<boolean> {
    const placeholders = this.options.placeholders
    if (!this.options.dedupe || !placeholders) return false
    const original = await placeholders.hinted(digest)
    if (!original || original.repository === repository) return false
    if (original.size !== (await this.driver.stat(sourcePath)).size) return false
    return this.writePlaceholder(repository, digest, original)
  }

  /** Writes a placeholder of `original`; false (and nothing changed) when that cannot be done safely. */
  private async writePlaceholder(repository: string, digest: string, original: Original): Promise<boolean> {
    const placeholders = this.options.placeholders
    if (!placeholders || original.size === 0) return false
    const path = blobPath(repository, digest)
    const own = await statFile(this.driver, path)
    if (own && own.size > 0) return false
    if (!this.restoreMarkerCleared) {
      await this.driver.putContent(RESTORE_MARKER_PATH, '0')
      this.restoreMarkerCleared = true
    }
    this.options.onShared?.(original.repository, digest)
    await this.driver.putContent(path, new Uint8Array(0))
    placeholders.notePlaceholder(digest, repository)
    // Deleted meanwhile (GC elsewhere): the caller stores the content here instead.
    if (await placeholders.hinted(digest)) return true
    if (!own) await this.driver.delete(path)
    return false
  }

  /**
   * Takes a local file whose content is already verified as the blob, when the driver can rename
   * it into place; false when it cannot (another filesystem, remote storage) or when dedupe would
   * rather link another repository's copy: then commit it through an upload.
   */
  async adopt(repository: string, digest: string, file: string): Promise<boolean> {
    if (!this.driver.adopt) return false
    if (await this.mayShare(repository, digest)) return false
    if (!(await this.driver.adopt(file, blobPath(repository, digest)))) return false
    this.options.index?.added(repository, digest)
    return true
  }

  /**
   * Streams content whose digest is already verified straight to the blob's path (one multipart
   * upload on S3, a temporary renamed into place on disk): nothing appears there unless the whole
   * body arrived. Callers first ask `mayShare`: dedupe's sharing needs an upload to compare.
   */
  async write(repository: string, digest: string, body: ReadableStream<Uint8Array>): Promise<number> {
    const size = await this.driver.putStream(blobPath(repository, digest), body)
    this.options.placeholders?.noteContent(digest, repository)
    this.options.index?.added(repository, digest)
    return size
  }

  /** Whether `commit` may share another repository's copy (dedupe) rather than store the content. */
  async mayShare(repository: string, digest: string): Promise<boolean> {
    if (!this.options.dedupe) return false
    const original = await this.options.placeholders?.hinted(digest)
    if (original && original.repository !== repository) return true
    const holders = (await this.options.index?.holders(digest)) ?? []
    return holders.some((holder) => holder !== repository)
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

  /**
   * Makes a blob of one repository available in another: a hard link (local dedupe), a
   * placeholder (dedupe without links) or a copy of the content (never of a placeholder).
   */
  async mount(from: string, to: string, digest: string): Promise<boolean> {
    const source = await this.locate(from, digest)
    if (!source) return false
    if (await this.exists(to, digest)) return true
    this.options.placeholders?.noteContent(digest, source.repository)
    if (this.options.dedupe && (await this.writePlaceholder(to, digest, source))) {
      this.options.index?.added(to, digest)
      return true
    }
    try {
      await this.driver.copy(source.path, blobPath(to, digest), { link: this.options.dedupe })
      this.options.index?.added(to, digest)
      this.options.placeholders?.noteContent(digest, to)
      return true
    } catch (error) {
      // Deleted between the check and the copy: an ordinary miss.
      if (error instanceof PathNotFoundError) return false
      throw error
    }
  }

  /** A URL the client can download the blob from directly (S3 presigned), when storage has one. */
  async redirectURL(repository: string, digest: string): Promise<string | undefined> {
    if (!this.driver.redirectURL) return undefined
    const located = this.options.placeholders ? await this.locate(repository, digest) : undefined
    return this.driver.redirectURL(located?.path ?? blobPath(repository, digest))
  }

  async delete(repository: string, digest: string): Promise<void> {
    await this.handOver(repository, digest)
    await this.driver.delete(blobPath(repository, digest))
    this.options.index?.removed(repository, digest)
  }

  /**
   * Before content is deleted, moves it to a placeholder standing for it, as zot does: the
   * placeholder becomes the original, and the others find it there.
   */
  private async handOver(repository: string, digest: string): Promise<void> {
    const placeholders = this.options.placeholders
    if (!placeholders) return
    const path = blobPath(repository, digest)
    const own = await statFile(this.driver, path)
    if (!own || own.size === 0) return
    for (const holder of await placeholders.holders(digest)) {
      if (holder === repository) continue
      const target = blobPath(holder, digest)
      const file = await statFile(this.driver, target)
      if (!file || !isPlaceholder(digest, file.size)) continue
      await this.driver.copy(path, target)
      placeholders.noteContent(digest, holder)
      return
    }
  }

  /** Replaces a placeholder with a copy of its content (`zot dedupe --restore`). */
  async restorePlaceholder(repository: string, digest: string): Promise<RestoreOutcome> {
    const found = await this.placeholderOf(repository, digest)
    if (!found) return 'not a placeholder'
    if (!found.original) return 'no original'
    await this.driver.copy(blobPath(found.original.repository, digest), blobPath(repository, digest))
    this.options.placeholders?.noteContent(digest, repository)
    return 'restored'
  }

  /** Records in storage, for zot, whether placeholders may remain (zot's `_restore_complete`). */
  async markRestoreComplete(complete: boolean): Promise<void> {
    await this.driver.putContent(RESTORE_MARKER_PATH, complete ? '1' : '0')
  }
}
