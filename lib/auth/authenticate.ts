/**
 * @module
 * Who is calling: sets `c.var.principal` for every request, in zot's order (docs/zot-compatibility.md
 * 3.4): Basic credentials (API key, htpasswd, LDAP), else a session cookie (only with the
 * `X-ZOT-API-CLIENT: zot-ui` header, as in zot: a header a cross-site form cannot send is the
 * CSRF defence of cookie sessions), else the client certificate's identity (mTLS), else
 * anonymous. Whether anonymous may do anything is `authorize`'s call.
 *
 * Offered credentials that do not check out are a 401 even where anonymous access would have
 * been allowed (a typo must not silently downgrade a push to an anonymous pull), after
 * `failDelay`; password guesses beyond the throttle's limits are a 429 with `Retry-After`, also
 * after `failDelay` (password-login.ts). An LDAP directory that cannot be asked is a 503 (the
 * credentials may be right; a 401 would make clients drop them). The `Authorization` value is
 * never logged or echoed.
 *
 * With both htpasswd and LDAP, a name listed in the htpasswd file is that file's user and is not
 * looked up in the directory (zot asks the directory after a wrong htpasswd password): their
 * passwords never reach the directory, and a guess counts once in the throttle.
 */
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv, Principal } from '../http/context'
import { RegistryError } from '../errors/registry-error'
import { clientAddress } from '../http/client-address'
import type { Logger } from '../log/logger'
import type { AccessControl } from './policy/access-control'
import { looksLikeApiKey } from './keys/api-key-format'
import { parseAuthorization, type BasicCredentials } from './basic-credentials'
import { failAfterDelay, unauthorized, type FailureOptions } from './failures'
import type { Htpasswd } from './htpasswd/htpasswd'
import type { KeyScope } from './keys/key-scope'
import type { LoginThrottle } from './htpasswd/login-throttle'
import { checkLogin, checkPassword, tooManyLogins, type PasswordSource } from './htpasswd/password-login'
import { LdapUnavailableError } from './ldap/ldap-unavailable'
import { clientCertificateOf } from './mtls/certificate-identity'
import { anonymousPrincipal, type ScopedPrincipal } from './policy/principal'
import { isUiClient } from './sessions/ui-client'

/** What an API-key check yields: the owner, with the groups of their last OpenID login. */
export interface KeyLogin {
  username: string
  groups: string[]
  scopes: KeyScope[]
}

/** The part of the API-key store authentication needs. */
export interface ApiKeyVerifier {
  /** The key's owner when `key` is a live key of `username`, who still exists; else undefined. */
  verify(username: string, key: string): Promise<KeyLogin | undefined>
}

export interface AuthenticateOptions extends FailureOptions {
  access: AccessControl
  htpasswd?: Htpasswd
  /** Throttles password guesses; without it every attempt is hashed (in-process tests). */
  throttle?: LoginThrottle
  apiKeys?: ApiKeyVerifier
  /** LDAP logins: the user's groups from the directory (ldap/ldap-login.ts). */
  ldap?: PasswordSource<string[]>
  /** The user a verified client certificate stands for (`http.tls.cacert`, `http.auth.mtls`). */
  mtls?: (certificate: Buffer) => string | undefined
  /** Reads a cookie session (OpenID or UI login); consulted only with the zot-ui header. */
  session?: (c: Context<AppEnv>) => Promise<Principal | undefined>
  logger?: Logger
}

/** Adds the static `accessControl.groups` of the user to whatever the login method found. */
export function withStaticGroups<P extends Principal>(principal: P, access: AccessControl): P {
  if (principal.username === '') return principal
  const groups = [...new Set([...principal.groups, ...access.staticGroups(principal.username)])].sort()
  return { ...principal, groups }
}

/** A principal, undefined for wrong credentials, or a refusal to check them now. */
async function checkBasic(
  options: AuthenticateOptions,
  { username, password }: BasicCredentials,
  address: string | undefined,
): Promise<ScopedPrincipal | { retryAfterSeconds: number } | undefined> {
  // Only key-shaped passwords go to the key store; a failed key still falls back to htpasswd in
  // case someone's htpasswd password happens to look like a key. Either way the identity is the
  // same user: a key is only accepted with its owner's name. Keys are not throttled: they cost
  // no hash and cannot be guessed.
  if (options.apiKeys && looksLikeApiKey(password)) {
    const login = await options.apiKeys.verify(username, password)
    if (login) return { ...login, method: 'apikey' }
  }
  const attempt = { username, password, address }
  if (options.htpasswd && (!options.ldap || (await options.htpasswd.has(username)))) {
    const verdict = await checkPassword(options.htpasswd, options.throttle, attempt)
    if (verdict === 'ok') return { username, groups: [], method: 'htpasswd' }
    return verdict === 'wrong' ? undefined : verdict
  }
  if (!options.ldap) return undefined
  const verdict = await checkLogin(options.ldap, options.throttle, attempt)
  if (Array.isArray(verdict)) return { username, groups: verdict, method: 'ldap' }
  return verdict === 'wrong' ? undefined : verdict
}

/** Seconds a client should wait before retrying while the directory is down. */
const LDAP_RETRY_SECONDS = 5

/** The 503 of a login the directory could not answer. */
const directoryUnavailable = () =>
  new RegistryError('UNAVAILABLE', {
    detail: { description: 'the LDAP directory cannot be reached; retry later' },
    headers: { 'Retry-After': String(LDAP_RETRY_SECONDS) },
  })

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
      const outcome = await checkBasic(options, header.credentials, clientAddress(c)).catch((error: unknown) => {
        if (!(error instanceof LdapUnavailableError)) throw error
        options.logger?.warn('LDAP directory unavailable', { error: error.message })
        throw directoryUnavailable()
      })
      if (!outcome || !('username' in outcome)) {
        options.logger?.info(outcome ? 'authentication throttled' : 'authentication failed', {
          username: header.credentials.username,
          path: c.req.path,
        })
        return failAfterDelay(
          options,
          outcome ? tooManyLogins(outcome) : unauthorized(c, options, 'invalid credentials'),
        )
      }
      principal = outcome
    } else if (options.session && isUiClient(c)) {
      principal = await options.session(c)
    }
    const certificate = !principal && options.mtls ? clientCertificateOf(c) : undefined
    const identity = certificate && options.mtls?.(certificate)
    if (identity) principal = { username: identity, groups: [], method: 'mtls' }
    c.set('principal', withStaticGroups(principal ?? anonymousPrincipal(), options.access))
    await next()
  })
