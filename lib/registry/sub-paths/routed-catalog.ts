/**
 * @module
 * The catalog of a registry with subPaths stores: every store's catalog (each walks and keeps its
 * own, unchanged), merged into one sorted list, so `/v2/_catalog` paginates over all stores as
 * over one. zot lists the default store first and then each sub-store by route, which is not
 * lexical order; one sorted list keeps `?last=` meaning what the spec says.
 *
 * A repository is listed only by the store its name routes to: a directory left in another
 * store's root (`a/x` in the default root, written before `/a` was configured) cannot be pulled,
 * so it is not offered either (zot lists it and then answers 404 for it).
 */
import type { CatalogView } from '../registry'

interface CatalogStore {
  registry: { readonly catalog: CatalogView }
}

export class MergedCatalog implements CatalogView {
  /** The stores' lists the merged one was built from: reused while none of them changed. */
  private sources: readonly string[][] = []
  private merged: string[] = []

  constructor(
    private readonly stores: readonly CatalogStore[],
    private readonly storeOf: (repository: string) => CatalogStore,
  ) {}

  has(repository: string): boolean {
    return this.storeOf(repository).registry.catalog.has(repository)
  }

  /** Every repository of every store, sorted. */
  async list(): Promise<string[]> {
    const lists = await Promise.all(this.stores.map((store) => store.registry.catalog.list()))
    // Each store's catalog hands out the same array until it changes.
    if (lists.length === this.sources.length && lists.every((list, index) => list === this.sources[index]))
      return this.merged
    const reachable = lists.flatMap((list, index) =>
      list.filter((repository) => this.storeOf(repository) === this.stores[index]),
    )
    this.sources = lists
    this.merged = reachable.sort()
    return this.merged
  }
}
