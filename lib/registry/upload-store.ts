/**
 * @module
 * Blob upload sessions (`<repo>/.uploads/<uuid>`). Request bodies stream through a hasher into
 * the storage writer chunk by chunk, so memory stays flat for any blob size and the digest is
 * known the moment the last byte lands. The hash state lives in memory; after a restart (or on
 * another replica) it is rebuilt by re-reading what the session already holds.
 */
import { RegistryError } from '../errors/registry-error'
import { createHasher, requireDigest, type DigestAlgorithm } from '../oci/digest'
import { PathNotFoundError, type StorageDriver } from '../storage/driver'
import type { BlobStore } from './blob-store'
import type { IndexStore } from './index-store'
import { KeyedMutex } from './keyed-mutex'
import { uploadPath } from './layout'

type Hasher = ReturnType<typeof createHasher>

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

/** A chunk's declared position, from the PATCH's Content-Range. */
export interface ChunkRange {
  start: number
  end: number
}

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const MAX_IDLE_HASH_STATES = 10_000

const uploadUnknown = (id: string): RegistryError => new RegistryError('BLOB_UPLOAD_UNKNOWN', { detail: { uuid: id } })

/** `Range` header value for a session holding `size` bytes (the spec's inclusive end offset). */
export const rangeHeader = (size: number): string => `0-${Math.max(size - 1, 0)}`

export class UploadStore {
  private readonly hashStates = new Map<string, HashState>()
  private readonly locks = new KeyedMutex()

  constructor(
    private readonly driver: StorageDriver,
    private readonly blobs: BlobStore,
    private readonly indexes: IndexStore,
  ) {}

  /** Opens a new, empty session. */
  async start(repository: string): Promise<UploadStatus> {
    const id = crypto.randomUUID()
    const writer = await this.driver.writer(uploadPath(repository, id), { append: false })
    await writer.close()
    this.hashStates.set(id, { hasher: createHasher(), hashed: 0, lastUsed: Date.now() })
    this.forgetIdleHashStates()
    return { repository, id, size: 0 }
  }

  async status(repository: string, id: string): Promise<UploadStatus> {
    return { repository, id, size: await this.size(repository, id) }
  }

  /**
   * Appends a request body. With `range`, the chunk must start exactly where the session ends
   * (416 otherwise, with the session's Range so the client can resume).
   */
  async append(repository: string, id: string, body: ReadableStream<Uint8Array> | null, range?: ChunkRange): Promise<UploadStatus> {
    return this.locks.run(id, async () => {
      const size = await this.size(repository, id)
      if (range && range.start !== size) {
        throw new RegistryError('BLOB_UPLOAD_INVALID', {
          status: 416,
          message: 'chunk out of order',
          detail: { description: `the chunk starts at ${range.start} but the upload holds ${size} bytes`, uuid: id },
          headers: { Range: rangeHeader(size), Location: `/v2/${repository}/blobs/uploads/${id}` },
        })
      }
      return { repository, id, size: await this.write(repository, id, body) }
    })
  }

  /**
   * Completes the session: appends a final body, checks the content against `digest` and moves it
   * to its content-addressed path. On a mismatch nothing is stored and the session is gone.
   */
  async finish(repository: string, id: string, digest: string, body: ReadableStream<Uint8Array> | null): Promise<{ digest: string; size: number }> {
    const expected = requireDigest(digest)
    return this.locks.run(id, async () => {
      const stored = await this.size(repository, id)
      const size = body ? await this.write(repository, id, body) : stored
      const actual = await this.digestOf(repository, id, expected.algorithm, size)
      if (actual !== expected.value) {
        await this.discard(repository, id)
        throw new RegistryError('DIGEST_INVALID', { detail: { description: `the content's digest is ${actual}`, digest: expected.value } })
      }
      if (await this.blobs.exists(repository, expected.value)) {
        await this.discard(repository, id)
      } else {
        await this.blobs.commit(repository, expected.value, uploadPath(repository, id))
        this.hashStates.delete(id)
      }
      await this.indexes.ensure(repository)
      return { digest: expected.value, size }
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

  private async discard(repository: string, id: string): Promise<void> {
    this.hashStates.delete(id)
    await this.driver.delete(uploadPath(repository, id))
  }

  /** Streams the body into the session; returns the new size. */
  private async write(repository: string, id: string, body: ReadableStream<Uint8Array> | null): Promise<number> {
    const writer = await this.driver.writer(uploadPath(repository, id), { append: true })
    const state = await this.hashStateFor(repository, id, writer.size)
    // Until the body is fully written the hash state may disagree with storage: drop it, so a
    // failure half-way (client gone, disk full) forces a re-hash instead of a wrong digest.
    this.hashStates.delete(id)
    try {
      if (body) {
        for await (const chunk of body) {
          await writer.write(chunk)
          state.hasher.update(chunk)
          state.hashed += chunk.byteLength
        }
      }
    } finally {
      await writer.close()
    }
    state.lastUsed = Date.now()
    this.hashStates.set(id, state)
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
