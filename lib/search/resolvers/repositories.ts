/**
 * @module
 * The queries answering with repositories: RepoListWithNewestImage, StarredRepos,
 * BookmarkedRepos and GlobalSearch's repository search. Filters and sorts work on the index's
 * precomputed figures; only the page's repositories become GraphQL objects.
 */
import type { CatalogView } from '../catalog-view'
import type { Entry } from '../index/search-index'
import type { Viewer } from '../viewer'
import { repositoryAccepted, type Filter } from './filter'
import { byText, newestFirst, paginate, type Compare, type PageInput, type SortCriteria } from './page'
import { repositoryRanker } from './rank'
import { repoObject } from './summaries'

/** A candidate: the entry (its content read only to sort and answer) and its search rank. */
interface Ranked {
  entry: Entry
  rank: number
}

const byName: Compare<Ranked> = (a, b) => byText(a.entry.name, b.entry.name)

/**
 * The candidates arrive in name order (the index's), and sorting is stable: ties stay in name
 * order without comparing names again.
 */
function repositorySorts(view: CatalogView): Partial<Record<SortCriteria, Compare<Ranked>>> {
  return {
    ALPHABETIC_ASC: () => 0,
    ALPHABETIC_DSC: (a, b) => byName(b, a),
    RELEVANCE: (a, b) => a.rank - b.rank,
    UPDATE_TIME: (a, b) => newestFirst(a.entry.current.lastUpdated, b.entry.current.lastUpdated),
    DOWNLOADS: (a, b) => b.entry.current.downloads - a.entry.current.downloads,
    // zot refuses STARS for repositories though its schema offers it; here it sorts by stars.
    STARS: (a, b) => view.marks.starCount(b.entry.name) - view.marks.starCount(a.entry.name),
  }
}

export function repositoryPage(
  view: CatalogView,
  viewer: Viewer,
  ranked: Ranked[],
  page: PageInput | null | undefined,
  fallback: SortCriteria,
) {
  const { items, info } = paginate(ranked, page, fallback, repositorySorts(view))
  return {
    Page: info,
    Results: items.map(({ entry, rank }) => repoObject(entry.current, viewer, view.marks, rank)),
  }
}

/** Every readable repository (RepoListWithNewestImage), or those the viewer starred/bookmarked. */
export async function listRepositories(
  view: CatalogView,
  viewer: Viewer,
  page: PageInput | null | undefined,
  only?: 'star' | 'bookmark',
) {
  const marked = only ? view.marks.repositories(viewer.username, only) : undefined
  const ranked: Ranked[] = []
  for (const entry of await view.visible(viewer)) {
    if (entry.tagged && (!marked || marked.has(entry.name))) ranked.push({ entry, rank: 0 })
  }
  return repositoryPage(view, viewer, ranked, page, 'UPDATE_TIME')
}

/** GlobalSearch by repository name: ranked matches that pass the filter. */
export async function searchRepositories(
  view: CatalogView,
  viewer: Viewer,
  query: string,
  filter: Filter,
  page: PageInput | null | undefined,
) {
  const ranked: Ranked[] = []
  const rankOf = repositoryRanker(query)
  const filtered = Object.keys(filter).length > 0
  // The hot loop of a search: only the entry and its name are read unless a filter needs more.
  for (const entry of await view.visible(viewer)) {
    if (!entry.tagged) continue
    const rank = rankOf(entry.name)
    if (rank === -1) continue
    if (!filtered || repositoryAccepted(entry.current, filter, viewer, view.marks)) ranked.push({ entry, rank })
  }
  return repositoryPage(view, viewer, ranked, page, 'RELEVANCE')
}
