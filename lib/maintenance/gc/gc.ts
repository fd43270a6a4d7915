/**
 * @module
 * Online garbage collection of one store (docs/zot-compatibility.md 6.5), one repository at a time, and
 * never racing a push. The races it prevents, and how:
 *
 * - Manifest PUT vs blob deletion: blobs are deleted under the repository's lock, the lock
 *   ManifestStore.put holds while it checks that the blobs it references exist and records the
 *   manifest. Either GC sees the new manifest and keeps its blobs, or the PUT sees the blob gone
 *   and answers MANIFEST_BLOB_UNKNOWN: no manifest ever points at a deleted blob.
 * - "Blob exists" vs deletion: a blob uploaded, mounted or HEAD-checked within `gcDelay` is young
 *   (RecentActivity) whatever its mtime says (a mount or dedupe link keeps an old inode's mtime),
 *   so the client's manifest PUT that follows finds it (quay#6318, zot#77).
 * - No push waits for GC: the expensive part (listing, stat, reading manifests) runs without the
 *   lock on a snapshot; under the lock GC only re-checks its candidates against the current index
 *   and their current mtime, then deletes. Request bodies are never read under any lock.
 * - Index rewrites go through the registry's index update, so they serialise with pushes and tag
 *   deletes, and the cached index stays right.
 * - Upload sessions idle for `gcDelay`, and at least 10 minutes, are stale: a client between its
 *   POST and PUT, or between two PATCHes, is never cut off.
 * - Replicas on one bucket take no lock of each other's: there, blobs are claimed in index.json
 *   by compare-and-swap before they are deleted, and touches are shared through the bucket
 *   (sweepClaimed, activity.ts; docs/s3.md "GC on several replicas").
 */
import { RegistryError } from '../../errors/registry-error'
import type { Logger } from '../../log/logger'
import type { MetaStore, RepositoryStats } from '../../meta/meta-store'
import type { Descriptor } from '../../oci/manifest'
import { MANIFEST_MEDIA_TYPES } from '../../oci/media-types'
import type { ImageIndex } from '../../registry/storage/image-index'
import type { Registry, RepositoryMaintenance, StoredFile } from '../../registry/registry'
import type { RecentActivity } from './activity'
import { formatAge } from '../reports/format'
import { addDecision, emptyReport, type GcDecision, type GcReport } from './gc-report'
import { planIndex, type IndexPlan, type ManifestFacts } from './index-plan'
import type { GcSettings } from '../options'
import { reachableBlobs } from './reachability'
import { policyFor } from './retention'

/** Blobs claimed at once on shared storage: keeps index.json small and each lease short. */
const SWEEP_BATCH = 200
/** How long a claim on shared storage lets its sweep delete (pushes waiting on it: longer). */
const SWEEP_LEASE_MS = 30_000

/** Upload sessions idle for less than this are never removed, whatever `gcDelay` says. */
export const UPLOAD_MIN_IDLE_MS = 10 * 60_000

export interface GcContext {
  registry: Registry
  logger: Logger
  /** Push and pull times for retention; without it, mtimes stand in for push times. */
  meta?: MetaStore
  /** Recent blob touches; the server passes its tracker, the offline command has none. */
  activity?: RecentActivity
  /** Nothing counts as idle since before this (the server's start: touches before it are lost). */
  graceSince?: number
  clock?: () => number
  signal?: AbortSignal
  onProgress?: (done: number, total: number, repository: string) => void
}

const noStats = (): RepositoryStats => ({ tags: new Map(), manifests: new Map() })

class RepositoryCollection {
  private readonly clock: () => number
  private readonly facts = new Map<string, ManifestFacts>()
  private quarantined = new Set<string>()
  private readonly store: RepositoryMaintenance

  constructor(
    private readonly context: GcContext,
    private readonly settings: GcSettings,
    private readonly repository: string,
    private readonly report: GcReport,
  ) {
    this.clock = context.clock ?? Date.now
    this.store = context.registry.maintenance(repository)
  }

  async run(): Promise<void> {
    const snapshot = await this.store.index()
    if (!snapshot) return
    const quarantined = await this.store.quarantined()
    this.quarantined = new Set(quarantined.map((file) => file.name))
    await this.gatherFacts(snapshot)
    const plan = await this.updateIndex()
    if (!plan) return
    await this.sweepBlobs(this.settings.dryRun ? plan.index : undefined)
    await this.sweepUploads()
    if (!this.settings.dryRun) await this.removeIfEmpty()
  }

  private decide(decision: Omit<GcDecision, 'repository'>): void {
    const full = { repository: this.repository, ...decision }
    addDecision(this.report, full)
    const { dryRun } = this.settings
    const fields = { module: 'gc', dryRun, ...full }
    if (decision.action === 'keep') this.context.logger.debug('gc keeps', fields)
    else this.context.logger.info(dryRun ? 'gc would delete' : 'gc deleted', fields)
  }

  /** Stats and parses every manifest the index names (children too), except known present ones. */
  private async gatherFacts(index: ImageIndex): Promise<void> {
    const visit = async (descriptor: Descriptor): Promise<void> => {
      if (this.facts.get(descriptor.digest)?.present) return
      const stat = await this.store.blob(descriptor.digest)
      const parse = stat !== undefined && MANIFEST_MEDIA_TYPES.has(descriptor.mediaType)
      const info = parse ? await this.store.manifestInfo(descriptor).catch(() => undefined) : undefined
      this.facts.set(descriptor.digest, {
        ...(info && { info }),
        present: stat !== undefined,
        quarantined: this.quarantined.has(descriptor.digest),
        ...(stat && { modifiedAt: stat.modifiedAt }),
      })
      for (const child of info?.manifests ?? []) await visit(child)
    }
    for (const entry of index.manifests) await visit(entry)
  }

  /** Retention, referrers, untagged and stale entries: planned and written under the lock. */
  private async updateIndex(): Promise<IndexPlan | undefined> {
    let plan: IndexPlan | undefined
    const policy = policyFor(this.settings.policies, this.repository)
    const { gcDelay, retentionDelay, dryRun } = this.settings
    const mutate = async (index: ImageIndex): Promise<ImageIndex | undefined> => {
      // Only entries pushed since the snapshot, and manifests that looked missing, are examined
      // again: these few reads are all the I/O done under the lock.
      await this.gatherFacts(index)
      for (const [digest, facts] of this.facts) {
        const touchedAt = this.context.activity?.lastTouched(this.repository, digest)
        if (touchedAt !== undefined) facts.touchedAt = touchedAt
      }
      const stats = (await this.context.meta?.repositoryStats(this.repository)) ?? noStats()
      const now = this.clock()
      plan = planIndex({ index, facts: this.facts, stats, policy, gcDelay, retentionDelay, now })
      return dryRun || !plan.changed ? undefined : plan.index
    }
    try {
      await this.store.updateIndex(mutate)
    } catch (error) {
      if (error instanceof RegistryError && error.code === 'NAME_UNKNOWN') return undefined
      throw error
    }
    if (!plan) return undefined
    for (const decision of plan.decisions) this.decide(decision)
    if (!dryRun) this.forgetStatistics(plan)
    return plan
  }

  private forgetStatistics(plan: IndexPlan): void {
    const meta = this.context.meta
    if (!meta) return
    const remaining = new Set(plan.index.manifests.map((entry) => entry.digest))
    for (const decision of plan.decisions) {
      if (decision.action !== 'delete') continue
      if (decision.kind === 'tag') meta.forgetTag(this.repository, decision.reference)
      if (!remaining.has(decision.digest)) meta.forgetManifest(this.repository, decision.digest)
    }
  }

  /** Idle: unchanged and untouched for `delay`, counting from the grace start at the earliest. */
  private isIdle(file: StoredFile, delay: number, digest?: string): boolean {
    const activity = this.context.activity
    const touched = digest === undefined ? undefined : activity?.lastTouched(this.repository, digest)
    const last = Math.max(file.modifiedAt, touched ?? 0, this.context.graceSince ?? 0)
    return this.clock() - last >= delay
  }

  private idleRule(file: StoredFile, delay: number, what: string): string {
    return `${what}; idle for ${formatAge(this.clock() - file.modifiedAt)} (limit ${formatAge(delay)})`
  }

  private deleteBlobDecision(file: StoredFile): Omit<GcDecision, 'repository'> {
    const rule = this.idleRule(file, this.settings.gcDelay, 'referenced by no manifest of the index')
    return { kind: 'blob', reference: file.name, action: 'delete', rule, bytes: file.size }
  }

  /**
   * Deletes unreferenced, idle blobs. Candidates come from a lock-free snapshot; under the lock
   * each is checked again against the current index and its current mtime.
   */
  private async sweepBlobs(dryRunIndex: ImageIndex | undefined): Promise<void> {
    const { store } = this
    const listed = await store.blobs()
    const snapshot = dryRunIndex ?? (await store.index())
    if (!snapshot) return
    const reach = await reachableBlobs(store, snapshot, this.quarantined)
    if (reach.problem !== undefined) {
      const message = `every blob kept: ${reach.problem}`
      this.report.warnings.push({ repository: this.repository, message })
      this.context.logger.warn('gc keeps every blob of the repository', {
        module: 'gc',
        repository: this.repository,
        message,
      })
      return
    }
    const { gcDelay } = this.settings
    const candidates = listed.filter((file) => !reach.blobs.has(file.name) && this.isIdle(file, gcDelay, file.name))
    if (dryRunIndex) {
      for (const file of candidates) this.decide(this.deleteBlobDecision(file))
      return
    }
    if (candidates.length === 0 && this.quarantined.size === 0) return
    if (store.shared) {
      await this.sweepClaimed(candidates.map((file) => file.name))
      await this.sweepQuarantine(reach.blobs)
      return
    }
    await store.locked(async () => {
      const current = await store.index()
      const live = current ? await reachableBlobs(store, current, this.quarantined) : { blobs: new Set<string>() }
      if ('problem' in live) return
      for (const candidate of candidates) {
        if (live.blobs.has(candidate.name)) continue
        const file = await store.blob(candidate.name)
        if (!file || !this.isIdle(file, gcDelay, candidate.name)) continue
        await store.deleteBlob(candidate.name)
        this.decide(this.deleteBlobDecision(file))
      }
      await this.sweepQuarantine(live.blobs)
    })
  }

  /**
   * Shared storage (replicas on one bucket): another process's push takes no lock of ours, so the
   * candidates are claimed in index.json first (sweep-claims.ts), in batches, each decided on the
   * index it is written to. Then other replicas' recent touches are read from the bucket, and
   * each claimed blob still idle is deleted until the claim's lease ends. Pushes relying on a
   * claimed blob wait for the release, then find it present or answer MANIFEST_BLOB_UNKNOWN.
   */
  private async sweepClaimed(candidates: string[]): Promise<void> {
    const { store } = this
    const { gcDelay } = this.settings
    const live = async (index: ImageIndex): Promise<ReadonlySet<string> | undefined> => {
      const reach = await reachableBlobs(store, index, this.quarantined)
      return reach.problem === undefined ? reach.blobs : undefined
    }
    for (let start = 0; start < candidates.length; start += SWEEP_BATCH) {
      if (this.context.signal?.aborted) return
      const claim = await store.claimBlobs(candidates.slice(start, start + SWEEP_BATCH), live, SWEEP_LEASE_MS)
      if (!claim) continue
      try {
        await this.context.activity?.catchUp(this.clock() - gcDelay)
        for (const digest of claim.blobs) {
          const file = await store.blob(digest)
          if (!file || !this.isIdle(file, gcDelay, digest)) continue
          // The lease is counted on the wall clock, as pushes on other replicas count it.
          if (Date.now() >= claim.until) break
          await store.deleteBlob(digest)
          this.decide(this.deleteBlobDecision(file))
        }
      } finally {
        await store.releaseClaim(claim)
      }
    }
  }

  /** Quarantined copies go once their blob is back (repaired) or no longer referenced. */
  private async sweepQuarantine(live: ReadonlySet<string>): Promise<void> {
    for (const file of await this.store.quarantined()) {
      const repaired = (await this.store.blob(file.name)) !== undefined
      if (!repaired && live.has(file.name)) continue
      await this.store.deleteQuarantined(file.name)
      const rule = repaired
        ? 'the blob was repaired (pushed or fetched again)'
        : 'no manifest of the index references it any more'
      this.decide({ kind: 'quarantine', reference: file.name, action: 'delete', rule, bytes: file.size })
    }
  }

  private async sweepUploads(): Promise<void> {
    const limit = Math.max(this.settings.gcDelay, UPLOAD_MIN_IDLE_MS)
    for (const upload of await this.store.uploads()) {
      if (!this.isIdle(upload, limit)) continue
      if (!this.settings.dryRun) {
        // Checked again right before deleting: a PATCH may have resumed the session meanwhile.
        const current = await this.store.upload(upload.name)
        if (!current || !this.isIdle(current, limit)) continue
        await this.store.deleteUpload(upload.name)
      }
      const rule = this.idleRule(upload, limit, 'stale upload session')
      this.decide({ kind: 'upload', reference: upload.name, action: 'delete', rule, bytes: upload.size })
    }
  }

  /** Removes a repository left with nothing (zot removes the directory once all its blobs went). */
  private async removeIfEmpty(): Promise<void> {
    if (!(await this.store.removeIfEmpty())) return
    this.context.meta?.forgetRepository(this.repository)
    const rule = 'no manifest, blob or upload left'
    this.decide({ kind: 'repository', reference: this.repository, action: 'delete', rule })
  }
}

/** Runs GC and retention over one repository, adding its decisions to `report`. */
export async function collectRepository(
  context: GcContext,
  settings: GcSettings,
  repository: string,
  report: GcReport,
): Promise<void> {
  await new RepositoryCollection(context, settings, repository, report).run()
}

/**
 * Multipart uploads a process killed mid-copy left open (S3; docs/s3.md "Uploads"), aborted once
 * older than the upload limit: no copy the driver runs takes that long. Reported as uploads of
 * the store's root (repository '').
 */
async function abortStaleTransfers(context: GcContext, settings: GcSettings, report: GcReport): Promise<void> {
  const abort = context.registry.abortStaleTransfers
  if (!abort || settings.dryRun) return
  const now = (context.clock ?? Date.now)()
  const limit = Math.max(settings.gcDelay, UPLOAD_MIN_IDLE_MS)
  try {
    for (const transfer of await abort.call(context.registry, new Date(now - limit))) {
      const age = `begun ${formatAge(now - transfer.startedAt.getTime())} ago (limit ${formatAge(limit)})`
      const decision: GcDecision = {
        repository: '',
        kind: 'upload',
        reference: transfer.path,
        action: 'delete',
        rule: `unfinished multipart upload; ${age}`,
      }
      addDecision(report, decision)
      context.logger.info('gc deleted', { module: 'gc', dryRun: false, ...decision })
    }
  } catch (error) {
    report.errors.push({ repository: '', message: (error as Error).message })
    context.logger.error('gc failed to abort stale multipart uploads', { module: 'gc', error })
  }
}

/**
 * One GC and retention pass over every repository of the store. A repository that fails is
 * reported and skipped; the others are still collected.
 *
 * @example
 * const report = await collectGarbage({ registry, logger, meta }, resolveGcSettings(config.storage))
 */
export async function collectGarbage(context: GcContext, settings: GcSettings): Promise<GcReport> {
  const clock = context.clock ?? Date.now
  const startedAt = clock()
  const report = emptyReport(settings.dryRun, startedAt)
  const repositories = [...(await context.registry.catalog.list())]
  for (const [done, repository] of repositories.entries()) {
    if (context.signal?.aborted) break
    context.onProgress?.(done, repositories.length, repository)
    try {
      await collectRepository(context, settings, repository, report)
      report.repositories++
    } catch (error) {
      report.errors.push({ repository, message: (error as Error).message })
      context.logger.error('gc failed for a repository', { module: 'gc', repository, error })
    }
  }
  if (!context.signal?.aborted) await abortStaleTransfers(context, settings, report)
  context.onProgress?.(repositories.length, repositories.length, '')
  context.activity?.forgetBefore(clock() - settings.gcDelay)
  report.durationMs = clock() - startedAt
  return report
}
