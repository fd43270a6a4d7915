/**
 * @module
 * The metadata store for storage shared by several replicas (S3): push and pull times live in
 * the bucket, one small JSON object per repository (`_zot/meta/<repo>/stats.json`), so every
 * replica's retention sees every replica's pushes and pulls, and they survive any restart.
 *
 * Events arrive on every pull, far too often for one S3 write each: they are buffered in memory
 * and flushed every few seconds. A flush replays the buffered operations on the object's current
 * version and writes it back with a compare-and-swap, retrying on a version another replica wrote
 * meanwhile. The operations merge commutatively (times keep their maximum, pull counts add up,
 * forgets remove), so replicas flushing at once lose nothing.
 */
import type { DedupeIndex } from '../registry/blob-store'
import { PathNotFoundError, type StorageDriver } from '../storage/driver'
import type { ManifestStats, MetaStore, RepositoryStats, TagStats } from './meta-store'

interface StatsDocument {
  tags: Record<string, TagStats>
  manifests: Record<string, ManifestStats>
}

type Operation = (document: StatsDocument) => void
const emptyStats = (): StatsDocument => ({ tags: {}, manifests: {} })

const FLUSH_INTERVAL_MS = 5_000
const MAX_SWAP_ATTEMPTS = 20
const statsPath = (repository: string): string => `_zot/meta/${repository}/stats.json`
const SETTINGS_PATH = '_zot/meta-settings.json'

/** Hard links do not exist on shared storage: the dedupe index there knows no holders. */
const NO_DEDUPE: DedupeIndex = { holders: async () => [], added: () => {}, removed: () => {} }

const later = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.max(a, b))

export function createBucketMetaStore(driver: StorageDriver, options: { flushIntervalMs?: number } = {}): MetaStore {
  const { getContentWithETag, putContentIf } = driver
  if (!getContentWithETag || !putContentIf) throw new Error(`${driver.name} storage has no conditional writes: it cannot hold shared metadata`)
  const pending = new Map<string, Operation[]>()
  let flushing: Promise<void> = Promise.resolve()

  async function readJson<T>(path: string, empty: () => T): Promise<{ document: T; etag?: string }> {
    try {
      const { data, etag } = await getContentWithETag!.call(driver, path)
      return { document: JSON.parse(new TextDecoder().decode(data)) as T, etag }
    } catch (error) {
      if (error instanceof PathNotFoundError) return { document: empty() }
      throw error
    }
  }

  async function swap<T>(path: string, empty: () => T, change: (document: T) => void): Promise<void> {
    for (let attempt = 0; attempt < MAX_SWAP_ATTEMPTS; attempt++) {
      const { document, etag } = await readJson(path, empty)
      change(document)
      const condition = etag === undefined ? ({ ifNoneMatch: '*' } as const) : { ifMatch: etag }
      if ((await putContentIf!.call(driver, path, JSON.stringify(document), condition)).written) return
    }
    throw new Error(`${path} kept changing under concurrent updates`)
  }

  async function flushRepository(repository: string): Promise<void> {
    const operations = pending.get(repository)
    if (!operations || operations.length === 0) return
    pending.delete(repository)
    try {
      await swap(statsPath(repository), emptyStats, (document) => operations.forEach((operation) => operation(document)))
    } catch (error) {
      // Keep them for the next flush: S3 may be back by then.
      pending.set(repository, [...operations, ...(pending.get(repository) ?? [])])
      throw error
    }
  }

  const flush = (): Promise<void> => {
    flushing = flushing.then(async () => {
      await Promise.allSettled([...pending.keys()].map((repository) => flushRepository(repository)))
    })
    return flushing
  }
  const timer = setInterval(() => void flush(), options.flushIntervalMs ?? FLUSH_INTERVAL_MS)
  timer.unref()

  const enqueue = (repository: string, operation: Operation): void => {
    const operations = pending.get(repository) ?? []
    operations.push(operation)
    pending.set(repository, operations)
  }

  return {
    location: `${driver.name}:_zot/meta`,
    blobLocations: NO_DEDUPE,
    recordPush(repository, digest, tags, at = Date.now()) {
      enqueue(repository, (document) => {
        const manifest = document.manifests[digest] ?? { pullCount: 0 }
        document.manifests[digest] = { ...manifest, pushedAt: later(manifest.pushedAt, at)! }
        for (const tag of tags) {
          const current = document.tags[tag]
          if (!current || current.pushedAt <= at) document.tags[tag] = { digest, pushedAt: at }
        }
      })
    },
    recordPull(repository, digest, _tag, at = Date.now()) {
      enqueue(repository, (document) => {
        const manifest = document.manifests[digest] ?? { pullCount: 0 }
        document.manifests[digest] = { ...manifest, pulledAt: later(manifest.pulledAt, at)!, pullCount: manifest.pullCount + 1 }
      })
    },
    forgetTag(repository, tag) {
      enqueue(repository, (document) => void delete document.tags[tag])
    },
    forgetManifest(repository, digest) {
      enqueue(repository, (document) => {
        delete document.manifests[digest]
        for (const [tag, stats] of Object.entries(document.tags)) if (stats.digest === digest) delete document.tags[tag]
      })
    },
    forgetRepository(repository) {
      pending.delete(repository)
      void driver.delete(statsPath(repository))
    },
    async repositoryStats(repository): Promise<RepositoryStats> {
      // This replica's own recent events first, so its decisions see them.
      await flushing
      await flushRepository(repository).catch(() => {})
      const { document } = await readJson(statsPath(repository), emptyStats)
      return { tags: new Map(Object.entries(document.tags)), manifests: new Map(Object.entries(document.manifests)) }
    },
    async setting(key) {
      return (await readJson<Record<string, string>>(SETTINGS_PATH, () => ({}))).document[key]
    },
    async setSetting(key, value) {
      await swap<Record<string, string>>(SETTINGS_PATH, () => ({}), (settings) => void (settings[key] = value))
    },
    flush,
    close() {
      clearInterval(timer)
    },
  }
}
