/**
 * @module
 * zot's search endpoint, `GET`/`POST /v2/_zot/ext/search`, as gqlgen's transports answer: a
 * query in `?query=` (zui, with `variables` and `operationName` beside it) or a JSON body (zli);
 * 200 with `data` (and `errors` for failed fields), 422 when the request has no operation or does
 * not parse or validate, 400 for a body that is not JSON. Authorization (401 for anonymous
 * callers where nothing is anonymous-readable) ran before; results are filtered per viewer.
 */
import type { ExecutionResult } from 'graphql'
import type { Context, Hono } from 'hono'
import { readLimitedBody } from '../read-body'
import type { AppEnv } from '../context'
import { MAX_QUERY_BYTES } from '../../search/engine'
import { runSearch, type SearchRequest } from '../../search/execute'

export const SEARCH_PATH = '/v2/_zot/ext/search'

const answer = (body: unknown, status: number): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

const failure = (message: string, status: number): Response => answer({ errors: [{ message }], data: null }, status)

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The request's GraphQL operation, or the response refusing it. */
function requestOf(fields: Record<string, unknown>): SearchRequest | Response {
  const { query, variables, operationName } = fields
  if (typeof query !== 'string' || query.trim() === '') return failure('no operation provided', 422)
  if (variables !== undefined && variables !== null && !isObject(variables)) {
    return failure('variables must be an object', 400)
  }
  return {
    query,
    ...(isObject(variables) && { variables }),
    ...(typeof operationName === 'string' && operationName !== '' && { operationName }),
  }
}

async function fromQueryString(c: Context<AppEnv>): Promise<SearchRequest | Response> {
  const raw = c.req.query('variables')
  let variables: unknown
  if (raw) {
    try {
      variables = JSON.parse(raw)
    } catch {
      return failure('variables could not be decoded', 400)
    }
  }
  return requestOf({ query: c.req.query('query'), variables, operationName: c.req.query('operationName') })
}

async function fromBody(c: Context<AppEnv>): Promise<SearchRequest | Response> {
  const bytes = await readLimitedBody(c.req.raw, MAX_QUERY_BYTES * 2)
  let body: unknown
  try {
    body = JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    return failure('json request body could not be decoded', 400)
  }
  return isObject(body) ? requestOf(body) : failure('json request body could not be decoded', 400)
}

async function respond(c: Context<AppEnv>, request: SearchRequest | Response): Promise<Response> {
  if (request instanceof Response) return request
  const result: ExecutionResult = await runSearch(c, request)
  // graphql-js leaves `data` out when the operation did not parse or validate: gqlgen's 422.
  return answer(result, 'data' in result ? 200 : 422)
}

/** Mounts the search endpoint (only when `extensions.search` is on: otherwise zot's 404). */
export function searchRoutes(app: Hono<AppEnv>): void {
  app.get(SEARCH_PATH, async (c) => respond(c, await fromQueryString(c)))
  app.post(SEARCH_PATH, async (c) => respond(c, await fromBody(c)))
}
