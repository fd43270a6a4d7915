/**
 * @module
 * A pull-through cache that fits the disk it has (docs/sync.md "Cache size on small disks"; zot
 * has no budget: a Pi's SD card fills and the registry fails).
 *
 * - `cacheMaxBytes`: once content only the cache holds grows past it, the least recently pulled
 *   cached images are evicted, whole (tags, manifests, then blobs nothing else uses;
 *   lib/maintenance/cache-eviction.ts), until it is down to `cacheLowWatermark` (90% of the
 *   budget by default). Pushed content is never evicted nor counted.
 * - Before a blob is cached, the disks it is written to (the spool directory, the local storage
 *   root) must keep `cacheMinFreeBytes` free besides it (plus a little headroom for manifests
 *   and metadata). If not, images are evicted first (when a budget key is set); if the blob still
 *   does not fit, or is bigger than the whole budget, the client gets it straight from the
 *   upstream, verified but not stored, and the log says so once until the disk has room again.
 * - A manifest storage refuses for lack of room (a disk filled by something else) is handled the
 *   same way through manifest-cache.ts: evict first, else held in memory and served from there.
 *
 * Passes run one at a time: after a start-up count, as soon as an admitted blob takes the
 * estimate past the budget, and at most every 30 s after the mirror or the cache stored manifests
 * (what the mirror copies is not admitted blob by blob). Each pass counts the cache again
 * (cache-census.ts), keeping in the estimate only the admitted blobs still being fetched.
 */
import type { Logger } from '../../../log/logger'
import { RecentActivity } from '../../../maintenance/gc/activity'
import { evictCachedImage, type CachedImage } from '../../../maintenance/cache-eviction'
import type { MetricFamily } from '../../../maintenance/reports/metrics'
import type { MetaStore } from '../../../meta/meta-store'
import type { StorePart } from '../../../registry/open-store'
import type { Registry } from '../../../registry/registry'
import { subPathOf } from '../../../registry/sub-paths/routed-registry'
import type { Route } from '../../routing/route'
import type { FetchedManifest } from '../../upstream/upstream-source'
import type { ManifestRoom } from '../manifest-cache'
import { CacheCounters } from './budget-metrics'
import { takeCensus, type CacheCensus } from './cache-census'
import { leastFreeSpace } from './free-space'
import { HeldManifests } from './held-manifests'
import { straightThrough } from './straight-through'

export type BudgetStore = Pick<StorePart, 'route' | 'registry' | 'meta' | 'rootDirectory'>

export interface CacheBudgetOptions {
  /** The registry sync serves (every store, routed). */
  registry: Registry
  /** Every store, the default one first (open-store.ts's `parts`); none: nothing is evicted. */
  stores: readonly BudgetStore[]
  maxBytes?: number | undefined
  lowWatermark?: number | undefined
  minFreeBytes?: number | undefined
  /** Where pulls are staged (`downloadDir`): a disk the cache writes to whatever the storage. */
  spoolDirectory: string
  logger: Logger
  signal?: AbortSignal
}

/** Room kept besides `cacheMinFreeBytes` for what a pull writes besides blobs: manifests, index.json, metadata. */
const HEADROOM_BYTES = 1 << 20
/** A blob uploaded, mounted or checked this recently is spared: a client is about to rely on it. */
const TOUCH_GRACE_MS = 10 * 60_000
/** A blob read from storage this recently may not be open yet (lazy files): its deletion waits. */
const READ_GRACE_MS = 2_000
/** Reads are forgotten once past the grace, every this many reads. */
const READS_PRUNE_EVERY = 1_000
/**
 * After the cache or the mirror stored manifests, the cache is counted again once this long has
 * passed since the last count: pulls are counted as they are admitted, so this only catches what
 * the mirror copied, and a busy cache is not walked over and over.
 */
const RECOUNT_INTERVAL_MS = 30_000
/** An admitted blob not stored by then never will be (its fill failed): no longer counted. */
const ADMITTED_TTL_MS = 10 * 60_000
const DEFAULT_LOW_WATERMARK = 0.9
/** After a pass found nothing to evict for space, pulls are served straight this long before the next try. */
const FRUITLESS_RETRY_MS = 30_000
/** A pass left over the budget by pulls in progress is followed by another this soon. */
const RETRY_MS = 2_000
const MAX_RETRIES = 5
/** How often "over the budget and nothing more to evict" may be said. */
const OVER_WARNING_MS = 60_000

export class CacheBudget implements ManifestRoom {
  readonly counters = new CacheCounters()
  private readonly activity = new RecentActivity()
  private readonly reads = new RecentActivity()
  private readsSincePrune = 0
  private readonly unsubscribe: () => void
  /** Content only the cache holds: the last count plus admitted blobs not stored at that count. */
  private estimate = 0
  /** Blobs admitted and not yet seen stored by a count: digest → size and when. */
  private readonly admitted = new Map<string, { size: number; at: number }>()
  private lastPassAt = Number.NEGATIVE_INFINITY
  private counted = false
  private passes: Promise<void> = Promise.resolve()
  private passQueued = false
  private recountTimer: Timer | undefined
  /** Whether the last refusal was logged and no blob was admitted since. */
  private refusing = false
  private readonly heldManifests = new HeldManifests()
  /** Whether a manifest was held in memory and none was stored since (logged once). */
  private holding = false
  private overWarnedAt = Number.NEGATIVE_INFINITY
  /** Passes in a row that followed one left over the budget by pulls in progress. */
  private retries = 0
  /** When a pass last freed nothing for a short disk (a full count is not redone for every blob). */
  private fruitlessAt = Number.NEGATIVE_INFINITY

  constructor(private readonly options: CacheBudgetOptions) {
    // Blob touches only: a manifest the cache just stored is no client's upload in progress.
    const unsubscribe = options.registry.events.subscribe({
      blobTouched: (repository, digest) => this.activity.touch(repository, digest),
      manifestPushed: (_repository, _digest, _tags, origin) => {
        if (origin === 'sync') this.recountSoon()
      },
    })
    this.unsubscribe = () => {
      unsubscribe()
      clearTimeout(this.recountTimer)
    }
  }

  /** Whether a budget key asks for eviction at all (without one, blobs only bypass a full disk). */
  get evicts(): boolean {
    const { maxBytes, minFreeBytes, stores } = this.options
    return stores.length > 0 && (maxBytes !== undefined || minFreeBytes !== undefined)
  }

  private get lowWatermark(): number {
    const { maxBytes, lowWatermark } = this.options
    return lowWatermark ?? Math.floor((maxBytes ?? 0) * DEFAULT_LOW_WATERMARK)
  }

  /** Counts the cache at start (and evicts if it is already over budget). */
  start(): void {
    if (this.evicts) this.schedule()
  }

  /** Stops following events and waits for a running pass. */
  async stop(): Promise<void> {
    this.unsubscribe()
    await this.passes
  }

  metrics(): MetricFamily[] {
    const budget = this.evicts ? { bytes: this.estimate, maxBytes: this.options.maxBytes } : undefined
    return this.counters.families(budget)
  }

  /**
   * Whether a blob of `size` bytes (undefined: unknown) about to be fetched for `repository`
   * may be cached. Makes room first when the disk is short; false means: serve it straight.
   */
  async admit(repository: string, digest: string, size: number | undefined): Promise<boolean> {
    const { maxBytes } = this.options
    if (maxBytes !== undefined && size !== undefined && size > maxBytes) {
      return this.refuse(repository, digest, size, `it is bigger than cacheMaxBytes (${maxBytes} bytes)`)
    }
    const directories = this.directoriesOf(repository)
    const needed = (size ?? 0) + (this.options.minFreeBytes ?? 0) + HEADROOM_BYTES
    if ((await leastFreeSpace(directories)) < needed) {
      await this.evictForSpace(directories, needed)
      const free = await leastFreeSpace(directories)
      if (free < needed) {
        const reason = `the disk has ${free} bytes free and keeping ${needed - (size ?? 0)} free leaves no room for it`
        return this.refuse(repository, digest, size, reason)
      }
    }
    this.refusing = false
    // Without a budget key nothing counts the cache: nothing to add to.
    if (this.evicts && size !== undefined && !this.admitted.has(digest)) {
      this.admitted.set(digest, { size, at: Date.now() })
      this.estimate += size
    }
    if (maxBytes !== undefined && this.estimate > maxBytes) this.schedule()
    return true
  }

  /** A client is about to read a blob or manifest from storage (marked before it is opened). */
  read(repository: string, digest: string): void {
    if (!this.evicts) return
    this.reads.touch(repository, digest)
    if (++this.readsSincePrune < READS_PRUNE_EVERY) return
    this.readsSincePrune = 0
    this.reads.forgetBefore(Date.now() - READ_GRACE_MS)
  }

  /** After storage refused a manifest for lack of room: evicts (if a key allows) until it fits. */
  async makeRoom(repository: string, bytes: number): Promise<boolean> {
    const directories = this.directoriesOf(repository)
    const needed = bytes + HEADROOM_BYTES
    return (await this.evictForSpace(directories, needed)) && (await leastFreeSpace(directories)) >= needed
  }

  /**
   * Runs a pass that evicts until `directories` have `bytes` free, if a key allows and the last
   * such pass did not just find nothing to evict; whether a pass ran.
   */
  private async evictForSpace(directories: string[], bytes: number): Promise<boolean> {
    if (!this.evicts || Date.now() - this.fruitlessAt < FRUITLESS_RETRY_MS) return false
    await this.runPass({ directories, bytes })
    return true
  }

  /** Keeps a manifest storage had no room for in memory, to serve it without storing it. */
  hold(repository: string, fetched: FetchedManifest): void {
    const { digest } = fetched.descriptor
    if (!this.holding) {
      this.options.logger.warn('sync: no room to store manifests; serving them from memory until there is', {
        repository,
        digest,
      })
    }
    this.holding = true
    this.heldManifests.hold(repository, digest, fetched.bytes)
  }

  held(repository: string, digest: string): Uint8Array | undefined {
    return this.heldManifests.body(repository, digest)
  }

  /** A manifest was stored: the disk has room again (a later refusal is logged again). */
  stored(): void {
    this.holding = false
  }

  /** Serves a blob the cache has no room for straight from the upstream (verified, not stored). */
  straightThrough(digest: string, routes: readonly Route[]): Promise<ReadableStream<Uint8Array>> {
    this.counters.straightThrough++
    return straightThrough(digest, routes)
  }

  private refuse(repository: string, digest: string, size: number | undefined, reason: string): false {
    if (!this.refusing) {
      this.options.logger.warn(
        'sync: no room to cache; blobs that do not fit are served straight from the upstream, and not prefetched, until there is',
        {
          repository,
          digest,
          size,
          reason,
        },
      )
    }
    this.refusing = true
    return false
  }

  private storeOf(repository: string): BudgetStore {
    const [defaultStore, ...subStores] = this.options.stores
    const byRoute = Object.fromEntries(subStores.map((store) => [store.route ?? '', store]))
    return subPathOf(byRoute, repository) ?? defaultStore!
  }

  private metaOf = (repository: string): MetaStore => this.storeOf(repository).meta

  private directoriesOf(repository: string): string[] {
    const store = this.options.stores.length > 0 ? this.storeOf(repository) : undefined
    const local = store?.registry.storageName === 'local'
    return [this.options.spoolDirectory, ...(store && local ? [store.rootDirectory] : [])]
  }

  /** A pass once `RECOUNT_INTERVAL_MS` passed since the last one (or after `wait` ms). */
  private recountSoon(wait = Math.max(0, this.lastPassAt + RECOUNT_INTERVAL_MS - Date.now())): void {
    if (!this.evicts || this.recountTimer) return
    this.recountTimer = setTimeout(() => {
      this.recountTimer = undefined
      this.schedule()
    }, wait)
    this.recountTimer.unref()
  }

  /** Queues a pass unless one is queued already (one that runs now may have counted too early). */
  private schedule(): void {
    if (this.passQueued) return
    this.passQueued = true
    void this.runPass()
  }

  /** Runs a pass after the ones before it; `space`: also free disk space until it has `bytes`. */
  private runPass(space?: { directories: string[]; bytes: number }): Promise<void> {
    const run = this.passes.then(async () => {
      this.passQueued = false
      if (this.options.signal?.aborted) return
      try {
        await this.pass(space)
      } catch (error) {
        this.options.logger.error('sync: cache eviction pass failed', { error })
      }
    })
    this.passes = run
    return run
  }

  private async pass(space: { directories: string[]; bytes: number } | undefined): Promise<void> {
    const { registry, maxBytes, logger, signal } = this.options
    this.lastPassAt = Date.now()
    const census = await takeCensus(registry, this.metaOf, signal)
    const filling = this.stillAdmitted(census)
    this.estimate = census.bytes + filling
    if (!this.counted) {
      this.counted = true
      logger.info('sync: cache counted', { bytes: census.bytes, images: census.images.length, maxBytes })
    }
    const goal = maxBytes !== undefined && this.estimate > maxBytes ? this.lowWatermark : Number.POSITIVE_INFINITY
    // Evicting for space that all of the cache could not make is pointless: the blob is served
    // straight through and the cache stays warm.
    const hopeless = space !== undefined && (await leastFreeSpace(space.directories)) + census.bytes < space.bytes
    const short = async () =>
      space !== undefined && !hopeless && (await leastFreeSpace(space.directories)) < space.bytes
    let evicted = 0
    let skipped = 0
    for (const image of census.images) {
      if (signal?.aborted) break
      if (this.estimate <= goal && !(await short())) break
      if (await this.evict(image, census)) evicted++
      else skipped++
    }
    if (space && evicted === 0) this.fruitlessAt = Date.now()
    // Images pulled while they were chosen stayed, or blobs were still filling: once those are
    // done, another pass (a few in a row at most; the next pull or mirror run starts them again).
    const over = maxBytes !== undefined && this.estimate > maxBytes
    if (over && (skipped > 0 || filling > 0) && this.retries < MAX_RETRIES) {
      this.retries++
      this.recountSoon(RETRY_MS)
    } else if (!over) this.retries = 0
    // Blobs still filling count too: said once a minute.
    if (maxBytes !== undefined && this.estimate > maxBytes && Date.now() - this.overWarnedAt >= OVER_WARNING_MS) {
      this.overWarnedAt = Date.now()
      logger.warn('sync: the cache is over cacheMaxBytes and nothing more can be evicted now', {
        bytes: this.estimate,
        maxBytes,
      })
    }
  }

  /** Bytes of admitted blobs the count did not find stored (still filling); forgets the others. */
  private stillAdmitted(census: CacheCensus): number {
    let bytes = 0
    const expired = Date.now() - ADMITTED_TTL_MS
    for (const [digest, { size, at }] of this.admitted) {
      if (census.sizes.has(digest) || at < expired) this.admitted.delete(digest)
      else bytes += size
    }
    return bytes
  }

  /** Evicts one image; whether it went. */
  private async evict(image: CachedImage, census: CacheCensus): Promise<boolean> {
    const store = this.storeOf(image.repository)
    const context = {
      registry: this.options.registry,
      meta: store.meta,
      activity: this.activity,
      touchGraceMs: TOUCH_GRACE_MS,
      reads: this.reads,
      readGraceMs: READ_GRACE_MS,
    }
    const eviction = await evictCachedImage(context, image).catch((error: unknown) => {
      this.options.logger.warn('sync: cached image not evicted', {
        repository: image.repository,
        digest: image.digest,
        error,
      })
      return undefined
    })
    if (!eviction?.evicted) return false
    for (const digest of image.blobs) {
      const users = census.users.get(digest)
      if (users === undefined) continue
      if (users > 1) census.users.set(digest, users - 1)
      else {
        census.users.delete(digest)
        this.estimate -= census.sizes.get(digest) ?? 0
      }
    }
    const freed = [...eviction.deleted.values()].reduce((sum, size) => sum + size, 0)
    this.counters.evictions++
    this.counters.evictedBytes += freed
    this.options.logger.info('sync: evicted a cached image', {
      repository: image.repository,
      digest: image.digest,
      lastUsed: new Date(image.lastUsed).toISOString(),
      blobsDeleted: eviction.deleted.size,
      bytesFreed: freed,
      cacheBytes: this.estimate,
    })
    return true
  }
}
