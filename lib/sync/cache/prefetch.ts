/**
 * @module
 * `prefetch: true` on a registry entry (a zot-bun extension; zot has none): once a manifest was
 * fetched on demand, the blobs it names are fetched in the background, so that a manifest check
 * followed by an upstream outage still leaves an image that pulls. For an index, the children
 * of the entry's `platforms` are fetched (and so their blobs), else the child of this machine's
 * platform (`linux/<arch>`); a child a client asks for is fetched on demand anyway, and its
 * blobs then follow, so the platform a client wants is always covered.
 *
 * Bounded: a few jobs at once for the whole server and a bounded queue (a job past it is dropped,
 * said once); each blob goes through the blob fills, so a client pulling the same blob at the
 * same time shares the one upstream transfer, and through the cache budget, so a blob with no
 * room is skipped, never served or stored past the budget. The manifest response never waits:
 * jobs start on a later turn of the event loop. Sync's shutdown empties the queue and stops
 * waiting for the fills, which are then cancelled unless a client reads them.
 */
import type { Logger } from '../../log/logger'
import type { Registry } from '../../registry/registry'
import { hostPlatform, platformSpecs, platformWanted } from '../platforms'
import type { Route } from '../routing/route'
import type { FetchedManifest } from '../upstream/upstream-source'
import type { BlobFills } from './blob-fills'
import type { CacheBudget } from './budget/cache-budget'

export interface PrefetchOptions {
  registry: Registry
  fills: BlobFills
  budget: CacheBudget
  logger: Logger
  /** Sync's lifetime: once aborted, nothing more is started. */
  signal: AbortSignal
  /** Fetches and stores an index child through the cache's single flights (a client may ask too). */
  fetchChild(repository: string, digest: string, routes: Route[]): Promise<unknown>
  /** Jobs running at once, for the whole server. */
  concurrency?: number
  /** Jobs waiting; more are dropped. */
  maxQueued?: number
}

interface Job {
  kind: 'blob' | 'child'
  repository: string
  digest: string
  size: number | undefined
  routes: Route[]
}

const DEFAULT_CONCURRENCY = 2
const DEFAULT_MAX_QUEUED = 1000

export class Prefetch {
  private readonly queue: Job[] = []
  /** Keys of queued and running jobs: a blob named by two manifests is fetched once. */
  private readonly pending = new Set<string>()
  private running = 0
  private dropping = false
  private idle: (() => void)[] = []

  constructor(private readonly options: PrefetchOptions) {
    options.signal.addEventListener(
      'abort',
      () => {
        for (const job of this.queue.splice(0)) this.pending.delete(jobKey(job))
        this.settleIfIdle()
      },
      { once: true },
    )
  }

  /** A manifest was fetched from `route` on demand: queues what it names, if the entry prefetches. */
  manifestFetched(repository: string, fetched: FetchedManifest, route: Route): void {
    if (!route.registry.prefetch || this.options.signal.aborted) return
    const routes = [route]
    if (fetched.info.kind === 'index') {
      const specs = platformSpecs(route.registry)
      const wanted = specs.length > 0 ? specs : [hostPlatform()]
      for (const child of fetched.info.manifests) {
        if (platformWanted(child, wanted))
          this.add({ kind: 'child', repository, digest: child.digest, size: child.size, routes })
      }
      return
    }
    for (const blob of fetched.info.blobs)
      this.add({ kind: 'blob', repository, digest: blob.digest, size: blob.size, routes })
  }

  /** Resolves once no job runs or waits (at once, after sync stopped and the running ones ended). */
  settled(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idle.push(resolve))
  }

  private add(job: Job): void {
    const key = jobKey(job)
    if (this.pending.has(key)) return
    if (this.queue.length >= (this.options.maxQueued ?? DEFAULT_MAX_QUEUED)) {
      if (!this.dropping)
        this.options.logger.warn('sync: prefetch queue full; not prefetching more until it drains', {
          repository: job.repository,
          digest: job.digest,
        })
      this.dropping = true
      return
    }
    this.pending.add(key)
    this.queue.push(job)
    // Later: the manifest response that led here goes out first.
    setImmediate(() => this.pump())
  }

  private pump(): void {
    const limit = this.options.concurrency ?? DEFAULT_CONCURRENCY
    while (this.running < limit && !this.options.signal.aborted) {
      const job = this.queue.shift()
      if (!job) break
      this.running++
      void this.run(job).finally(() => {
        this.running--
        this.pending.delete(jobKey(job))
        if (this.queue.length === 0) this.dropping = false
        this.pump()
        this.settleIfIdle()
      })
    }
  }

  private async run(job: Job): Promise<void> {
    try {
      if (job.kind === 'child') await this.options.fetchChild(job.repository, job.digest, job.routes)
      else await this.fetchBlob(job)
    } catch (error) {
      if (this.options.signal.aborted) return
      this.options.logger.warn('sync: prefetch failed', {
        repository: job.repository,
        digest: job.digest,
        error: (error as Error).message,
      })
    }
  }

  private async fetchBlob(job: Job): Promise<void> {
    const { registry, fills, budget, signal } = this.options
    const { repository, digest, size, routes } = job
    if (await registry.hasBlob(repository, digest)) return
    // A fill already running (a client's) had its room; a new one must find room in the budget.
    const joining = fills.size(repository, digest) !== undefined
    if (!joining && !(await budget.admit(repository, digest, size))) return
    await fills.ensure(repository, digest, routes, signal)
    if (joining) return
    budget.counters.prefetchedBlobs++
    budget.counters.prefetchedBytes += size ?? 0
  }

  private settleIfIdle(): void {
    if (this.running > 0 || (this.queue.length > 0 && !this.options.signal.aborted)) return
    for (const resolve of this.idle.splice(0)) resolve()
  }
}

const jobKey = (job: Job): string => `${job.kind}|${job.repository}@${job.digest}`
