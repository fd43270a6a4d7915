/**
 * @module
 * The search engine: zot's schema executed by the `graphql` reference implementation over the
 * in-memory search index, for one viewer at a time. Requests are bounded before execution
 * (size, root fields, fields with fragments expanded), so no query can keep the event loop busy.
 * Parsed and validated documents are kept by their text: zui and zli repeat the same queries,
 * and validation costs more than answering a page of results.
 */
import { execute, GraphQLError, parse, validate, type DocumentNode, type ExecutionResult } from 'graphql'
import type { Principal } from '../http/context'
import type { SearchRequest } from './execute'
import { costProblem } from './query-cost'
import { searchSchema } from './schema'
import type { Viewer } from './viewer'

/** Larger requests are refused unread: zui's and zli's largest query is under 4 KiB. */
export const MAX_QUERY_BYTES = 64 * 1024
/** Tokens a query may have: zui's largest has about 300. */
const MAX_TOKENS = 5_000
/** Valid documents remembered (by query text). */
const CACHED_DOCUMENTS = 256

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

/**
 * Resolvers answer zot's messages as GraphQLErrors; anything else (storage unreachable) is told
 * without its details, which may name hosts or paths.
 */
function withoutInternals(error: GraphQLError): GraphQLError {
  const cause = error.originalError
  if (!cause || cause instanceof GraphQLError) return error
  return new GraphQLError('search is unavailable: the registry could not read its storage', {
    ...(error.nodes && { nodes: error.nodes }),
    ...(error.path && { path: error.path }),
  })
}

export function createSearchEngine(options: {
  viewer: (principal: Principal | undefined) => Viewer
  root: RootResolvers
  toggle: SearchEngine['toggle']
}): SearchEngine {
  const documents = new Map<string, DocumentNode>()
  /** The parsed, valid document, or the errors that make it unusable. */
  const documentOf = (query: string): DocumentNode | readonly GraphQLError[] => {
    const cached = documents.get(query)
    if (cached) return cached
    let document: DocumentNode
    try {
      document = parse(query, { maxTokens: MAX_TOKENS })
    } catch (error) {
      return [error instanceof GraphQLError ? error : new GraphQLError(String(error))]
    }
    // Before validation, whose cost grows with the square of same-named fields.
    const tooCostly = costProblem(document)
    if (tooCostly) return [tooCostly]
    const errors = validate(searchSchema(), document)
    if (errors.length > 0) return errors
    if (documents.size >= CACHED_DOCUMENTS) documents.delete(documents.keys().next().value!)
    documents.set(query, document)
    return document
  }
  return {
    viewer: options.viewer,
    toggle: options.toggle,
    async execute(viewer, request) {
      if (request.query.length > MAX_QUERY_BYTES) {
        return { errors: [new GraphQLError(`query is larger than ${MAX_QUERY_BYTES} bytes`)] }
      }
      const document = documentOf(request.query)
      if (!('kind' in document)) return { errors: document }
      const result = await execute({
        schema: searchSchema(),
        document,
        rootValue: options.root(viewer),
        ...(request.variables && { variableValues: request.variables }),
        ...(request.operationName && { operationName: request.operationName }),
      })
      return result.errors ? { ...result, errors: result.errors.map(withoutInternals) } : result
    },
  }
}
