/**
 * @module
 * Reconciling local storage with `storage.dedupe` at start, in the background (docs/zot-compatibility.md
 * 6.3): turned on, identical blobs of different repositories become hard links to one inode;
 * turned off, shared inodes become independent copies again. Either walk runs when the setting
 * differs from the one the storage was last reconciled to (kept in the metadata store), and fills
 * the dedupe index the blob store consults when it commits an upload.
 *
 * Every replacement is the driver's `copy` (to a temporary name, then an atomic rename), so
 * readers see the old or the new file, never a missing one, and nothing needs a lock: blobs are
 * immutable, so replacing a path with the same bytes changes nothing a client can observe. The
 * copy that others are linked to is re-hashed first, so bit rot in one copy never spreads.
 * Local disk only (hard links and inode numbers). On S3, dedupe is zot's placeholder scheme
 * (lib/registry/storage/placeholders.ts, docs/s3.md "Dedupe"), and `restorePlaceholders` below, run by
 * `zot dedupe --restore`, makes a bucket self-contained again.
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '../log/logger'
import type { MetaStore } from '../meta/meta-store'
import { createHasher, parseDigest } from '../oci/digest'
import { isPlaceholder } from '../registry/storage/placeholders'
import type { Registry } from '../registry/registry'

export const DEDUPE_SETTING = 'storage.dedupe'

export interface DedupeContext {
  registry: Registry
  meta: MetaStore
  logger: Logger
  /** The local driver's root, to read inode numbers. */
  rootDirectory: string
  signal?: AbortSignal
}

export interface DedupeReport {
  /** 'dedupe', 'restore' or 'skipped' (already reconciled, or not local storage). */
  walk: 'dedupe' | 'restore' | 'skipped'
  blobs: number
  /** Paths turned into links (dedupe) or into copies (restore). */
  replaced: number
}

interface Located {
  repository: string
  inode: string
  links: number
  size: number
}

async function locateAll(context: DedupeContext): Promise<Map<string, Located[]>> {
  const byDigest = new Map<string, Located[]>()
  for (const repository of await context.registry.catalog.list()) {
    if (context.signal?.aborted) break
    for (const blob of await context.registry.maintenance(repository).blobs()) {
      const info = await stat(join(context.rootDirectory, blob.path)).catch(() => undefined)
      if (!info) continue
      context.meta.blobLocations.added(repository, blob.name)
      const located = { repository, inode: `${info.dev}:${info.ino}`, links: info.nlink, size: info.size }
      byDigest.set(blob.name, [...(byDigest.get(blob.name) ?? []), located])
    }
  }
  return byDigest
}

async function verified(context: DedupeContext, digest: string, repository: string): Promise<boolean> {
  const hasher = createHasher(parseDigest(digest)!.algorithm)
  const content = await context.registry.maintenance(repository).openBlob(digest)
  for await (const chunk of content instanceof Blob ? content.stream() : content) {
    // Not verified, so not linked: the walk ends at the next digest (a stop must not wait).
    if (context.signal?.aborted) return false
    hasher.update(chunk)
  }
  return hasher.digest() === digest
}

/** Links every copy of a digest to the first copy whose bytes are right. */
async function dedupeDigest(context: DedupeContext, digest: string, copies: Located[]): Promise<number> {
  if (new Set(copies.map((copy) => copy.inode)).size < 2) return 0
  let original: Located | undefined
  for (const copy of copies) {
    if (await verified(context, digest, copy.repository).catch(() => false)) {
      original = copy
      break
    }
  }
  if (!original) return 0
  let replaced = 0
  for (const copy of copies) {
    if (copy.inode === original.inode || copy.size !== original.size) continue
    await context.registry.maintenance(copy.repository).linkBlob(digest, original.repository)
    replaced++
  }
  return replaced
}

async function restoreDigest(context: DedupeContext, digest: string, copies: Located[]): Promise<number> {
  let replaced = 0
  for (const copy of copies) {
    if (copy.links < 2) continue
    await context.registry.maintenance(copy.repository).unshareBlob(digest)
    replaced++
  }
  return replaced
}

/**
 * Runs the walk the setting calls for, if any, and records the setting once it completed.
 *
 * @example
 * void reconcileDedupe({ registry, meta, logger, rootDirectory }, config.storage.dedupe)
 */
export async function reconcileDedupe(context: DedupeContext, dedupe: boolean): Promise<DedupeReport> {
  const desired = dedupe ? 'on' : 'off'
  if (context.registry.storageName !== 'local' || (await context.meta.setting(DEDUPE_SETTING)) === desired) {
    return { walk: 'skipped', blobs: 0, replaced: 0 }
  }
  const walk = dedupe ? 'dedupe' : 'restore'
  const { logger, rootDirectory } = context
  logger.info(`storage ${walk} walk started`, { module: 'dedupe', rootDirectory })
  const located = await locateAll(context)
  let replaced = 0
  for (const [digest, copies] of located) {
    if (context.signal?.aborted) return { walk, blobs: located.size, replaced }
    try {
      replaced += dedupe ? await dedupeDigest(context, digest, copies) : await restoreDigest(context, digest, copies)
    } catch (error) {
      logger.warn(`storage ${walk} walk skipped a blob`, { module: 'dedupe', digest, error })
    }
  }
  await context.meta.setSetting(DEDUPE_SETTING, desired)
  logger.info(`storage ${walk} walk done`, { module: 'dedupe', blobs: located.size, replaced })
  return { walk, blobs: located.size, replaced }
}

export interface RestoreContext {
  registry: Registry
  logger: Logger
  signal?: AbortSignal
  onProgress?: (done: number, total: number, repository: string) => void
}

export interface RestoreReport {
  repositories: number
  /** Placeholders found. */
  placeholders: number
  /** Placeholders replaced by a server-side copy of their content. */
  restored: number
  /** Placeholders whose content no repository holds: left as they are, and reported. */
  missing: { repository: string; digest: string }[]
  errors: { repository: string; message: string }[]
  /** Whether zot's `_restore_complete` marker was set: nothing left to restore. */
  complete: boolean
}

async function restoreRepository(context: RestoreContext, repository: string, report: RestoreReport): Promise<void> {
  const store = context.registry.maintenance(repository)
  for (const blob of await store.blobs()) {
    if (context.signal?.aborted) return
    if (!isPlaceholder(blob.name, blob.size)) continue
    const outcome = await store.restorePlaceholder(blob.name)
    // An empty file on local disk is no placeholder (it is corrupt: scrub's to find).
    if (outcome === 'not a placeholder') continue
    report.placeholders++
    if (outcome === 'restored') report.restored++
    if (outcome === 'no original') report.missing.push({ repository, digest: blob.name })
  }
}

/**
 * Replaces every dedupe placeholder of the store with a copy of its content (server-side on S3),
 * so the bucket no longer depends on any dedupe cache: zot reads it whatever its cache holds. When
 * nothing is left to restore, sets zot's marker, so zot (with dedupe off) skips its own walk.
 *
 * @example
 * const report = await restorePlaceholders({ registry, logger })
 */
export async function restorePlaceholders(context: RestoreContext): Promise<RestoreReport> {
  const report: RestoreReport = {
    repositories: 0,
    placeholders: 0,
    restored: 0,
    missing: [],
    errors: [],
    complete: false,
  }
  const repositories = await context.registry.catalog.list()
  for (const [done, repository] of repositories.entries()) {
    if (context.signal?.aborted) break
    context.onProgress?.(done, repositories.length, repository)
    try {
      await restoreRepository(context, repository, report)
      report.repositories++
    } catch (error) {
      report.errors.push({ repository, message: (error as Error).message })
      context.logger.error('dedupe restore failed for a repository', { module: 'dedupe', repository, error })
    }
  }
  context.onProgress?.(repositories.length, repositories.length, '')
  const finished = !context.signal?.aborted && report.errors.length === 0 && report.missing.length === 0
  if (finished && context.registry.markRestoreComplete) {
    await context.registry.markRestoreComplete(true)
    report.complete = true
  }
  context.logger.info('dedupe restore done', { module: 'dedupe', ...report, missing: report.missing.length })
  return report
}
