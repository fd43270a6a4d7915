/**
 * @module
 * The in-memory search index over the persisted metadata: every repository's `Repository`,
 * built from storage once at start (in the background, off the readiness path) and reloaded one
 * repository at a time when something changes it. Changes arrive as the registry's events
 * (pushes, API deletes, the pull-through cache's stores) and as the metadata store's forget calls
 * GC and retention make; pulls update download counts in place. A query waits for the first
 * build and for pending reloads, so it never answers from stale data, and never walks storage.
 */
import type { Logger } from '../../log/logger'
import type { RegistryEventSource } from '../../registry/events'
import type { ManifestMeta } from './manifest-meta'
import { refreshFigures, type Repository } from './repository'
import type { RepositorySource } from './storage-source'

/** Repositories loaded at once during the first build. */
const BUILD_CONCURRENCY = 4
/** How often a repository whose configs were missing is read again (by the next query). */
const INCOMPLETE_RECHECK_MS = 2_000

/**
 * A repository's place in the index: the same object for as long as the repository exists, its
 * content replaced by each reload. Lists of entries (sorted, filtered per viewer) therefore stay
 * valid across pushes; only repositories appearing or disappearing invalidate them.
 */
export interface Entry {
  readonly name: string
  current: Repository
  /** `current` has a tag (zot lists no repository without one); kept here for the hot loops. */
  tagged: boolean
}

export class SearchIndex {
  private readonly entries = new Map<string, Entry>()
  private readonly dirty = new Set<string>()
  private built: Promise<void> | undefined
  private reloading: Promise<void> | undefined
  private sorted: Entry[] | undefined
  /** Repositories with a config not read yet, and when they were last read. */
  private readonly incomplete = new Map<string, number>()
  /** Bumped when a repository appears or disappears (not when one changes). */
  membership = 0

  constructor(
    private readonly source: RepositorySource,
    private readonly logger: Logger,
  ) {}

  /**
   * Starts the first build (idempotent); queries wait for it. A build that could not list the
   * repositories (storage unreachable) fails those queries and is tried again by the next one.
   */
  start(): Promise<void> {
    this.built ??= this.buildAll().catch((error: unknown) => {
      this.built = undefined
      throw error
    })
    return this.built
  }

  /** Subscribes to the registry's events; returns the unsubscribe function. */
  follow(events: RegistryEventSource): () => void {
    return events.subscribe({
      manifestPushed: (repository) => this.changed(repository),
      manifestDeleted: (repository) => this.changed(repository),
      manifestPulled: (repository, digest) => this.pulled(repository, digest),
    })
  }

  /** Something in the repository changed: reload it before the next query. */
  changed(repository: string): void {
    this.dirty.add(repository)
  }

  /** A pull: counted at once (the metadata store records it too, for the next reload). */
  pulled(repository: string, digest: string, at = Date.now()): void {
    const found = this.entries.get(repository)?.current
    if (!found) return
    const stats = found.stats.manifests.get(digest) ?? { pullCount: 0 }
    found.stats.manifests.set(digest, { ...stats, pullCount: stats.pullCount + 1, pulledAt: at })
    refreshFigures(found)
  }

  /** Every repository's entry, sorted by name, current as of now. */
  async all(): Promise<readonly Entry[]> {
    await this.current()
    this.sorted ??= [...this.entries.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    return this.sorted
  }

  async get(name: string): Promise<Repository | undefined> {
    await this.current()
    return this.entries.get(name)?.current
  }

  /** Waits for the first build and any pending reloads. */
  async current(): Promise<void> {
    await this.start()
    const now = Date.now()
    for (const [name, readAt] of this.incomplete) if (now - readAt >= INCOMPLETE_RECHECK_MS) this.dirty.add(name)
    // A reload in flight counts too: it took the dirty names already, so a caller arriving meanwhile
    // would otherwise answer before the changes it should see are in.
    while (this.dirty.size > 0 || this.reloading) {
      this.reloading ??= this.reloadDirty().finally(() => (this.reloading = undefined))
      await this.reloading
    }
  }

  private async reloadDirty(): Promise<void> {
    const names = [...this.dirty]
    this.dirty.clear()
    await Promise.all(names.map((name) => this.reload(name)))
  }

  /** Reads the repository again; false when it could not be read (what was known is kept). */
  private async reload(name: string): Promise<boolean> {
    const entry = this.entries.get(name)
    const known: ReadonlyMap<string, ManifestMeta> = entry?.current.manifests ?? new Map()
    let loaded: Repository | undefined
    try {
      loaded = await this.source.load(name, known)
    } catch (error) {
      // Keep what is known; the next change retries.
      this.logger.warn('search index: cannot read repository', { repository: name, error })
      return false
    }
    const kept = loaded && loaded.images.length + loaded.manifests.size > 0 ? loaded : undefined
    if (kept?.incomplete) this.incomplete.set(name, Date.now())
    else this.incomplete.delete(name)
    if (kept && entry) {
      entry.current = kept
      entry.tagged = kept.images.length > 0
      return true
    }
    if (kept) this.entries.set(name, { name, current: kept, tagged: kept.images.length > 0 })
    else if (!this.entries.delete(name)) return true
    this.sorted = undefined
    this.membership++
    return true
  }

  private async buildAll(): Promise<void> {
    const started = performance.now()
    let names: string[]
    try {
      names = await this.source.list()
    } catch (error) {
      this.logger.error('search index: cannot list repositories', { error })
      throw error
    }
    let next = 0
    let failures = 0
    const worker = async () => {
      while (next < names.length) if (!(await this.reload(names[next++]!))) failures++
    }
    await Promise.all(Array.from({ length: BUILD_CONCURRENCY }, worker))
    // Saved metadata of manifests gone meanwhile is dropped, unless a repository could not be read.
    if (failures === 0 && this.source.keep) {
      const digests = new Set<string>()
      for (const entry of this.entries.values())
        for (const digest of entry.current.manifests.keys()) digests.add(digest)
      await this.source
        .keep(digests)
        .catch((error) => this.logger.warn('search index: cannot prune saved metadata', { error }))
    }
    this.logger.info('search index built', {
      repositories: this.entries.size,
      milliseconds: Math.round(performance.now() - started),
    })
  }
}
