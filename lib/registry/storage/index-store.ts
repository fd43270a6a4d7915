/**
 * @module
 * Reads and updates repositories' `index.json`. Updates of one repository are serialised and each
 * is one atomic `putContent`, so concurrent tag pushes never lose a tag and a crash leaves the old
 * or the new index, never a torn one. Parsed indexes are cached: this process is the only writer
 * of its storage. Storage shared between processes (S3 replicas, `shared: true`) is never cached,
 * and each update is a compare-and-swap on index.json, retried when another replica won, so two
 * replicas pushing tags to one repository at once never lose one. There, a GC sweep claims the
 * blobs it deletes in index.json (sweep-claims.ts), and an update that relies on claimed blobs
 * waits until the claim is released.
 */
import { RegistryError } from '../../errors/registry-error'
import { PathNotFoundError, type StorageDriver } from '../../storage/driver'
import { emptyIndex, parseImageIndex, serializeImageIndex, type ImageIndex } from './image-index'
import { KeyedMutex } from './keyed-mutex'
import { indexPath, OCI_LAYOUT_CONTENT, ociLayoutPath } from '../layout'
import {
  blockingClaim,
  claimOf,
  isLive,
  withClaim,
  withoutClaim,
  type ClaimRequest,
  type SweepClaim,
} from '../maintenance/sweep-claims'

export interface IndexStoreOptions {
  /** Other processes write this storage too: no cache, compare-and-swap updates. */
  shared: boolean
  /** Called when a repository is first seen or created, to keep the catalog current. */
  onRepositorySeen?: (repository: string) => void
  /** Called once this process has created a repository (zot's `repository.created` event). */
  onRepositoryCreated?: (repository: string) => void
}

/** Rounds of compare-and-swap before giving up on a repository that keeps changing. */
const MAX_SWAP_ATTEMPTS = 20
/**
 * How long an update waits for a sweep's claim on blobs it relies on before answering 503: a
 * sweep holds a claim for seconds; a killed one's claim expires within its lease.
 */
const MAX_CLAIM_WAIT_MS = 20_000
const CLAIM_POLL_MS = 200

export interface UpdateOptions {
  /** Create the repository when it does not exist (default true). */
  create?: boolean
  /** Runs after a changed index is stored, still under the lock. */
  afterWrite?: () => Promise<void>
  /**
   * Digests the mutation relies on being present (a manifest's blobs): on shared storage it runs
   * only once no live sweep claims any of them, so its own existence checks see the sweep's end.
   */
  relies?: readonly string[]
}

/** A change to index.json: the new index, or undefined for none (re-runnable: it may be retried). */
export type Mutation = (index: ImageIndex) => ImageIndex | undefined | Promise<ImageIndex | undefined>

export class IndexStore {
  private readonly cache = new Map<string, ImageIndex>()
  private readonly locks = new KeyedMutex()
  /** Repositories known to exist, so `ensure` costs nothing after the first time. */
  private readonly existing = new Set<string>()

  constructor(
    private readonly driver: StorageDriver,
    private readonly options: IndexStoreOptions,
  ) {}

  /** The repository's index, or undefined when the repository does not exist. */
  async read(repository: string): Promise<ImageIndex | undefined> {
    const cached = this.cache.get(repository)
    if (cached) return cached
    let bytes: Uint8Array
    try {
      bytes = await this.driver.getContent(indexPath(repository))
    } catch (error) {
      if (error instanceof PathNotFoundError) return undefined
      throw error
    }
    let index: ImageIndex
    try {
      index = parseImageIndex(bytes)
    } catch (error) {
      throw new RegistryError('UNKNOWN', {
        message: 'repository index is corrupt',
        detail: { description: `${indexPath(repository)} cannot be parsed: ${(error as Error).message}`, repository },
      })
    }
    if (!this.options.shared) this.cache.set(repository, index)
    this.noteExists(repository)
    return index
  }

  /** The repository's index, or NAME_UNKNOWN. */
  async require(repository: string): Promise<ImageIndex> {
    const index = await this.read(repository)
    if (!index) throw new RegistryError('NAME_UNKNOWN', { detail: { name: repository } })
    return index
  }

  /**
   * Runs `mutate` on the current index under the repository's lock and stores its result; a
   * result of undefined means "no change". Creates the repository (oci-layout + index.json) when
   * `create` is set and it does not exist yet. `afterWrite` runs after a changed index is stored,
   * still under the lock (e.g. deleting a manifest blob only once no index names it).
   */
  async update(
    repository: string,
    mutate: Mutation,
    { create = true, afterWrite, relies = [] }: UpdateOptions = {},
  ): Promise<ImageIndex> {
    if (this.options.shared) return this.updateShared(repository, mutate, { create, afterWrite, relies })
    return this.locks.run(repository, async () => {
      let current = await this.read(repository)
      if (!current) {
        if (!create) throw new RegistryError('NAME_UNKNOWN', { detail: { name: repository } })
        current = emptyIndex()
        await this.driver.putContent(ociLayoutPath(repository), OCI_LAYOUT_CONTENT)
        await this.write(repository, current)
        this.options.onRepositoryCreated?.(repository)
      }
      const next = await mutate(current)
      if (!next) return current
      await this.write(repository, next)
      await afterWrite?.()
      return next
    })
  }

  /**
   * Waiting for a sweep's claim happens outside the repository's lock: the sweep may run in this
   * very process, and releasing its claim takes that lock.
   */
  private async updateShared(
    repository: string,
    mutate: Mutation,
    options: Required<Pick<UpdateOptions, 'create' | 'relies'>> & UpdateOptions,
  ): Promise<ImageIndex> {
    const waitUntil = Date.now() + MAX_CLAIM_WAIT_MS
    for (;;) {
      const outcome = await this.locks.run(repository, () => this.swap(repository, mutate, options))
      if (outcome !== CLAIMED) return outcome
      if (Date.now() >= waitUntil) throw sweepInProgress(repository)
      await Bun.sleep(CLAIM_POLL_MS)
    }
  }

  /** Whether other processes write this storage too (claims, compare-and-swap). */
  get shared(): boolean {
    return this.options.shared
  }

  /**
   * Writes a sweep's claim for `leaseMs` (sweep-claims.ts): what `decide` asks for, decided on the
   * very index the claim is written to. Undefined when `decide` asks for nothing, or when another
   * live sweep holds the repository.
   */
  async claim(
    repository: string,
    decide: (index: ImageIndex) => Promise<ClaimRequest | undefined>,
    leaseMs: number,
  ): Promise<SweepClaim | undefined> {
    let claim: SweepClaim | undefined
    await this.update(
      repository,
      async (index) => {
        claim = undefined
        const now = Date.now()
        const held = claimOf(index)
        if (held && isLive(held, now)) return undefined
        const request = await decide(index)
        if (!request) return undefined
        claim = { id: crypto.randomUUID(), until: now + leaseMs, ...request }
        return withClaim(index, claim)
      },
      { create: false },
    )
    return claim
  }

  /** Removes the sweep's claim (a no-op when it is gone already). */
  async release(repository: string, claim: SweepClaim): Promise<void> {
    await this.update(repository, (index) => withoutClaim(index, claim.id), { create: false })
  }

  /** Runs `critical` under the repository's lock (the lock `update` takes). */
  locked<T>(repository: string, critical: () => Promise<T>): Promise<T> {
    return this.locks.run(repository, critical)
  }

  /** Creates the repository if it does not exist. */
  async ensure(repository: string): Promise<void> {
    if (!this.existing.has(repository)) await this.update(repository, () => undefined)
  }

  /** Forgets a deleted repository. */
  forget(repository: string): void {
    this.cache.delete(repository)
    this.existing.delete(repository)
  }

  private noteExists(repository: string): void {
    this.existing.add(repository)
    this.options.onRepositorySeen?.(repository)
  }

  private async write(repository: string, index: ImageIndex): Promise<void> {
    await this.driver.putContent(indexPath(repository), serializeImageIndex(index))
    if (!this.options.shared) this.cache.set(repository, index)
    this.noteExists(repository)
  }

  /**
   * The shared-storage update: read index.json with its version, apply the mutation, write only
   * if nobody wrote in between; otherwise start again from what the winner wrote. Mutations are
   * re-runnable (they check and decide from the index they are given). CLAIMED when a live sweep
   * claims something the mutation relies on: the caller waits and tries again.
   */
  private async swap(
    repository: string,
    mutate: Mutation,
    { create, afterWrite, relies }: Required<Pick<UpdateOptions, 'create' | 'relies'>> & UpdateOptions,
  ): Promise<ImageIndex | typeof CLAIMED> {
    const { getContentWithETag, putContentIf } = this.driver
    if (!getContentWithETag || !putContentIf)
      throw new Error(`${this.driver.name} storage cannot be shared: it has no conditional writes`)
    for (let attempt = 0; attempt < MAX_SWAP_ATTEMPTS; attempt++) {
      const current = await getContentWithETag.call(this.driver, indexPath(repository)).then(
        ({ data, etag }) => ({ index: parseImageIndex(data), etag }),
        (error: unknown) => {
          if (error instanceof PathNotFoundError) return undefined
          throw error
        },
      )
      if (!current && !create) throw new RegistryError('NAME_UNKNOWN', { detail: { name: repository } })
      if (current && relies.length > 0 && blockingClaim(current.index, relies, Date.now())) return CLAIMED
      if (!current) await this.driver.putContent(ociLayoutPath(repository), OCI_LAYOUT_CONTENT)
      const base = current?.index ?? emptyIndex()
      const next = (await mutate(base)) ?? (current ? undefined : base)
      if (!next) {
        this.noteExists(repository)
        return base
      }
      const condition = current ? { ifMatch: current.etag } : ({ ifNoneMatch: '*' } as const)
      const { written } = await putContentIf.call(
        this.driver,
        indexPath(repository),
        serializeImageIndex(next),
        condition,
      )
      if (!written) continue
      this.noteExists(repository)
      if (!current) this.options.onRepositoryCreated?.(repository)
      await afterWrite?.()
      return next
    }
    throw new RegistryError('UNAVAILABLE', {
      detail: { description: `${indexPath(repository)} kept changing under concurrent updates; retry`, repository },
    })
  }
}

/** What `swap` answers instead of an index while a sweep claims what the update relies on. */
const CLAIMED = Symbol('claimed by a sweep')

const sweepInProgress = (repository: string): RegistryError =>
  new RegistryError('UNAVAILABLE', {
    detail: { description: `GC is deleting blobs this manifest references in ${repository}; retry`, repository },
    headers: { 'Retry-After': '5' },
  })
