/**
 * @module
 * Who is calling: sets `c.var.principal` for every request, in zot's order (zot-behaviour.md
 * 3.4): Basic credentials (htpasswd, API key), else a session cookie (only with the
 * `X-ZOT-API-CLIENT: zot-ui` header, as in zot: a header a cross-site form cannot send is the
 * CSRF defence of cookie sessions), else anonymous. Whether anonymous may do anything is
 * `authorize`'s call.
 *
 * Offered credentials that do not check out are a 401 even where anonymous access would have
 * been allowed (a typo must not silently downgrade a push to an anonymous pull), after
 * `failDelay`. The `Authorization` value is never logged or echoed.
 */
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv, Principal } from '../http/context'
import type { Logger } from '../log/logger'
import type { AccessControl } from './access-control'
import { looksLikeApiKey } from './api-key-format'
import { parseAuthorization, type BasicCredentials } from './basic-credentials'
import { failAfterDelay, unauthorized, type FailureOptions } from './failures'
import type { Htpasswd } from './htpasswd'
import type { KeyScope } from './key-scope'
import { anonymousPrincipal, type ScopedPrincipal } from './principal'
import { isUiClient } from './ui-client'

/** What an API-key check yields: the owner as known at their last interactive login. */
export interface KeyLogin {
  username: string
  groups: string[]
  scopes: KeyScope[]
}

/** The part of the API-key store authentication needs. */
export interface ApiKeyVerifier {
  /** The key's owner when `key` is a live key of `username`; undefined otherwise. */
  verify(username: string, key: string): Promise<KeyLogin | undefined>
}

export interface AuthenticateOptions extends FailureOptions {
  access: AccessControl
  htpasswd?: Htpasswd
  apiKeys?: ApiKeyVerifier
  /** Reads a cookie session (OpenID or UI login); consulted only with the zot-ui header. */
  session?: (c: Context<AppEnv>) => Promise<Principal | undefined>
  logger?: Logger
}

/** Adds the static `accessControl.groups` of the user to whatever the login method found. */
function withStaticGroups<P extends Principal>(principal: P, access: AccessControl): P {
  if (principal.username === '') return principal
  const groups = [
    ...new Set([...principal.groups, ...access.staticGroups(principal.username)]),
  ].sort()
  return { ...principal, groups }
}

async function checkBasic(
  options: AuthenticateOptions,
  { username, password }: BasicCredentials,
): Promise<ScopedPrincipal | undefined> {
  // Only key-shaped passwords go to the key store; a failed key still falls back to htpasswd in
  // case someone's htpasswd password happens to look like a key. Either way the identity is the
  // same user: a key is only accepted with its owner's name.
  if (options.apiKeys && looksLikeApiKey(password)) {
    const login = await options.apiKeys.verify(username, password)
    if (login) return { ...login, method: 'apikey' }
  }
  if (options.htpasswd && (await options.htpasswd.verify(username, password))) {
    return { username, groups: [], method: 'htpasswd' }
  }
  return undefined
}

/**
 * Establishes `c.var.principal`. Install it whenever any authentication method is configured;
 * without it, `authorize` treats the registry as having no authentication at all.
 *
 * @throws RegistryError UNAUTHORIZED (401, Basic challenge) for bad or malformed credentials
 * @example
 * app.use('*', authenticate({ access, htpasswd: createHtpasswd({ path }), realm, failDelay }))
 */
export const authenticate = (options: AuthenticateOptions) =>
  createMiddleware<AppEnv>(async function authenticate(c, next) {
    const header = parseAuthorization(c.req.header('Authorization'))
    let principal: Principal | undefined
    if (header.kind === 'invalid') {
      options.logger?.info('authentication refused', { reason: header.reason, path: c.req.path })
      return failAfterDelay(options, unauthorized(c, options, header.reason))
    }
    if (header.kind === 'basic') {
      principal = await checkBasic(options, header.credentials)
      if (!principal) {
        options.logger?.info('authentication failed', {
          username: header.credentials.username,
          path: c.req.path,
        })
        return failAfterDelay(options, unauthorized(c, options, 'invalid credentials'))
      }
    } else if (options.session && isUiClient(c)) {
      principal = await options.session(c)
    }
    c.set('principal', withStaticGroups(principal ?? anonymousPrincipal(), options.access))
    await next()
  })
