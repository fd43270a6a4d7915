/**
 * @module
 * The repositories a viewer may read, from the search index. Every query starts here, so a
 * repository the viewer cannot read never reaches a result or a count. The list is kept per
 * viewer key until a repository appears or disappears (a push to an existing one changes only
 * the entry's content).
 */
import type { Repository } from './index/repository'
import type { Entry, SearchIndex } from './index/search-index'
import type { UserMarks } from './user-marks'
import type { Viewer } from './viewer'

/** Viewer keys remembered at once (each entry is a list of references). */
const CACHED_VIEWERS = 256

export class CatalogView {
  private readonly cache = new Map<string, { membership: number; entries: Entry[] }>()

  constructor(
    readonly index: SearchIndex,
    readonly marks: UserMarks,
  ) {}

  /**
   * The readable repositories, by name. Callers skip those without tags (zot lists no others):
   * a repository's tags change without its entry changing.
   */
  async visible(viewer: Viewer): Promise<readonly Entry[]> {
    const all = await this.index.all()
    await this.marks.load()
    const cached = this.cache.get(viewer.key)
    if (cached && cached.membership === this.index.membership) return cached.entries
    const entries = all.filter((entry) => viewer.canRead(entry.name))
    if (this.cache.size >= CACHED_VIEWERS) this.cache.delete(this.cache.keys().next().value!)
    this.cache.set(viewer.key, { membership: this.index.membership, entries })
    return entries
  }

  /** The repository if the viewer may read it (an unreadable one is answered as a missing one). */
  async readable(viewer: Viewer, name: string): Promise<Repository | undefined> {
    if (!viewer.canRead(name)) return undefined
    return this.index.get(name)
  }
}
