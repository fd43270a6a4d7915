/**
 * @module
 * `POST/GET/DELETE /zot/auth/apikey` (docs/zot-compatibility.md 4.3) for the authenticated user.
 *
 * Keys are managed only by a user who logged in with a password or OpenID: a principal that
 * authenticated with an API key may list keys but not create or delete any, so a leaked CI key
 * cannot mint itself a successor that outlives its revocation (zot allows it). A key with scopes
 * may not even list keys (403): it is meant for a few repositories, and the list would show
 * every other key of its owner, with their labels and scopes. State-changing calls a browser
 * marks as cross-site are refused (CSRF).
 */
import { Hono, type Context } from 'hono'
import { readLimitedBody } from '../../http/read-body'
import type { AppEnv, Principal } from '../../http/context'
import { ApiKeyInputError, type ApiKeyStore, type NewApiKey } from './api-key-store'
import { denied, problem, unauthorized, type FailureOptions } from '../failures'
import { isAnonymous, scopesOf } from '../policy/principal'
import { sameOrigin } from '../sessions/same-origin'

export interface ApiKeyRoutesOptions extends FailureOptions {
  store: ApiKeyStore
  /** Origins besides the request's own allowed to call (externalUrl, callbackAllowOrigins). */
  trustedOrigins?: string[]
}

export const API_KEY_PATH = '/zot/auth/apikey'
const BODY_LIMIT = 8 * 1024
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/

/** Validates zot's request body; a string is the reason it is refused. */
export function parseNewApiKey(text: string): NewApiKey | string {
  let body: unknown
  try {
    body = text.trim() === '' ? {} : JSON.parse(text)
  } catch {
    return 'the body is not valid JSON'
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return 'the body must be a JSON object'
  }
  const { label, scopes, expirationDate } = body as Record<string, unknown>
  if (label !== undefined && typeof label !== 'string') return 'label must be a string'
  if (
    scopes !== undefined &&
    scopes !== null &&
    !(Array.isArray(scopes) && scopes.every((scope) => typeof scope === 'string'))
  ) {
    return 'scopes must be a list of strings'
  }
  if (expirationDate !== undefined && expirationDate !== null && expirationDate !== '') {
    if (
      typeof expirationDate !== 'string' ||
      !RFC3339.test(expirationDate) ||
      Number.isNaN(Date.parse(expirationDate))
    ) {
      return 'expirationDate must be an RFC 3339 date-time'
    }
  }
  return {
    ...(label !== undefined && { label }),
    ...(Array.isArray(scopes) && { scopes: scopes as string[] }),
    ...(typeof expirationDate === 'string' && expirationDate !== '' && { expirationDate: new Date(expirationDate) }),
  }
}

/**
 * The API-key endpoints as a hono app with full paths; mount with `app.route('/', ...)` after
 * `authenticate` has run.
 *
 * @example
 * app.route('/', apiKeyRoutes({ store, realm, trustedOrigins: [externalOrigin] }))
 */
export function apiKeyRoutes(options: ApiKeyRoutesOptions): Hono<AppEnv> {
  const { store } = options
  const app = new Hono<AppEnv>()

  function owner(c: Context<AppEnv>): Principal {
    const principal = c.get('principal')
    if (!principal || isAnonymous(principal)) throw unauthorized(c, options, 'authentication required')
    return principal
  }

  function manager(c: Context<AppEnv>): Principal {
    const principal = owner(c)
    if (principal.method === 'apikey') {
      throw denied('API keys cannot create or delete API keys; log in with a password or OpenID')
    }
    return principal
  }

  app.use(API_KEY_PATH, sameOrigin(options.trustedOrigins ?? []))

  app.get(API_KEY_PATH, async (c) => {
    const principal = owner(c)
    if (scopesOf(principal)) throw denied('API keys with scopes cannot list API keys')
    return c.json({ apiKeys: await store.list(principal.username) })
  })

  app.post(API_KEY_PATH, async (c) => {
    const principal = manager(c)
    const input = parseNewApiKey(new TextDecoder().decode(await readLimitedBody(c.req.raw, BODY_LIMIT)))
    if (typeof input === 'string') return problem(400, input)
    try {
      const created = await store.create(principal.username, {
        ...input,
        creatorUa: c.req.header('User-Agent') ?? '',
      })
      return c.json(created, 201)
    } catch (error) {
      if (error instanceof ApiKeyInputError) return problem(400, error.message)
      throw error
    }
  })

  app.delete(API_KEY_PATH, async (c) => {
    const principal = manager(c)
    const ids = c.req.queries('id') ?? []
    if (ids.length !== 1 || !ids[0]) {
      return problem(400, 'exactly one id query parameter is required')
    }
    if (!(await store.remove(principal.username, ids[0]))) return problem(404, 'no such API key')
    return c.body(null, 200)
  })

  return app
}
