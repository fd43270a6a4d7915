/**
 * @module
 * The search engine: zot's schema executed by the `graphql` reference implementation over the
 * in-memory search index, for one viewer at a time. Requests are bounded before execution
 * (size, depth of selections), so no query can keep the event loop busy.
 */
import { graphql, GraphQLError, type ExecutionResult } from 'graphql'
import type { Principal } from '../http/context'
import type { SearchRequest } from './execute'
import { searchSchema } from './schema'
import type { Viewer } from './viewer'

/** Larger requests are refused unread: zui's and zli's largest query is under 4 KiB. */
export const MAX_QUERY_BYTES = 64 * 1024

/** zot's userprefs outcomes: toggled, not allowed (anonymous, or cannot read), no such repository. */
export type ToggleOutcome = 'toggled' | 'forbidden' | 'unknown'

export interface SearchEngine {
  /** The viewer a request's principal (undefined: no authentication configured) searches as. */
  viewer(principal: Principal | undefined): Viewer
  execute(viewer: Viewer, request: SearchRequest): Promise<ExecutionResult>
  /** Flips the viewer's star or bookmark on a repository (zot's toggleStar / toggleBookmark). */
  toggle(viewer: Viewer, repository: string, kind: 'star' | 'bookmark'): Promise<ToggleOutcome>
}

/** The root resolvers for one viewer (each Query field is a function of its arguments). */
export type RootResolvers = (viewer: Viewer) => Record<string, unknown>

export function createSearchEngine(options: {
  viewer: (principal: Principal | undefined) => Viewer
  root: RootResolvers
  toggle: SearchEngine['toggle']
}): SearchEngine {
  return {
    viewer: options.viewer,
    toggle: options.toggle,
    async execute(viewer, request) {
      if (request.query.length > MAX_QUERY_BYTES) {
        return { errors: [new GraphQLError(`query is larger than ${MAX_QUERY_BYTES} bytes`)] }
      }
      return graphql({
        schema: searchSchema(),
        source: request.query,
        rootValue: options.root(viewer),
        ...(request.variables && { variableValues: request.variables }),
        ...(request.operationName && { operationName: request.operationName }),
      })
    },
  }
}
