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
 * per mirror). It is refreshed a minute before it expires.
 */
import { readFile } from 'node:fs/promises'
import type { SyncRegistryConfig } from '../../../config'
import { AssertionFileError, assertion } from './oauth2-assertion'
import type { CredentialHelper, ExpiringCredentials } from './refreshing-credentials'
import { requestToken, TokenEndpointError } from './token-endpoint'

export type OAuth2HelperConfig = NonNullable<SyncRegistryConfig['oauth2CredentialHelper']>

export const CLIENT_CREDENTIALS = 'client_credentials'
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt'
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'
const DEFAULT_USERNAME = '<token>'

const REFRESH_AHEAD_MS = 60_000

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

async function exchange(config: OAuth2HelperConfig): Promise<ExpiringCredentials> {
  const form = tokenRequest(config, await assertion(config), await clientSecret(config.clientSecretFile))
  const { accessToken, expiresAt } = await requestToken(config.tokenURL ?? '', form)
  return { username: config.username || DEFAULT_USERNAME, password: accessToken, expiresAt }
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
