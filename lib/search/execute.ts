/**
 * @module
 * The one entry into zot's search API: the `/v2/_zot/ext/search` route and the web UI both run
 * their GraphQL requests through `runSearch`, so both see exactly what the request's principal
 * may read. The engine travels in the request context (`provideSearch`), set only when
 * `extensions.search` is on.
 */
import { GraphQLError, type ExecutionResult } from 'graphql'
import type { Context, MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../http/context'
import type { SearchEngine, ToggleOutcome } from './engine'

declare module 'hono' {
  interface ContextVariableMap {
    /** Present when `extensions.search` is enabled. */
    search: SearchEngine | undefined
  }
}

export interface SearchRequest {
  query: string
  variables?: Record<string, unknown>
  operationName?: string
}

/** zot's answer when search is off (the route itself answers 404 then). */
export const SEARCH_DISABLED = 'search extension is not enabled'

/**
 * Runs one GraphQL request for the request's principal.
 *
 * @example
 * const result = await runSearch(c, { query: '{ RepoListWithNewestImage { Results { Name } } }' })
 */
export async function runSearch(c: Context<AppEnv>, request: SearchRequest): Promise<ExecutionResult> {
  const engine = c.get('search')
  if (!engine) return { errors: [new GraphQLError(SEARCH_DISABLED)] }
  return engine.execute(engine.viewer(c.get('principal')), request)
}

/** Puts the engine in every request's context (mount before the routes that search). */
export const provideSearch = (engine: SearchEngine): MiddlewareHandler<AppEnv> =>
  createMiddleware<AppEnv>(async function provideSearch(c, next) {
    c.set('search', engine)
    await next()
  })

/**
 * Flips the request principal's star or bookmark on a repository (zot's userprefs), for the
 * userprefs route and the web UI alike. Without search there is nothing to toggle: 'unknown'.
 */
export async function toggleMark(
  c: Context<AppEnv>,
  repository: string,
  kind: 'star' | 'bookmark',
): Promise<ToggleOutcome> {
  const engine = c.get('search')
  if (!engine) return 'unknown'
  return engine.toggle(engine.viewer(c.get('principal')), repository, kind)
}
