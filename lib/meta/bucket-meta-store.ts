/**
 * @module
 * The metadata store for storage shared by several replicas (S3): push and pull times live in
 * the bucket, one small JSON object per repository (layout.ts's `statePaths.metaStats`), so every
 * replica's retention sees every replica's pushes and pulls, and they survive any restart.
 *
 * Events arrive on every pull, far too often for one S3 write each: they are buffered in memory
 * and flushed every few seconds. A flush replays the buffered operations on the object's current
 * version and writes it back with a compare-and-swap, retrying on a version another replica wrote
 * meanwhile. The operations merge commutatively (times keep their maximum, pull counts add up,
 * forgets remove), so replicas flushing at once lose nothing.
 */
import { statePaths, type StatePath } from '../registry/layout'
import type { DedupeIndex, StateStore } from '../registry/registry'
import type { ManifestStats, MetaStore, RepositoryStats, TagStats, UserMark } from './meta-store'

interface StatsDocument {
  tags: Record<string, TagStats>
  manifests: Record<string, ManifestStats>
}

type Operation = (document: StatsDocument) => void
const emptyStats = (): StatsDocument => ({ tags: {}, manifests: {} })

const FLUSH_INTERVAL_MS = 5_000
const MAX_SWAP_ATTEMPTS = 20

/** Hard links do not exist on shared storage: the dedupe index there knows no holders. */
const NO_DEDUPE: DedupeIndex = { holders: async () => [], added: () => {}, removed: () => {} }

const later = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b)

/** The store in the state documents of shared storage, which must compare-and-swap. */
export function createBucketMetaStore(state: StateStore, options: { flushIntervalMs?: number } = {}): MetaStore {
  const conditional = state.conditional
  if (!conditional)
    throw new Error(`${state.storageName} storage has no conditional writes: it cannot hold shared metadata`)
  const pending = new Map<string, Operation[]>()
  let flushing: Promise<void> = Promise.resolve()

  async function readJson<T>(path: StatePath, empty: () => T): Promise<{ document: T; version?: string }> {
    const stored = await conditional!.read(path)
    if (!stored) return { document: empty() }
    return { document: JSON.parse(new TextDecoder().decode(stored.data)) as T, version: stored.version }
  }

  async function swap<T>(path: StatePath, empty: () => T, change: (document: T) => void): Promise<void> {
    for (let attempt = 0; attempt < MAX_SWAP_ATTEMPTS; attempt++) {
      const { document, version } = await readJson(path, empty)
      change(document)
      if (await conditional!.write(path, JSON.stringify(document), version)) return
    }
    throw new Error(`${path} kept changing under concurrent updates`)
  }

  async function flushRepository(repository: string): Promise<void> {
    const operations = pending.get(repository)
    if (!operations || operations.length === 0) return
    pending.delete(repository)
    try {
      await swap(statePaths.metaStats(repository), emptyStats, (document) =>
        operations.forEach((operation) => operation(document)),
      )
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
    location: `${state.storageName}:${statePaths.metaFolder}`,
    blobLocations: NO_DEDUPE,
    recordPush(repository, digest, tags, at = Date.now(), origin = 'push') {
      enqueue(repository, (document) => {
        const manifest = document.manifests[digest] ?? { pullCount: 0 }
        // A client's push is for good: a later sync of the same manifest leaves it pushed.
        const kept = manifest.origin === 'push' ? 'push' : origin
        document.manifests[digest] = { ...manifest, pushedAt: later(manifest.pushedAt, at)!, origin: kept }
        for (const tag of tags) {
          const current = document.tags[tag]
          if (!current || current.pushedAt <= at) document.tags[tag] = { digest, pushedAt: at }
        }
      })
    },
    recordPull(repository, digest, _tag, at = Date.now()) {
      enqueue(repository, (document) => {
        const manifest = document.manifests[digest] ?? { pullCount: 0 }
        document.manifests[digest] = {
          ...manifest,
          pulledAt: later(manifest.pulledAt, at)!,
          pullCount: manifest.pullCount + 1,
        }
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
      void state.delete(statePaths.metaStats(repository))
    },
    async repositoryStats(repository): Promise<RepositoryStats> {
      // This replica's own recent events first, so its decisions see them.
      await flushing
      await flushRepository(repository).catch(() => {})
      const { document } = await readJson(statePaths.metaStats(repository), emptyStats)
      return { tags: new Map(Object.entries(document.tags)), manifests: new Map(Object.entries(document.manifests)) }
    },
    // One object per manifest would cost what reading the manifest costs: nothing is saved.
    savedManifests: async () => new Map(),
    saveManifests: () => {},
    keepManifests: async () => {},
    async userMarks() {
      return (await readJson<UserMark[]>(statePaths.metaUserMarks, () => [])).document
    },
    async setUserMark(mark, on) {
      const same = (other: UserMark) =>
        other.username === mark.username && other.repository === mark.repository && other.kind === mark.kind
      await swap<UserMark[]>(
        statePaths.metaUserMarks,
        () => [],
        (marks) => {
          const at = marks.findIndex(same)
          if (on && at < 0) marks.push(mark)
          if (!on && at >= 0) marks.splice(at, 1)
        },
      )
    },
    async setting(key) {
      return (await readJson<Record<string, string>>(statePaths.metaSettings, () => ({}))).document[key]
    },
    async setSetting(key, value) {
      await swap<Record<string, string>>(
        statePaths.metaSettings,
        () => ({}),
        (settings) => void (settings[key] = value),
      )
    },
    flush,
    close() {
      clearInterval(timer)
    },
  }
}
