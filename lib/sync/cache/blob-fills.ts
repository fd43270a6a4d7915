/**
 * @module
 * Pull-through blobs, single flight per (repository, digest): the first request starts one
 * upstream GET that is written to a spool; that request and every concurrent one tail the spool.
 * The fill verifies the digest before any reader may see the last byte; a mismatch stores nothing
 * and breaks every transfer. The verified spool then becomes the blob: renamed into place when
 * storage is on the same filesystem (no second write, no second hash; the CPU this saves is in
 * docs/performance.md), otherwise streamed through the
 * registry's own upload path, which verifies the digest again while it writes (S3, another
 * filesystem). The fill belongs to no client: one that disconnects only stops its own tail.
 * Once sync stops (`signal`), a fill nobody waits for is cancelled; one that clients are still
 * reading goes on until the last of them is gone, so a stop never breaks a download in flight.
 *
 * Transfers are cut only when idle (`responseHeaderTimeout` without a byte) or past
 * `syncTimeout`, never for being long (zot #2416, #3359, #4079).
 */
import { RegistryError } from '../../errors/registry-error'
import type { Logger } from '../../log/logger'
import { createHasher, requireDigest } from '../../oci/digest'
import type { Content } from '../../registry/content-source'
import type { Registry } from '../../registry/registry'
import { firstRoute, routeLabel, type Route } from '../routing/route'
import { upstreamFailure } from '../routing/upstream-failure'
import { Spool } from './spool'
import { isUpstreamError, UpstreamError } from '../upstream/upstream-error'
import type { BlobDownload } from '../upstream/upstream-source'

export interface BlobFillsOptions {
  registry: Registry
  /** Where spools are created (zot's `downloadDir`, or a default beside the storage). */
  spoolDirectory: string
  logger: Logger
  /** Sync's lifetime: once aborted, fills nobody waits for are cancelled. */
  signal?: AbortSignal
}

/** How long a finished fill keeps answering "it is in storage now" to late joiners. */
const COMMITTED_GRACE_MS = 10_000

interface Fill {
  /** Resolves once the upstream answered (size known); rejects when no route has the blob. */
  ready: Promise<Spool>
  /** Resolves once the blob is in storage. */
  committed: Promise<void>
  isCommitted: boolean
  size: number | undefined
  /** Clients tailing the spool, and `ensure` callers still waiting. */
  waiters: number
  /** Cancels the download. */
  controller: AbortController
}

export class BlobFills {
  private readonly fills = new Map<string, Fill>()
  /** The sweep of spools a dead process left; no spool of ours is made before it ends. */
  private readonly swept: Promise<void>

  constructor(private readonly options: BlobFillsOptions) {
    this.swept = Spool.removeStale(options.spoolDirectory)
    options.signal?.addEventListener(
      'abort',
      () => {
        for (const fill of this.fills.values()) if (fill.waiters === 0) fill.controller.abort()
      },
      { once: true },
    )
  }

  /** The size of a blob being filled, once its upstream answered. */
  size(repository: string, digest: string): number | undefined {
    return this.fills.get(key(repository, digest))?.size
  }

  /**
   * Whether a fill of the blob runs and has not stored it yet: its spool answers at once, while
   * storage may not have the blob (S3 holds it only when the commit completes) and may be slow to
   * say so (the machine busy with the commit).
   */
  filling(repository: string, digest: string): boolean {
    const fill = this.fills.get(key(repository, digest))
    return fill !== undefined && !fill.isCommitted
  }

  /**
   * Streams the blob from the running fill, starting one if needed. A range is answered from
   * storage once the fill has verified and stored the whole blob: the spool's bytes are not
   * verified until the last one, and a range never reaches that point (a corrupt upstream would
   * otherwise get a 206 with wrong bytes past every check).
   */
  async open(
    repository: string,
    digest: string,
    routes: Route[],
    range?: { offset: number; length: number },
  ): Promise<Content> {
    if (range) {
      await this.ensure(repository, digest, routes)
      return this.openStored(repository, digest, routes, range)
    }
    const fill = this.join(repository, digest, routes)
    if (fill.isCommitted) return this.openStored(repository, digest, routes)
    fill.waiters++
    let spool: Spool
    try {
      spool = await fill.ready
    } catch (error) {
      this.leave(fill)
      throw error
    }
    // Stored meanwhile, the spool may be released already: storage has the blob.
    if (fill.isCommitted) {
      this.leave(fill)
      return this.openStored(repository, digest, routes)
    }
    return spool.tail(() => this.leave(fill))
  }

  /**
   * Fetches and stores the blob unless it is already being fetched; resolves once stored. Stops
   * waiting (rejects) when `signal` aborts; the fill goes on while others wait for it.
   */
  async ensure(repository: string, digest: string, routes: Route[], signal?: AbortSignal): Promise<void> {
    const fill = this.join(repository, digest, routes)
    fill.waiters++
    try {
      await unlessAborted(fill.committed, signal)
    } finally {
      this.leave(fill)
    }
  }

  /**
   * A blob a finished fill stored. Evicted since (the cache budget deletes cached blobs online),
   * the finished fill is forgotten and a new one stores the blob again, once.
   */
  private async openStored(
    repository: string,
    digest: string,
    routes: Route[],
    range?: { offset: number; length: number },
  ): Promise<Content> {
    try {
      return await this.options.registry.openBlob(repository, digest, range)
    } catch (error) {
      if (!(error instanceof RegistryError && error.code === 'BLOB_UNKNOWN')) throw error
      const k = key(repository, digest)
      if (this.fills.get(k)?.isCommitted) this.fills.delete(k)
      await this.ensure(repository, digest, routes)
      return this.options.registry.openBlob(repository, digest, range)
    }
  }

  /** Resolves once every fill nobody waits for has ended (cancelled, once sync stops). */
  async settled(): Promise<void> {
    const unwaited = [...this.fills.values()].filter((fill) => fill.waiters === 0)
    await Promise.allSettled(unwaited.map((fill) => fill.committed))
  }

  private leave(fill: Fill): void {
    if (--fill.waiters === 0 && this.options.signal?.aborted) fill.controller.abort()
  }

  private join(repository: string, digest: string, routes: Route[]): Fill {
    const k = key(repository, digest)
    const running = this.fills.get(k)
    if (running) return running
    let resolveReady!: (spool: Spool) => void
    let rejectReady!: (error: unknown) => void
    const fill: Fill = {
      ready: new Promise((resolve, reject) => ((resolveReady = resolve), (rejectReady = reject))),
      committed: Promise.resolve(),
      isCommitted: false,
      size: undefined,
      waiters: 0,
      controller: new AbortController(),
    }
    // A rejection nobody awaits (all clients gone) must not crash the process.
    fill.ready.catch(() => {})
    fill.committed = this.run(repository, digest, routes, fill, resolveReady, rejectReady)
    fill.committed.then(
      () => {
        fill.isCommitted = true
        setTimeout(() => this.fills.get(k) === fill && this.fills.delete(k), COMMITTED_GRACE_MS).unref()
      },
      () => this.fills.get(k) === fill && this.fills.delete(k),
    )
    this.fills.set(k, fill)
    return fill
  }

  private async run(
    repository: string,
    digest: string,
    routes: Route[],
    fill: Fill,
    ready: (spool: Spool) => void,
    fail: (error: unknown) => void,
  ): Promise<void> {
    let spool: Spool | undefined
    let commit: Promise<void> | undefined
    let route: Route | undefined
    const { controller } = fill
    // Storage that can rename a local file into place takes the verified spool as it is; other
    // storage is fed from the spool while it fills.
    const adoptable = this.options.registry.adoptsFiles
    try {
      await this.swept
      // The spool file is made while the upstream is asked (the first byte waits for neither
      // one after the other). A download that fails leaves a spool the `finally` releases; a
      // spool that cannot be made cancels the download (the `catch` aborts it).
      const [created, found] = await Promise.allSettled([
        Spool.create(this.options.spoolDirectory, { named: adoptable }),
        this.download(digest, routes, controller.signal),
      ])
      if (created.status === 'rejected') throw created.reason
      spool = created.value
      if (found.status === 'rejected') throw found.reason
      route = found.value.route
      const { download } = found.value
      fill.size = download.size
      ready(spool)
      if (!adoptable) {
        commit = this.commit(repository, digest, spool)
        commit.catch(() => {})
      }
      await this.pump(digest, route, download, spool, controller)
      await spool.complete()
      // Known now even when the upstream sent no Content-Length.
      fill.size = spool.size
      await (commit ?? this.adoptOrCommit(repository, digest, spool))
      // Before the spool is released (below): a client joining from now on reads storage.
      fill.isCommitted = true
      this.options.logger.debug('sync: blob cached', {
        repository,
        digest,
        size: spool.size,
        upstream: routeLabel(route),
      })
    } catch (error) {
      const cause = error instanceof Error ? error : new Error(String(error))
      // A transfer that broke or did not verify is the upstream's failure: 503 to whoever waits
      // for the fill; tails already answering break with the cause itself.
      const failure =
        route && isUpstreamError(error) ? upstreamFailure('BLOB_UNKNOWN', { digest }, [{ route, error }]) : cause
      spool?.fail(cause)
      fail(failure)
      controller.abort()
      await commit?.catch(() => {})
      this.options.logger.warn('sync: blob not cached', { repository, digest, error: cause.message })
      throw failure
    } finally {
      spool?.release()
    }
  }

  /** The first route whose upstream has the blob; a 404 or 503 naming each one asked if none. */
  private async download(
    digest: string,
    routes: Route[],
    signal: AbortSignal,
  ): Promise<{ route: Route; download: BlobDownload }> {
    const found = await firstRoute(routes, (route) => route.upstream.fetchBlob(route.remote, digest, { signal }))
    if (!('value' in found)) throw upstreamFailure('BLOB_UNKNOWN', { digest }, found.failures)
    return { route: found.route, download: found.value }
  }

  /**
   * Copies the download into the spool, hashing, with an overall cap (the upstream client's
   * watchdog already cuts a body that stalls or breaks, as an `unavailable` UpstreamError).
   */
  private async pump(
    digest: string,
    route: Route,
    download: BlobDownload,
    spool: Spool,
    controller: AbortController,
  ): Promise<void> {
    const expected = requireDigest(digest)
    const hasher = createHasher(expected.algorithm)
    const { syncTimeout } = route.registry
    const capTimer = setTimeout(() => controller.abort(), syncTimeout)
    try {
      for await (const chunk of download.body) {
        hasher.update(chunk)
        await spool.append(chunk)
      }
    } catch (error) {
      const reason = !controller.signal.aborted
        ? (error as Error).message
        : this.options.signal?.aborted
          ? 'cancelled: sync is stopping and nobody is waiting for it'
          : `past syncTimeout (${syncTimeout} ms)`
      throw new UpstreamError('unavailable', `${routeLabel(route)}@${digest}: transfer broke: ${reason}`, {
        cause: error,
      })
    } finally {
      clearTimeout(capTimer)
    }
    const actual = hasher.digest()
    if (actual !== expected.value || (download.size !== undefined && download.size !== spool.size)) {
      throw new UpstreamError(
        'invalid',
        `${routeLabel(route)} sent ${spool.size} bytes hashing to ${actual} for ${digest}`,
      )
    }
  }

  /** Renames the verified spool into storage, or streams it there when storage cannot take it. */
  private async adoptOrCommit(repository: string, digest: string, spool: Spool): Promise<void> {
    const { registry } = this.options
    if (spool.path) {
      if (await registry.hasBlob(repository, digest)) return
      if (await registry.adoptBlob(repository, digest, spool.path)) return
    }
    await this.commit(repository, digest, spool)
  }

  /**
   * Streams the spool into storage through an upload (nothing stays if it fails). The tail holds
   * its last byte back until `pump` verified the digest, and errors if it did not: the upload
   * need not hash the bytes again.
   */
  private async commit(repository: string, digest: string, spool: Spool): Promise<void> {
    await this.options.registry.putBlob(repository, digest, spool.tail(), { origin: 'sync', verified: true })
  }
}

const key = (repository: string, digest: string): string => `${repository}@${digest}`

/** `promise`, or a rejection with the signal's reason as soon as `signal` aborts. */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(signal.reason)
    if (signal.aborted) return abort()
    signal.addEventListener('abort', abort, { once: true })
    void promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort))
  })
}
