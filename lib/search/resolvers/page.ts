/**
 * @module
 * zot's pagination (`pagination/*_pagination.go`): `limit` 0 means everything, a negative limit
 * or offset is an error, the sort criteria default per query, and `Page` counts every match
 * (`TotalCount`) and the page (`ItemCount`). Sorting is stable over candidates in name order,
 * so ties stay in name order and pages never overlap (zot's unstable sort can repeat an item on
 * two pages).
 */
import { GraphQLError } from 'graphql'

export type SortCriteria =
  | 'RELEVANCE'
  | 'UPDATE_TIME'
  | 'ALPHABETIC_ASC'
  | 'ALPHABETIC_DSC'
  | 'SEVERITY'
  | 'STARS'
  | 'DOWNLOADS'

export interface PageInput {
  limit?: number | null
  offset?: number | null
  sortBy?: SortCriteria | null
}

export interface Page<T> {
  items: T[]
  info: { TotalCount: number; ItemCount: number }
}

export type Compare<T> = (a: T, b: T) => number

/** zot's page validation messages (its error text, joined as Go's `%w` joins them). */
export function checkPage(page: PageInput | null | undefined): void {
  if ((page?.limit ?? 0) < 0) throw new GraphQLError('pagination limit has negative value')
  if ((page?.offset ?? 0) < 0) throw new GraphQLError('pagination offset has negative value')
}

/** Sorts (stably) and cuts the page as zot does; `sorts` lists the criteria this query knows. */
export function paginate<T>(
  all: T[],
  page: PageInput | null | undefined,
  fallback: SortCriteria,
  sorts: Partial<Record<SortCriteria, Compare<T>>>,
): Page<T> {
  checkPage(page)
  const sortBy = page?.sortBy ?? fallback
  const compare = sorts[sortBy]
  if (!compare) {
    throw new GraphQLError(
      `sorting repos by '${sortBy}' is not supported the pagination sort criteria is not supported`,
    )
  }
  if (all.length === 0) return { items: [], info: { TotalCount: 0, ItemCount: 0 } }
  const limit = page?.limit ?? 0
  const offset = page?.offset ?? 0
  const sorted =
    limit > 0 && limit + offset <= TOP_K_MAX && limit + offset < all.length
      ? topK(all, limit + offset, compare)
      : all.sort(compare)
  let start = Math.min(offset, all.length)
  let end = Math.min(offset + limit, all.length)
  // zot: no limit (and no offset) is the whole list.
  if (start === 0 && end === 0) {
    start = 0
    end = all.length
  }
  const items = sorted.slice(start, end)
  return { items, info: { TotalCount: all.length, ItemCount: items.length } }
}

/** Beyond this many, a full sort is cheaper than keeping a sorted window. */
const TOP_K_MAX = 500

/** The first `k` in order, without sorting the rest (a first page of 10,000 repositories). */
function topK<T>(all: T[], k: number, compare: Compare<T>): T[] {
  const kept: T[] = []
  for (const item of all) {
    if (kept.length === k && compare(item, kept[k - 1]!) >= 0) continue
    let low = 0
    let high = kept.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (compare(kept[middle]!, item) <= 0) low = middle + 1
      else high = middle
    }
    kept.splice(low, 0, item)
    if (kept.length > k) kept.pop()
  }
  return kept
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Later first; unknown (0) last, as zot's UPDATE_TIME. */
export const newestFirst = (a: number, b: number): number => (a === b ? 0 : a === 0 ? 1 : b === 0 ? -1 : b - a)

export { byText }
