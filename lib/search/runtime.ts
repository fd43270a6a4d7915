/**
 * @module
 * Search's long-lived part (it survives configuration reloads, like the registry): the index,
 * the users' marks and the catalog view. It follows the registry's events from the start, so a
 * reload that enables search finds an index that missed nothing; the first build (a read of
 * every repository) runs only once search is enabled, in the background.
 */
import type { Logger } from '../log/logger'
import type { ManifestStats, MetaStore, RepositoryStats, TagStats } from '../meta'
import type { Registry } from '../registry/registry'
import { CatalogView } from './catalog-view'
import { SearchIndex } from './index/search-index'
import { storageSource } from './index/storage-source'
import { UserMarks } from './user-marks'

export interface SearchRuntime {
  readonly index: SearchIndex
  readonly marks: UserMarks
  readonly view: CatalogView
  /**
   * The stores with their metadata stores wrapped, so that what GC and retention forget (they
   * raise no registry event) reloads the repository in the index too. Pass these to maintenance.
   */
  observe<P extends { meta: MetaStore }>(parts: P[]): P[]
  /** Starts the first build (idempotent); called when search is enabled. */
  start(): void
  close(): void
}

const later = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b)

/** One repository's statistics over every store's metadata store (subPaths: only one holds it). */
function mergedStats(metas: MetaStore[]) {
  return async (repository: string): Promise<RepositoryStats> => {
    const all = await Promise.all(metas.map((meta) => meta.repositoryStats(repository)))
    if (all.length === 1) return all[0]!
    const tags = new Map<string, TagStats>()
    const manifests = new Map<string, ManifestStats>()
    for (const stats of all) {
      for (const [tag, entry] of stats.tags) if ((tags.get(tag)?.pushedAt ?? -1) < entry.pushedAt) tags.set(tag, entry)
      for (const [digest, entry] of stats.manifests) {
        const known = manifests.get(digest)
        const pushedAt = later(known?.pushedAt, entry.pushedAt)
        const pulledAt = later(known?.pulledAt, entry.pulledAt)
        manifests.set(digest, {
          ...(pushedAt !== undefined && { pushedAt }),
          ...(pulledAt !== undefined && { pulledAt }),
          pullCount: (known?.pullCount ?? 0) + entry.pullCount,
        })
      }
    }
    return { tags, manifests }
  }
}

/**
 * @param metas every store's metadata store; the first (the default store's) keeps the marks and
 *   the saved manifest metadata
 */
export function createSearchRuntime(options: {
  registry: Registry
  metas: MetaStore[]
  logger: Logger
}): SearchRuntime {
  const { registry, metas, logger } = options
  const index = new SearchIndex(storageSource(registry, mergedStats(metas), metas[0]!), logger)
  const marks = new UserMarks(metas[0]!)
  const unsubscribe = index.follow(registry.events)
  return {
    index,
    marks,
    view: new CatalogView(index, marks),
    observe: (parts) =>
      parts.map((part) => {
        const meta: MetaStore = {
          ...part.meta,
          forgetTag: (repository, tag) => {
            part.meta.forgetTag(repository, tag)
            index.changed(repository)
          },
          forgetManifest: (repository, digest) => {
            part.meta.forgetManifest(repository, digest)
            index.changed(repository)
          },
          forgetRepository: (repository) => {
            part.meta.forgetRepository(repository)
            index.changed(repository)
          },
        }
        return { ...part, meta }
      }),
    start: () => {
      // Failures are logged by the index and retried by the next search.
      void index.start().catch(() => {})
      void marks.load().catch((error) => logger.error('search: cannot load stars and bookmarks', { error }))
    },
    close: unsubscribe,
  }
}
