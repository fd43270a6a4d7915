/**
 * @module
 * The repositories a viewer may read, from the search index. Every query starts here, so a
 * repository the viewer cannot read never reaches a result or a count. The policy check over
 * 10,000 repositories is cached per viewer key until the index changes.
 */
import type { Repository } from './index/repository'
import type { SearchIndex } from './index/search-index'
import type { UserMarks } from './user-marks'
import type { Viewer } from './viewer'

/** Viewer keys remembered at once (each entry is a list of references). */
const CACHED_VIEWERS = 256

export class CatalogView {
  private readonly cache = new Map<string, { generation: number; repositories: Repository[] }>()

  constructor(
    readonly index: SearchIndex,
    readonly marks: UserMarks,
  ) {}

  /** The readable repositories that have at least one tag (zot lists no others), by name. */
  async visible(viewer: Viewer): Promise<Repository[]> {
    const all = await this.index.all()
    await this.marks.load()
    const cached = this.cache.get(viewer.key)
    if (cached && cached.generation === this.index.generation) return cached.repositories
    const repositories = all.filter((repository) => repository.images.length > 0 && viewer.canRead(repository.name))
    if (this.cache.size >= CACHED_VIEWERS) this.cache.delete(this.cache.keys().next().value!)
    this.cache.set(viewer.key, { generation: this.index.generation, repositories })
    return repositories
  }

  /** The repository if the viewer may read it (an unreadable one is answered as a missing one). */
  async readable(viewer: Viewer, name: string): Promise<Repository | undefined> {
    if (!viewer.canRead(name)) return undefined
    return this.index.get(name)
  }
}
