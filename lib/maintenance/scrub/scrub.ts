/**
 * @module
 * Scrub (docs/zot-compatibility.md 6.6): re-hash every manifest, config and layer reachable from each
 * index.json entry and report each repository and tag `ok` or `affected` with the blob and the
 * error. Better than zot: a blob whose bytes no longer match its digest is quarantined (moved to
 * `<repo>/.quarantine/<alg>/<hex>`), so GET and HEAD answer 404 instead of serving bad bytes, and
 * a client's re-push (or the sync cache's re-fetch) stores a good copy again. The digest is also
 * dropped from the dedupe index, so the repair is a fresh copy, never a link to a bad inode.
 *
 * A zot dedupe placeholder (a zero-byte blob on S3, standing for content another repository
 * holds) is checked through its content: it is `ok` when the content is, it is listed in
 * `placeholders`, and it is never quarantined (bad content is its holder's to quarantine). A
 * placeholder whose content is nowhere is `affected` ("placeholder without original").
 *
 * Scrub reads without locks; only the move into quarantine takes the repository's lock, after
 * checking that the file is still the one that was hashed (same size and mtime), so a blob
 * repaired in the meantime is never quarantined.
 */
import type { Logger } from '../../log/logger'
import { createHasher, parseDigest } from '../../oci/digest'
import { parseManifest, type Descriptor } from '../../oci/manifest'
import { MANIFEST_MEDIA_TYPES } from '../../oci/media-types'
import { tagOf } from '../../registry/storage/image-index'
import { quarantinePath } from '../../registry/layout'
import type { Registry, RepositoryMaintenance, StoredFile } from '../../registry/registry'

export interface ScrubRow {
  repository: string
  /** The tag, or '' for an untagged manifest. */
  tag: string
  /** The index.json entry checked. */
  digest: string
  status: 'ok' | 'affected'
  affectedBlob: string
  error: string
}

export interface ScrubReport {
  startedAt: string
  durationMs: number
  repositories: number
  blobsChecked: number
  bytesChecked: number
  rows: ScrubRow[]
  quarantined: { repository: string; digest: string }[]
  errors: { repository: string; message: string }[]
  /** Dedupe placeholders checked through their content, and the repository holding it; absent when none. */
  placeholders?: ScrubPlaceholder[]
}

export interface ScrubPlaceholder {
  repository: string
  digest: string
  original: string
}

export interface ScrubContext {
  registry: Registry
  logger: Logger
  /** Move corrupt blobs aside (default true); the registry drops them from its dedupe index. */
  quarantine?: boolean
  signal?: AbortSignal
  onProgress?: (done: number, total: number, repository: string, report: ScrubReport) => void
}

export const BLOB_NOT_FOUND = 'blob not found'
export const BAD_DIGEST = 'bad blob digest'
export const PLACEHOLDER_WITHOUT_ORIGINAL = 'placeholder without original'

interface Problem {
  digest: string
  error: string
}

class RepositoryScrub {
  /** Hash results by digest: images share layers, each is read once per repository. */
  private readonly checked = new Map<string, Promise<string | undefined>>()
  /** Corrupt blobs and the file state that was hashed. */
  private readonly corrupt = new Map<string, StoredFile>()
  private readonly store: RepositoryMaintenance

  constructor(
    private readonly context: ScrubContext,
    private readonly repository: string,
    private readonly report: ScrubReport,
  ) {
    this.store = context.registry.maintenance(repository)
  }

  async run(): Promise<void> {
    const index = await this.store.index()
    for (const entry of index?.manifests ?? []) {
      if (this.context.signal?.aborted) return
      const problem = await this.checkManifest(entry)
      // A check cut short by the signal says nothing about the manifest.
      if (this.context.signal?.aborted) return
      if (problem?.error === BLOB_NOT_FOUND && !(await this.stillListed(entry.digest))) continue
      this.report.rows.push({
        repository: this.repository,
        tag: tagOf(entry) ?? '',
        digest: entry.digest,
        status: problem ? 'affected' : 'ok',
        affectedBlob: problem?.digest ?? '',
        error: problem?.error ?? '',
      })
    }
    if (this.context.quarantine === false) return
    for (const [digest, hashed] of this.corrupt) await this.quarantine(digest, hashed)
  }

  /** A manifest GC removed while scrub ran is not "affected", just gone. */
  private async stillListed(digest: string): Promise<boolean> {
    const index = await this.store.index()
    return index?.manifests.some((entry) => entry.digest === digest) ?? false
  }

  private checkBlob(digest: string): Promise<string | undefined> {
    let result = this.checked.get(digest)
    if (!result) {
      result = this.hash(digest)
      this.checked.set(digest, result)
    }
    return result
  }

  private async hash(digest: string): Promise<string | undefined> {
    const parsed = parseDigest(digest)
    if (!parsed) return 'invalid digest'
    const before = await this.store.blob(digest)
    if (!before) return BLOB_NOT_FOUND
    const placeholder = before.size === 0 ? await this.store.placeholderOf(digest) : undefined
    if (placeholder && !placeholder.original) return PLACEHOLDER_WITHOUT_ORIGINAL
    const hasher = createHasher(parsed.algorithm)
    let size = 0
    try {
      const content = await this.store.openBlob(digest)
      for await (const chunk of content instanceof Blob ? content.stream() : content) {
        // A multi-GB blob takes seconds to hash: a stop must not wait for it.
        if (this.context.signal?.aborted) return 'cancelled'
        hasher.update(chunk)
        size += chunk.byteLength
      }
    } catch (error) {
      return `read failed: ${(error as Error).message}`
    }
    this.report.blobsChecked++
    this.report.bytesChecked += size
    const original = placeholder?.original?.repository
    if (original !== undefined) {
      this.report.placeholders = [
        ...(this.report.placeholders ?? []),
        { repository: this.repository, digest, original },
      ]
    }
    if (hasher.digest() === digest) return undefined
    if (original !== undefined) return `${BAD_DIGEST} (content held by ${original})`
    this.corrupt.set(digest, before)
    return BAD_DIGEST
  }

  /** The first problem of the manifest's tree; every blob of it is still checked. */
  private async checkManifest(descriptor: Descriptor): Promise<Problem | undefined> {
    const own = await this.checkBlob(descriptor.digest)
    if (own) return { digest: descriptor.digest, error: own }
    if (!MANIFEST_MEDIA_TYPES.has(descriptor.mediaType)) return undefined
    let info: ReturnType<typeof parseManifest>
    try {
      const bytes = await this.store.blobContent(descriptor.digest)
      info = parseManifest(bytes, descriptor.mediaType)
    } catch (error) {
      return { digest: descriptor.digest, error: `invalid manifest: ${(error as Error).message}` }
    }
    const problems: (Problem | undefined)[] = []
    for (const blob of info.blobs) {
      const error = await this.checkBlob(blob.digest)
      problems.push(error ? { digest: blob.digest, error } : undefined)
    }
    if (info.kind === 'image' && !problems[0]) problems.push(await this.checkConfig(info.blobs[0]!))
    for (const child of info.manifests) problems.push(await this.checkManifest(child))
    return problems.find((problem) => problem !== undefined)
  }

  /** A JSON config must parse (zot checks the image config is readable). */
  private async checkConfig(config: Descriptor): Promise<Problem | undefined> {
    if (!config.mediaType.endsWith('json')) return undefined
    try {
      const bytes = await this.store.blobContent(config.digest)
      JSON.parse(new TextDecoder().decode(bytes))
      return undefined
    } catch (error) {
      return { digest: config.digest, error: `invalid config: ${(error as Error).message}` }
    }
  }

  private async quarantine(digest: string, hashed: StoredFile): Promise<void> {
    if (!(await this.store.quarantine(digest, hashed))) return
    this.report.quarantined.push({ repository: this.repository, digest })
    const to = quarantinePath(this.repository, digest)
    this.context.logger.warn('scrub quarantined a corrupt blob', {
      module: 'scrub',
      repository: this.repository,
      digest,
      to,
    })
  }
}

export function emptyScrubReport(startedAt: number): ScrubReport {
  return {
    startedAt: new Date(startedAt).toISOString(),
    durationMs: 0,
    repositories: 0,
    blobsChecked: 0,
    bytesChecked: 0,
    rows: [],
    quarantined: [],
    errors: [],
  }
}

/** Scrubs one repository, adding its rows to `report`. */
export async function scrubRepository(context: ScrubContext, repository: string, report: ScrubReport): Promise<void> {
  await new RepositoryScrub(context, repository, report).run()
}

/**
 * Scrubs every repository of the store. Results are logged (info for ok, warn for affected, as
 * zot) and returned.
 *
 * @example
 * const report = await scrubStorage({ registry, logger })
 */
export async function scrubStorage(context: ScrubContext): Promise<ScrubReport> {
  const startedAt = Date.now()
  const report = emptyScrubReport(startedAt)
  const repositories = [...(await context.registry.catalog.list())]
  for (const [done, repository] of repositories.entries()) {
    if (context.signal?.aborted) break
    context.onProgress?.(done, repositories.length, repository, report)
    try {
      await scrubRepository(context, repository, report)
      report.repositories++
    } catch (error) {
      report.errors.push({ repository, message: (error as Error).message })
      context.logger.error('scrub failed for a repository', { module: 'scrub', repository, error })
    }
  }
  context.onProgress?.(repositories.length, repositories.length, '', report)
  for (const row of report.rows) {
    if (row.status === 'ok') context.logger.info('blobs/manifest ok', { module: 'scrub', ...row })
    else context.logger.warn('blobs/manifest affected', { module: 'scrub', ...row })
  }
  report.durationMs = Date.now() - startedAt
  return report
}
