/**
 * @module
 * Blob upload sessions (`<repo>/.uploads/<uuid>`). Request bodies stream through a hasher into
 * the storage writer chunk by chunk, so memory stays flat for any blob size and the digest is
 * known the moment the last byte lands. The hash state lives in memory; after a restart (or on
 * another replica) it is rebuilt by re-reading what the session already holds. Sessions a client
 * opens count against its caps (UploadQuota) until they end.
 */
import { RegistryError } from '../../errors/registry-error'
import { createHasher, requireDigest, type DigestAlgorithm, type Hasher } from '../../oci/digest'
import { PathNotFoundError, StorageUnavailableError, type FileWriter, type StorageDriver } from '../../storage/driver'
import type { BlobStore } from './blob-store'
import type { IndexStore } from './index-store'
import { KeyedMutex } from './keyed-mutex'
import { uploadPath } from '../layout'
import { UploadQuota } from './upload-quota'

interface HashState {
  hasher: Hasher
  /** Bytes the hasher has seen; must equal the stored size to be usable. */
  hashed: number
  lastUsed: number
}

export interface UploadStatus {
  repository: string
  id: string
  /** Bytes received so far. */
  size: number
}

/** A chunk's declared position, from the PATCH's Content-Range (inclusive `end`). */
export interface ChunkRange {
  start: number
  end: number
}

export interface WriteOptions {
  /** The chunk's declared position: it must start where the session ends and fill it exactly. */
  range?: ChunkRange
  /** Whom the session counts against (UploadQuota); absent for the registry's own sessions. */
  owner?: string
}

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const MAX_IDLE_HASH_STATES = 10_000

const uploadUnknown = (id: string): RegistryError => new RegistryError('BLOB_UPLOAD_UNKNOWN', { detail: { uuid: id } })

/** `Range` header value for a session holding `size` bytes (the spec's inclusive end offset). */
export const rangeHeader = (size: number): string => `0-${Math.max(size - 1, 0)}`

/** 416 for a chunk that does not fit the session, with its Range so the client can resume. */
const rangeInvalid = (repository: string, id: string, size: number, description: string): RegistryError =>
  new RegistryError('RANGE_INVALID', {
    detail: { description, uuid: id },
    headers: { Range: rangeHeader(size), Location: `/v2/${repository}/blobs/uploads/${id}` },
  })

export class UploadStore {
  private readonly hashStates = new Map<string, HashState>()
  private readonly locks = new KeyedMutex()

  constructor(
    private readonly driver: StorageDriver,
    private readonly blobs: BlobStore,
    private readonly indexes: IndexStore,
    private readonly quota = new UploadQuota(),
  ) {}

  /** Opens a new, empty session, counted against `owner`'s caps (429 when full). */
  async start(repository: string, owner?: string): Promise<UploadStatus> {
    const id = crypto.randomUUID()
    if (owner !== undefined) this.quota.claim(id, owner)
    try {
      // Under the repository's lock: GC removes a repository it finds empty under the same lock, so
      // the new session is either seen by it (and the repository kept) or created after it.
      await this.indexes.locked(repository, async () => {
        const writer = await this.driver.writer(uploadPath(repository, id), { append: false })
        await writer.close()
      })
    } catch (error) {
      this.quota.release(id)
      throw error
    }
    this.hashStates.set(id, { hasher: createHasher(), hashed: 0, lastUsed: Date.now() })
    this.forgetIdleHashStates()
    return { repository, id, size: 0 }
  }

  /**
   * A monolithic upload (POST `?digest=`): a session that `finish` ends, stored or discarded, so
   * nothing of it outlives the request, whatever goes wrong.
   */
  async upload(
    repository: string,
    digest: string,
    body: ReadableStream<Uint8Array> | null,
    { owner, verified }: { owner?: string; verified?: boolean } = {},
  ): Promise<{ digest: string; size: number }> {
    const expected = requireDigest(digest)
    const session = await this.start(repository, owner)
    if (verified && body && !(await this.blobs.mayShare(repository, expected.value))) {
      return this.storeVerified(repository, session.id, expected.value, body, owner)
    }
    return this.finish(repository, session.id, digest, body, { owner, verified })
  }

  /**
   * A verified body (a pull-through fill) goes straight to the blob's path (BlobStore.write), not
   * into the session: on S3 one multipart upload to the final key, instead of part objects that
   * are assembled server-side and deleted. The session stays, empty, until the blob is in place:
   * GC, on any replica, does not remove a repository that holds an upload, so the blob never lands
   * in a repository being removed. Whatever the outcome, the session then goes.
   */
  private async storeVerified(
    repository: string,
    id: string,
    digest: string,
    body: ReadableStream<Uint8Array>,
    owner: string | undefined,
  ): Promise<{ digest: string; size: number }> {
    let size: number
    try {
      const stored = await this.blobs.stat(repository, digest)
      if (stored) await body.cancel()
      size = stored?.size ?? (await this.quota.writing(id, owner, () => this.blobs.write(repository, digest, body)))
    } catch (error) {
      await this.discard(repository, id).catch(() => {})
      throw error
    }
    await this.discard(repository, id)
    await this.indexes.ensure(repository)
    return { digest, size }
  }

  async status(repository: string, id: string): Promise<UploadStatus> {
    return { repository, id, size: await this.size(repository, id) }
  }

  /**
   * Appends a request body. With a `range`, the chunk must start exactly where the session ends
   * and the body must be exactly as long as declared; otherwise 416 RANGE_INVALID, nothing is
   * appended, and the answer carries the session's Range so the client can resume.
   */
  async append(
    repository: string,
    id: string,
    body: ReadableStream<Uint8Array> | null,
    { range, owner }: WriteOptions = {},
  ): Promise<UploadStatus> {
    return this.locks.run(id, async () => {
      const size = await this.size(repository, id)
      if (range && range.start !== size) {
        throw rangeInvalid(
          repository,
          id,
          size,
          `the chunk starts at ${range.start} but the upload holds ${size} bytes`,
        )
      }
      const length = range && range.end - range.start + 1
      const written = await this.quota.writing(id, owner, () => this.write(repository, id, body, length))
      return { repository, id, size: written }
    })
  }

  /**
   * Completes the session: appends a final body, checks the content against `digest` and moves it
   * to its content-addressed path. Whatever the outcome the session ends: on a mismatch or any
   * failure (a full disk, a body that broke off) nothing is stored and its bytes are deleted at
   * once, not left for GC to find ten minutes later (or never, with GC off) while the disk stays
   * full. The client starts the blob again, as it would after any failed PUT.
   */
  async finish(
    repository: string,
    id: string,
    digest: string,
    body: ReadableStream<Uint8Array> | null,
    { owner, verified = false }: Pick<WriteOptions, 'owner'> & { verified?: boolean } = {},
  ): Promise<{ digest: string; size: number }> {
    const expected = requireDigest(digest)
    // A verified body is a whole blob (upload) in a fresh session: nothing else was hashed.
    const trusted = verified && body !== null
    return this.locks.run(id, async () => {
      const stored = await this.size(repository, id)
      try {
        const write = () => this.write(repository, id, body, undefined, trusted)
        const size = body ? await this.quota.writing(id, owner, write) : stored
        const actual = trusted ? expected.value : await this.digestOf(repository, id, expected.algorithm, size)
        if (actual !== expected.value) {
          throw new RegistryError('DIGEST_INVALID', {
            detail: { description: `the content's digest is ${actual}`, digest: expected.value },
          })
        }
        if (await this.blobs.exists(repository, expected.value)) {
          await this.discard(repository, id)
        } else {
          await this.blobs.commit(repository, expected.value, uploadPath(repository, id))
          this.ended(id)
        }
        await this.indexes.ensure(repository)
        return { digest: expected.value, size }
      } catch (error) {
        await this.discard(repository, id).catch(() => {})
        throw error
      }
    })
  }

  async cancel(repository: string, id: string): Promise<void> {
    await this.locks.run(id, async () => {
      await this.size(repository, id)
      await this.discard(repository, id)
    })
  }

  private async size(repository: string, id: string): Promise<number> {
    if (!UPLOAD_ID.test(id)) throw uploadUnknown(id)
    try {
      return (await this.driver.stat(uploadPath(repository, id))).size
    } catch (error) {
      if (error instanceof PathNotFoundError) throw uploadUnknown(id)
      throw error
    }
  }

  /** The session is over (stored or discarded): its hash state and its quota slot go. */
  private ended(id: string): void {
    this.hashStates.delete(id)
    this.quota.release(id)
  }

  private async discard(repository: string, id: string): Promise<void> {
    this.ended(id)
    await this.driver.delete(uploadPath(repository, id))
  }

  /**
   * Streams the body into the session; returns the new size. With `length` (a declared chunk)
   * the write is all or nothing: a body longer or shorter than declared, or one that breaks off,
   * appends nothing and leaves the hash state as it was, so the client can send the chunk again.
   * Without it, what arrived before a failure stays (a streamed upload resumes from its Range).
   */
  private async write(
    repository: string,
    id: string,
    body: ReadableStream<Uint8Array> | null,
    length?: number,
    verified = false,
  ): Promise<number> {
    const writer = await this.driver.writer(uploadPath(repository, id), { append: true })
    const start = writer.size
    if (verified) return this.writeVerified(id, writer, body)
    const before = await this.hashStateFor(repository, id, start).catch(async (error: unknown) => {
      await writer.close()
      throw error
    })
    // Until the body is fully written the hash state may disagree with storage: drop it, so a
    // failure half-way (client gone, disk full) forces a re-hash instead of a wrong digest.
    this.hashStates.delete(id)
    const state: HashState = { hasher: before.hasher.copy(), hashed: before.hashed, lastUsed: before.lastUsed }
    const wrongLength = (received: string): RegistryError =>
      rangeInvalid(
        repository,
        id,
        start,
        `Content-Range declares ${length} bytes but the body has ${received}; nothing was appended`,
      )
    try {
      let received = 0
      for await (const chunk of body ?? []) {
        received += chunk.byteLength
        // Checked before the bytes are written: an oversized chunk is refused as soon as it shows.
        if (length !== undefined && received > length) throw wrongLength('more')
        await writer.write(chunk)
        state.hasher.update(chunk)
        state.hashed += chunk.byteLength
      }
      if (length !== undefined && received !== length) throw wrongLength(String(received))
      await writer.close()
    } catch (error) {
      // What the storage refused (a full disk, also at the final flush) is not kept either: the
      // bytes it took are freed and the client resumes from the session's Range.
      if (length === undefined && !(error instanceof StorageUnavailableError)) {
        await writer.close()
        throw error
      }
      await writer.abort()
      this.hashStates.set(id, before)
      throw error
    }
    state.lastUsed = Date.now()
    this.hashStates.set(id, state)
    return writer.size
  }

  /**
   * Writes a body whose end vouches for its digest (PutBlobOptions.verified), without hashing it.
   * A body that breaks off (it failed verification) keeps nothing: `finish` discards the session.
   */
  private async writeVerified(
    id: string,
    writer: FileWriter,
    body: ReadableStream<Uint8Array> | null,
  ): Promise<number> {
    this.hashStates.delete(id)
    try {
      for await (const chunk of body ?? []) await writer.write(chunk)
    } catch (error) {
      await writer.abort()
      throw error
    }
    await writer.close()
    return writer.size
  }

  /** The session's hash state, rebuilt from storage when it was lost (restart, other replica). */
  private async hashStateFor(repository: string, id: string, storedSize: number): Promise<HashState> {
    const state = this.hashStates.get(id)
    if (state && state.hashed === storedSize) return state
    const hasher = await this.hashStored(repository, id, 'sha256')
    return { hasher, hashed: storedSize, lastUsed: Date.now() }
  }

  /** The digest of the session's `size` stored bytes: from the hash state when it covers them. */
  private async digestOf(repository: string, id: string, algorithm: DigestAlgorithm, size: number): Promise<string> {
    const state = this.hashStates.get(id)
    if (algorithm === 'sha256' && state && state.hashed === size) return state.hasher.digest()
    return (await this.hashStored(repository, id, algorithm)).digest()
  }

  private async hashStored(repository: string, id: string, algorithm: DigestAlgorithm): Promise<Hasher> {
    const hasher = createHasher(algorithm)
    const content = await this.driver.read(uploadPath(repository, id))
    const stream = content instanceof Blob ? content.stream() : content
    for await (const chunk of stream) hasher.update(chunk)
    return hasher
  }

  /** Abandoned sessions leave hash states behind; GC removes their files, this their memory. */
  private forgetIdleHashStates(): void {
    if (this.hashStates.size <= MAX_IDLE_HASH_STATES) return
    const oldest = [...this.hashStates.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed)
    for (const [id] of oldest.slice(0, oldest.length - MAX_IDLE_HASH_STATES / 2)) this.hashStates.delete(id)
  }
}
