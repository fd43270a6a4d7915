/**
 * @module
 * zot's dedupe on storage without links (S3; docs/s3.md "Dedupe"): a blob shared by several
 * repositories is stored once, and every other repository holds a zero-byte object at the blob's
 * path, a *placeholder*. zot finds the content through its cache database (digest → paths, the
 * first being the original); we do not read that cache (it lives on zot's local disk or in its
 * Redis/DynamoDB, is often not migrated, and can be stale), because any object of the same digest
 * that has content IS the content: the original is found by digest.
 *
 * This class answers the two questions placeholders raise, both bounded and cached:
 *
 * - Where is the content of a digest? (reads, mounts, restore) A hint cache first, checked with
 *   one stat; on a miss, a stat of the digest's path in each repository of the catalog, 16 at a
 *   time, stopping at the first with content. Results, misses included, are cached, so a missing
 *   original costs one search per `MISS_TTL_MS`, never one per request, and never a bucket walk.
 * - Which repositories hold a placeholder of it? (GC about to delete content) From a census:
 *   one listing of every repository's blobs (sizes come with the listing on S3: one request per
 *   1,000 blobs), reused for `CENSUS_TTL_MS` and kept up to date with the placeholders this
 *   process writes. Another replica's placeholder younger than that may be missed (docs/s3.md).
 */
import { Lru } from '../../cache/lru'
import { SingleFlight } from '../../cache/single-flight'
import { digestOf, parseDigest } from '../../oci/digest'
import type { StorageDriver } from '../../storage/driver'
import { blobPath, blobsPath } from '../layout'
import { listDigestTree, statFile } from '../maintenance/storage-walk'

/** How many repositories a search stats, and a census lists, at once. */
const SEARCH_CONCURRENCY = 16
const CENSUS_CONCURRENCY = 8
/** A digest whose content was found nowhere is not searched again for this long. */
const MISS_TTL_MS = 30_000
/** How long a census of placeholders is trusted (plus what this process wrote since). */
const CENSUS_TTL_MS = 60_000
const HINTS = 10_000

/** The digests of empty content, which are stored as empty blobs, never as placeholders. */
const EMPTY_DIGESTS = new Set([digestOf(new Uint8Array(0), 'sha256'), digestOf(new Uint8Array(0), 'sha512')])

/** Whether a stored blob of `size` bytes is a placeholder: empty, but its digest is not the empty digest's. */
export function isPlaceholder(digest: string, size: number): boolean {
  return size === 0 && parseDigest(digest) !== undefined && !EMPTY_DIGESTS.has(digest)
}

/** Where a digest's content is. */
export interface Original {
  repository: string
  size: number
}

type Census = Map<string, Set<string>>

export class Placeholders {
  /** digest → a repository seen holding its content: a hint, checked before use. */
  private readonly hints = new Lru<string, string>(HINTS)
  private readonly misses = new Lru<string, number>(HINTS)
  private readonly searches = new SingleFlight<Original | undefined>()
  private census: { at: number; placeholders: Promise<Census> } | undefined

  constructor(
    private readonly driver: StorageDriver,
    private readonly repositories: () => Promise<string[]>,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The content's size in `repository`, when it holds content (not a placeholder) there. */
  private async contentIn(repository: string, digest: string): Promise<Original | undefined> {
    const file = await statFile(this.driver, blobPath(repository, digest))
    return file && !isPlaceholder(digest, file.size) ? { repository, size: file.size } : undefined
  }

  /** The content of `digest` somewhere in the store; undefined when only placeholders are left. */
  async original(digest: string): Promise<Original | undefined> {
    const hinted = await this.hinted(digest)
    if (hinted) return hinted
    const missedAt = this.misses.get(digest)
    if (missedAt !== undefined && this.clock() - missedAt < MISS_TTL_MS) return undefined
    return this.searches.run(digest, async () => {
      const found = await this.search(digest)
      if (found) this.noteContent(digest, found.repository)
      else this.misses.set(digest, this.clock())
      return found
    })
  }

  /** The content of `digest` where this process last saw it, if it is still there (one stat). */
  async hinted(digest: string): Promise<Original | undefined> {
    const repository = this.hints.get(digest)
    if (repository === undefined) return undefined
    const found = await this.contentIn(repository, digest)
    if (!found) this.hints.delete(digest)
    return found
  }

  private async search(digest: string): Promise<Original | undefined> {
    let found: Original | undefined
    await eachUntil(await this.repositories(), SEARCH_CONCURRENCY, async (repository) => {
      const content = await this.contentIn(repository, digest)
      found ??= content
      return content !== undefined
    })
    return found
  }

  /** `repository` holds the content of `digest` (just written, or found). */
  noteContent(digest: string, repository: string): void {
    this.hints.set(digest, repository)
    this.misses.delete(digest)
    this.census?.placeholders.then((census) => census.get(digest)?.delete(repository)).catch(() => {})
  }

  /** `repository` now holds a placeholder of `digest` (this process wrote it). */
  notePlaceholder(digest: string, repository: string): void {
    this.census?.placeholders
      .then((census) => census.set(digest, (census.get(digest) ?? new Set()).add(repository)))
      .catch(() => {})
  }

  /** Repositories believed to hold a placeholder of `digest` (see the module comment). */
  async holders(digest: string): Promise<string[]> {
    const now = this.clock()
    if (!this.census || now - this.census.at >= CENSUS_TTL_MS) {
      const placeholders = this.takeCensus()
      this.census = { at: now, placeholders }
      // A failed census is not kept: the next call takes a new one.
      placeholders.catch(() => {
        if (this.census?.placeholders === placeholders) this.census = undefined
      })
    }
    return [...((await this.census.placeholders).get(digest) ?? [])]
  }

  private async takeCensus(): Promise<Census> {
    const census: Census = new Map()
    await eachUntil(await this.repositories(), CENSUS_CONCURRENCY, async (repository) => {
      for (const { digest, size } of await this.blobSizes(repository)) {
        if (isPlaceholder(digest, size)) census.set(digest, (census.get(digest) ?? new Set()).add(repository))
      }
      return false
    })
    return census
  }

  /** The repository's blobs and sizes: one listing per 1,000 blobs where the driver has it. */
  private async blobSizes(repository: string): Promise<{ digest: string; size: number }[]> {
    const directory = blobsPath(repository)
    if (!this.driver.listTree) {
      const files = await listDigestTree(this.driver, directory)
      return files.map((file) => ({ digest: file.name, size: file.size }))
    }
    const files = await this.driver.listTree(directory)
    return files.flatMap(({ path, size }) => {
      const digest = path.replace('/', ':')
      return parseDigest(digest) ? [{ digest, size }] : []
    })
  }
}

/** Runs `work` over `items`, `limit` at a time, until one returns true or throws; the rest are skipped. */
async function eachUntil<T>(items: readonly T[], limit: number, work: (item: T) => Promise<boolean>): Promise<void> {
  let next = 0
  let done = false
  const worker = async (): Promise<void> => {
    while (!done && next < items.length) {
      const item = items[next++] as T
      try {
        if (await work(item)) done = true
      } catch (error) {
        done = true
        throw error
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
