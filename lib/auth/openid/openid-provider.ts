/**
 * @module
 * One OpenID Connect provider of `http.auth.openid.providers` (`oidc`, `google`, `gitlab`),
 * built on `oauth4webapi`: discovery (lazy, retried after a failure), the authorization code
 * flow with PKCE (S256, always: it costs nothing and protects confidential clients too), state
 * and nonce, ID-token validation, UserInfo, and the end-session URL for logout.
 *
 * The client id and secret come from `credentialsFile` (`{"clientid", "clientsecret"}`) or the
 * inline keys. Without a secret the client is public (PKCE only).
 */
import { readFileSync } from 'node:fs'
import * as oauth from 'oauth4webapi'
import type { OpenIdProviderConfig } from '../../config'
import { groupsFromClaims, usernameFromClaims, type Claims } from './openid-claims'

/** What a finished login yields. */
export interface OpenIdIdentity {
  username: string
  groups: string[]
}

/** The secrets of one login attempt, kept sealed in the browser between login and callback. */
export interface LoginAttempt {
  state: string
  /** OpenID Connect only: plain OAuth2 (GitHub) has no ID token to bind it to. */
  nonce?: string
  verifier: string
}

export interface OpenIdProvider {
  /** The config key: `oidc`, `google`, `gitlab`, `github`. */
  readonly id: string
  /** Display name (`name`), else the id. */
  readonly name: string
  /** Where to send the browser, and the attempt's secrets to keep until the callback. */
  authorization(redirectUri: string): Promise<{ url: URL; attempt: LoginAttempt }>
  /**
   * Completes a login from the callback URL: checks state, exchanges the code (PKCE), checks the
   * ID token (issuer, audience, expiry, nonce) and maps the claims.
   *
   * @throws OpenIdLoginError when the IdP refused or anything does not check out
   */
  complete(callbackUrl: URL, redirectUri: string, attempt: LoginAttempt): Promise<OpenIdIdentity>
  /** The IdP's logout URL, when it advertises an end-session endpoint. */
  endSessionUrl(postLogoutRedirectUri: string): Promise<string | undefined>
}

/** A login that did not succeed; the message is safe to log, not meant for end users. */
export class OpenIdLoginError extends Error {
  override name = 'OpenIdLoginError'
}

/** Any failure while completing a login, as the error `complete` promises. */
export const asLoginError = (error: unknown): OpenIdLoginError =>
  error instanceof OpenIdLoginError
    ? error
    : new OpenIdLoginError(error instanceof Error ? error.message : String(error), { cause: error })

/** The client id and secret of a provider entry, `credentialsFile` winning over inline keys. */
export function clientCredentials(options: OpenIdProviderConfig): {
  clientId: string
  clientSecret: string | undefined
} {
  let { clientid, clientsecret } = options
  if (options.credentialsFile) {
    const file = JSON.parse(readFileSync(options.credentialsFile, 'utf8')) as {
      clientid?: unknown
      clientsecret?: unknown
    }
    if (typeof file.clientid === 'string') clientid = file.clientid
    if (typeof file.clientsecret === 'string') clientsecret = file.clientsecret
  }
  if (!clientid) throw new Error('OpenID provider: no clientid (inline or in credentialsFile)')
  return { clientId: clientid, clientSecret: clientsecret || undefined }
}

const scopesOf = (options: OpenIdProviderConfig): string => [...new Set(['openid', ...options.scopes])].join(' ')

/**
 * Creates a provider from its config entry. Reads `credentialsFile` now; contacts the IdP only
 * at the first login.
 *
 * @throws Error for an unusable entry (no issuer, no client id, unreadable credentials file)
 * @example
 * const provider = createOpenIdProvider('oidc', config.http.auth.openid.providers.oidc)
 * const { url, attempt } = await provider.authorization('https://registry/zot/auth/callback/oidc')
 */
/**
 * A fresh login attempt and the authorization URL that starts it: state and PKCE always, a nonce
 * when the provider issues ID tokens to check it against (OpenID Connect, not GitHub).
 */
export async function startAuthorization(
  endpoint: string,
  request: { clientId: string; redirectUri: string; scope: string; withNonce: boolean },
): Promise<{ url: URL; attempt: LoginAttempt }> {
  const attempt: LoginAttempt = {
    state: oauth.generateRandomState(),
    ...(request.withNonce && { nonce: oauth.generateRandomNonce() }),
    verifier: oauth.generateRandomCodeVerifier(),
  }
  const url = new URL(endpoint)
  url.search = new URLSearchParams({
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    response_type: 'code',
    scope: request.scope,
    state: attempt.state,
    ...(attempt.nonce && { nonce: attempt.nonce }),
    code_challenge: await oauth.calculatePKCECodeChallenge(attempt.verifier),
    code_challenge_method: 'S256',
  }).toString()
  return { url, attempt }
}

export function createOpenIdProvider(id: string, options: OpenIdProviderConfig): OpenIdProvider {
  const { issuer } = options
  if (!issuer) throw new Error(`OpenID provider ${id}: no issuer`)
  const issuerUrl = new URL(issuer)
  const { clientId, clientSecret } = clientCredentials(options)
  const client: oauth.Client = { client_id: clientId }
  // An http issuer is what the operator configured (a lab IdP, the tests); https stays enforced otherwise.
  const http = issuerUrl.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {}
  let discovery: Promise<oauth.AuthorizationServer> | undefined

  function server(): Promise<oauth.AuthorizationServer> {
    discovery ??= oauth
      .discoveryRequest(issuerUrl, { algorithm: 'oidc', ...http })
      .then((response) => oauth.processDiscoveryResponse(issuerUrl, response))
      .catch((error: unknown) => {
        discovery = undefined
        throw error
      })
    return discovery
  }

  function clientAuth(as: oauth.AuthorizationServer): oauth.ClientAuth {
    if (!clientSecret) return oauth.None()
    const methods = as.token_endpoint_auth_methods_supported
    return methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')
      ? oauth.ClientSecretPost(clientSecret)
      : oauth.ClientSecretBasic(clientSecret)
  }

  async function exchange(
    as: oauth.AuthorizationServer,
    callbackUrl: URL,
    redirectUri: string,
    attempt: LoginAttempt,
  ): Promise<Claims[]> {
    const parameters = oauth.validateAuthResponse(as, client, callbackUrl, attempt.state)
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      clientAuth(as),
      parameters,
      redirectUri,
      attempt.verifier,
      http,
    )
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
      expectedNonce: attempt.nonce,
      requireIdToken: true,
    })
    const idToken = oauth.getValidatedIdTokenClaims(tokens)
    if (!idToken) throw new OpenIdLoginError('no ID token')
    if (!as.userinfo_endpoint) return [idToken]
    const userInfoResponse = await oauth.userInfoRequest(as, client, tokens.access_token, http)
    return [await oauth.processUserInfoResponse(as, client, idToken.sub, userInfoResponse), idToken]
  }

  return {
    id,
    name: options.name,
    async authorization(redirectUri) {
      const as = await server()
      if (!as.authorization_endpoint) {
        throw new Error(`OpenID provider ${id}: no authorization endpoint`)
      }
      return startAuthorization(as.authorization_endpoint, {
        clientId,
        redirectUri,
        scope: scopesOf(options),
        withNonce: true,
      })
    },
    async complete(callbackUrl, redirectUri, attempt) {
      const as = await server()
      let claimSets: Claims[]
      try {
        claimSets = await exchange(as, callbackUrl, redirectUri, attempt)
      } catch (error) {
        throw asLoginError(error)
      }
      const named = usernameFromClaims(claimSets, options.claimMapping)
      if ('refusal' in named) throw new OpenIdLoginError(named.refusal)
      return { username: named.username, groups: groupsFromClaims(claimSets, options.claimMapping) }
    },
    async endSessionUrl(postLogoutRedirectUri) {
      const endpoint = (await server()).end_session_endpoint
      if (!endpoint) return undefined
      const url = new URL(endpoint)
      url.searchParams.set('client_id', clientId)
      url.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri)
      return url.toString()
    },
  }
}
