/**
 * @module
 * `n`/`last` pagination shared by tags/list and _catalog: lexical order, the page after `last`,
 * and a `Link: <...>; rel="next"` header when more remain.
 */
import { RegistryError } from '../errors/registry-error'

export interface Page {
  items: string[]
  /** The Link header value, when there is a next page. */
  link?: string
}

/** Cuts a sorted list into the page the query asks for. */
export function paginate(sorted: string[], query: { n?: string; last?: string }, basePath: string): Page {
  let items = sorted
  if (query.last !== undefined && query.last !== '') {
    const last = query.last
    items = items.filter((item) => item > last)
  }
  if (query.n === undefined || query.n === '') return { items }
  if (!/^\d+$/.test(query.n)) {
    throw new RegistryError('PAGINATION_NUMBER_INVALID', {
      detail: { description: 'n must be a non-negative integer', n: query.n },
    })
  }
  const n = Number(query.n)
  if (items.length <= n) return { items }
  const page = items.slice(0, n)
  const lastItem = page.at(-1)
  if (lastItem === undefined) return { items: page }
  return { items: page, link: `<${basePath}?n=${n}&last=${encodeURIComponent(lastItem)}>; rel="next"` }
}
