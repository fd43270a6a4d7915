/**
 * @module
 * `credentialHelper: "oauth2"` with `oauth2CredentialHelper`: an assertion (oauth2-assertion.ts)
 * exchanged at `tokenURL` for a short-lived access token, which is the registry password paired
 * with `username` (default `<token>`), as zot's oauth2 helper does. The grants, sent as zot sends
 * them (a form POST; `clientID`, the secret of `clientSecretFile` and the space-joined `scopes`
 * added when set):
 *
 * - `client_credentials` (default): the assertion authenticates the client
 *   (`client_assertion_type` jwt-bearer, RFC 7523 section 2.2).
 * - `urn:ietf:params:oauth:grant-type:jwt-bearer`: the assertion is the grant (`assertion`).
 * - `urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693): the assertion is the
 *   `subject_token`, with `audience`, `subject_token_type` (default the JWT type) and
 *   `requested_token_type` (default the access-token type).
 *
 * One token serves every URL of the entry (a single-use assertion is exchanged once, not once
 * per mirror). It is refreshed a minute before it expires; an answer without `expires_in` is
 * taken to live five minutes.
 */
import { readFile } from 'node:fs/promises'
import type { SyncRegistryConfig } from '../../../config'
import { AssertionFileError, assertion } from './oauth2-assertion'
import type { CredentialHelper, ExpiringCredentials } from './refreshing-credentials'

export type OAuth2HelperConfig = NonNullable<SyncRegistryConfig['oauth2CredentialHelper']>

export const CLIENT_CREDENTIALS = 'client_credentials'
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt'
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'
const DEFAULT_USERNAME = '<token>'

const REFRESH_AHEAD_MS = 60_000
const DEFAULT_LIFETIME_MS = 5 * 60_000
const REQUEST_TIMEOUT_MS = 30_000
/** Of an error answer, kept for the log. */
const ERROR_BODY_BYTES = 1024

/** The token endpoint refused, or answered something that is not a token. */
class TokenEndpointError extends Error {
  override name = 'TokenEndpointError'
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message)
  }
}

async function clientSecret(file: string | undefined): Promise<string | undefined> {
  if (!file) return undefined
  try {
    return (await readFile(file, 'utf8')).trim() || undefined
  } catch (error) {
    throw new AssertionFileError(`cannot read the oauth2 client secret file ${file}: ${(error as Error).message}`)
  }
}

/** The token request's form, as zot's `requestValues` builds it. */
export function tokenRequest(config: OAuth2HelperConfig, signed: string, secret: string | undefined): URLSearchParams {
  const grantType = config.grantType || CLIENT_CREDENTIALS
  const form = new URLSearchParams({ grant_type: grantType })
  if (grantType === JWT_BEARER) {
    form.set('assertion', signed)
  } else if (grantType === TOKEN_EXCHANGE) {
    form.set('subject_token', signed)
    form.set('subject_token_type', config.subjectTokenType || JWT_TOKEN_TYPE)
    form.set('requested_token_type', config.requestedTokenType || ACCESS_TOKEN_TYPE)
    form.set('audience', config.audience ?? '')
  } else {
    form.set('client_assertion_type', CLIENT_ASSERTION_TYPE)
    form.set('client_assertion', signed)
  }
  if (config.clientID) form.set('client_id', config.clientID)
  if (secret) form.set('client_secret', secret)
  if (config.scopes.length > 0) form.set('scope', config.scopes.join(' '))
  return form
}

/** `expires_in` in ms: a number or a numeric string (some endpoints quote it); absent: the default. */
function lifetimeOf(expiresIn: unknown): number {
  const seconds = typeof expiresIn === 'string' ? Number(expiresIn) : expiresIn
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_LIFETIME_MS
}

async function exchange(config: OAuth2HelperConfig): Promise<ExpiringCredentials> {
  const form = tokenRequest(config, await assertion(config), await clientSecret(config.clientSecretFile))
  const tokenUrl = config.tokenURL ?? ''
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: form,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  })
  const body = await response.text()
  if (response.status !== 200) {
    throw new TokenEndpointError(
      `the oauth2 token endpoint ${tokenUrl} answered ${response.status}: ${body.slice(0, ERROR_BODY_BYTES).trim()}`,
      response.status,
    )
  }
  let parsed: { access_token?: unknown; expires_in?: unknown }
  try {
    parsed = JSON.parse(body) as typeof parsed
  } catch {
    throw new TokenEndpointError(`the oauth2 token endpoint ${tokenUrl} answered 200 without JSON`)
  }
  if (typeof parsed.access_token !== 'string' || parsed.access_token === '')
    throw new TokenEndpointError(`the oauth2 token endpoint ${tokenUrl} returned no access_token`)
  return {
    username: config.username || DEFAULT_USERNAME,
    password: parsed.access_token,
    expiresAt: Date.now() + lifetimeOf(parsed.expires_in),
  }
}

export function oauth2Helper(config: OAuth2HelperConfig): CredentialHelper {
  return {
    name: 'oauth2',
    refreshAheadMs: REFRESH_AHEAD_MS,
    keyOf: () => '',
    fetch: () => exchange(config),
    fixFor(error) {
      if (error instanceof AssertionFileError)
        return 'check the file exists, zot can read it, and it holds what it should'
      if (error instanceof TokenEndpointError && error.status !== undefined && error.status < 500)
        return 'check tokenURL, grantType, clientID, the client secret and that the identity provider accepts the assertion'
      return undefined
    },
  }
}
