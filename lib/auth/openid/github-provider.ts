/**
 * @module
 * The `github` login provider of `http.auth.openid.providers`: plain OAuth2, no OpenID Connect
 * (GitHub has no discovery, ID token or end-session endpoint). The authorization code flow with
 * state and PKCE (S256) through `oauth4webapi` against fixed endpoints, the token exchange with
 * `client_secret_post` (the form GitHub documents), then the REST API names the user and the
 * groups (github-api.ts). `claimMapping` does not apply, as in zot.
 */
import * as oauth from 'oauth4webapi'
import type { OpenIdProviderConfig } from '../../config'
import { githubEndpoints, githubIdentity } from './github-api'
import {
  startAuthorization,
  asLoginError,
  clientCredentials,
  type OpenIdIdentity,
  type OpenIdProvider,
} from './openid-provider'

/**
 * Creates the GitHub provider from its config entry. Reads `credentialsFile` now; contacts
 * GitHub only at logins.
 *
 * @throws Error for an unusable entry (no client id, unreadable credentials file, bad URL)
 * @example
 * const github = createGitHubProvider('github', config.http.auth.openid.providers.github)
 * const { url, attempt } = await github.authorization('https://registry/zot/auth/callback/github')
 */
export function createGitHubProvider(id: string, options: OpenIdProviderConfig): OpenIdProvider {
  const endpoints = githubEndpoints(options)
  const { clientId, clientSecret } = clientCredentials(options)
  const client: oauth.Client = { client_id: clientId }
  const as: oauth.AuthorizationServer = {
    issuer: new URL(endpoints.authorization).origin,
    authorization_endpoint: endpoints.authorization,
    token_endpoint: endpoints.token,
  }
  const clientAuth = clientSecret ? oauth.ClientSecretPost(clientSecret) : oauth.None()
  // An http token URL is what the operator configured (a lab server, the tests).
  const http = new URL(endpoints.token).protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {}
  const scope = options.scopes.join(' ')

  async function identify(callbackUrl: URL, redirectUri: string, state: string, verifier: string) {
    const parameters = oauth.validateAuthResponse(as, client, callbackUrl, state)
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      clientAuth,
      parameters,
      redirectUri,
      verifier,
      http,
    )
    // GitHub answers token errors with 200 and `{"error"}`: no access_token, so this throws.
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response)
    return githubIdentity(endpoints.api, tokens.access_token)
  }

  return {
    id,
    name: options.name,
    async authorization(redirectUri) {
      return startAuthorization(endpoints.authorization, { clientId, redirectUri, scope, withNonce: false })
    },
    async complete(callbackUrl, redirectUri, attempt): Promise<OpenIdIdentity> {
      try {
        return await identify(callbackUrl, redirectUri, attempt.state, attempt.verifier)
      } catch (error) {
        throw asLoginError(error)
      }
    },
    // GitHub has no RP-initiated logout: ending the registry session is all there is.
    endSessionUrl: async () => undefined,
  }
}
