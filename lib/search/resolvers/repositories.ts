/**
 * @module
 * The queries answering with repositories: RepoListWithNewestImage, StarredRepos,
 * BookmarkedRepos and GlobalSearch's repository search. Filters and sorts work on the index's
 * precomputed figures; only the page's repositories become GraphQL objects.
 */
import type { CatalogView } from '../catalog-view'
import type { Repository } from '../index/repository'
import type { Viewer } from '../viewer'
import { repositoryAccepted, type Filter } from './filter'
import { byText, newestFirst, paginate, type Compare, type PageInput, type SortCriteria } from './page'
import { repositoryRanker } from './rank'
import { repoObject } from './summaries'

interface Ranked {
  repository: Repository
  rank: number
}

const byName: Compare<Ranked> = (a, b) => byText(a.repository.name, b.repository.name)

/**
 * The candidates arrive in name order (the index's), and sorting is stable: ties stay in name
 * order without comparing names again.
 */
function repositorySorts(view: CatalogView): Partial<Record<SortCriteria, Compare<Ranked>>> {
  return {
    ALPHABETIC_ASC: () => 0,
    ALPHABETIC_DSC: (a, b) => byName(b, a),
    RELEVANCE: (a, b) => a.rank - b.rank,
    UPDATE_TIME: (a, b) => newestFirst(a.repository.lastUpdated, b.repository.lastUpdated),
    DOWNLOADS: (a, b) => b.repository.downloads - a.repository.downloads,
    // zot refuses STARS for repositories though its schema offers it; here it sorts by stars.
    STARS: (a, b) => view.marks.starCount(b.repository.name) - view.marks.starCount(a.repository.name),
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
    Results: items.map(({ repository, rank }) => repoObject(repository, viewer, view.marks, rank)),
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
  for (const { name, current: repository } of await view.visible(viewer)) {
    if (repository.images.length > 0 && (!marked || marked.has(name))) ranked.push({ repository, rank: 0 })
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
  for (const { name, current: repository } of await view.visible(viewer)) {
    const rank = rankOf(name)
    if (rank === -1 || repository.images.length === 0) continue
    if (repositoryAccepted(repository, filter, viewer, view.marks)) ranked.push({ repository, rank })
  }
  return repositoryPage(view, viewer, ranked, page, 'RELEVANCE')
}
