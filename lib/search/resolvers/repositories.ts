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
import { byText, newestFirst, paginate, thenBy, type Compare, type PageInput, type SortCriteria } from './page'
import { rankRepositoryName } from './rank'
import { repoObject } from './summaries'

interface Ranked {
  repository: Repository
  rank: number
}

const byName: Compare<Ranked> = (a, b) => byText(a.repository.name, b.repository.name)

function repositorySorts(view: CatalogView): Partial<Record<SortCriteria, Compare<Ranked>>> {
  return {
    ALPHABETIC_ASC: byName,
    ALPHABETIC_DSC: (a, b) => byName(b, a),
    RELEVANCE: thenBy((a, b) => a.rank - b.rank, byName),
    UPDATE_TIME: thenBy((a, b) => newestFirst(a.repository.lastUpdated, b.repository.lastUpdated), byName),
    DOWNLOADS: thenBy((a, b) => b.repository.downloads - a.repository.downloads, byName),
    // zot refuses STARS for repositories though its schema offers it; here it sorts by stars.
    STARS: thenBy((a, b) => view.marks.starCount(b.repository.name) - view.marks.starCount(a.repository.name), byName),
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
  const repositories = (await view.visible(viewer)).filter((repository) => !marked || marked.has(repository.name))
  return repositoryPage(
    view,
    viewer,
    repositories.map((repository) => ({ repository, rank: 0 })),
    page,
    'UPDATE_TIME',
  )
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
  for (const repository of await view.visible(viewer)) {
    const rank = rankRepositoryName(query, repository.name)
    if (rank !== -1 && repositoryAccepted(repository, filter, viewer, view.marks)) ranked.push({ repository, rank })
  }
  return repositoryPage(view, viewer, ranked, page, 'RELEVANCE')
}
