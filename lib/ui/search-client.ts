/**
 * @module
 * Runs the UI's GraphQL documents through `runSearch` as the request's principal, so pages see
 * exactly what zui and zli would (same schema, same access control).
 */
import type { Context } from 'hono'
import type { AppEnv } from '../http/context'
import { runSearch, SEARCH_DISABLED } from '../search/execute'

export type SearchAnswer<T> = { kind: 'data'; data: T } | { kind: 'disabled' } | { kind: 'error'; message: string }

/**
 * The answer's data when the query produced any (a field's error beside data still counts as
 * an answer); `disabled` without `extensions.search`; else the first error's message.
 */
export async function searchFor<T>(
  c: Context<AppEnv>,
  query: string,
  variables: Record<string, unknown>,
): Promise<SearchAnswer<T>> {
  const result = await runSearch(c, { query, variables })
  const first = result.errors?.[0]?.message
  if (first === SEARCH_DISABLED) return { kind: 'disabled' }
  if (result.data) {
    const values = Object.values(result.data)
    if (values.length > 0 && values.every((value) => value !== null)) return { kind: 'data', data: result.data as T }
  }
  return { kind: 'error', message: first ?? 'the search returned nothing' }
}
