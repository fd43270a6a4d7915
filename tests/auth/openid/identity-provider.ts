/**
 * @module
 * A real OpenID Provider for the tests: `oidc-provider` (certified) on 127.0.0.1, in-process,
 * with accounts whose claims include groups, dev interactions (any password), consent, PKCE and
 * RP-initiated logout. Plus a minimal cookie-keeping "browser" that walks the redirects of a
 * login across the registry (called in-process) and the IdP (called over the socket).
 */
import { afterAll } from 'bun:test'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { CookieJar } from '../cookie-jar'
import { holdBackProviderWarnings } from './provider-warnings'

export interface Account {
  groups?: string[]
  email?: string
  /** Default true, as IdPs say of addresses they checked. */
  email_verified?: boolean
  preferred_username?: string
}

export interface IdentityProvider {
  issuer: string
  accounts: Map<string, Account>
  stop(): Promise<void>
}

export interface IdpClient {
  client_id: string
  client_secret?: string
  redirect_uris: string[]
  post_logout_redirect_uris?: string[]
}

/**
 * A registry's `openid.providers.oidc` keys for logging in at `idp` as client `zot` (secret
 * `secret`), with the username taken from `preferred_username`; add `name` and the rest.
 */
export const oidcClientConfig = (idp: IdentityProvider) => ({
  issuer: idp.issuer,
  scopes: ['openid', 'profile', 'email'],
  clientid: 'zot',
  clientsecret: 'secret',
  claimMapping: { username: 'preferred_username' },
})

/** Starts the IdP; it stops by itself after the test file. */
export async function startIdentityProvider(clients: IdpClient[]): Promise<IdentityProvider> {
  // Before the import: oidc-provider warns about the runtime as it loads.
  holdBackProviderWarnings()
  const { default: Provider } = await import('oidc-provider')
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const accounts = new Map<string, Account>()
  const provider = new Provider(issuer, {
    clients: clients.map((client) => ({
      ...client,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: client.client_secret ? 'client_secret_basic' : 'none',
    })),
    async findAccount(_ctx, id) {
      const account = accounts.get(id) ?? {}
      return {
        accountId: id,
        claims: async () => ({
          sub: id,
          email: account.email ?? `${id}@example.test`,
          email_verified: account.email_verified ?? true,
          preferred_username: account.preferred_username ?? id,
          groups: account.groups ?? [],
        }),
      }
    },
    claims: {
      openid: ['sub'],
      profile: ['preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    scopes: ['openid', 'profile', 'email', 'groups'],
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    pkce: { required: () => true },
    cookies: { keys: ['test-only-cookie-key'] },
    clockTolerance: 5,
    // Explicit lifetimes, also to keep oidc-provider from printing a notice for each default.
    ttl: {
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      AccessToken: 600,
      IdToken: 600,
      AuthorizationCode: 60,
    },
  })
  server.on('request', provider.callback())
  const stop = () => new Promise<void>((resolve) => server.close(() => resolve()))
  afterAll(stop)
  return { issuer, accounts, stop }
}

export interface BrowserStep {
  url: string
  response: Response
}

/**
 * Follows a login through the IdP like a browser: redirects, the dev login form (any password)
 * and the consent form. `registry` answers URLs of the registry's origin in-process. Returns the
 * first registry response that is not a redirect to the IdP (usually the callback's answer).
 */
export async function browse(
  start: string,
  options: {
    jar: CookieJar
    registry: (url: string, init: RequestInit) => Promise<Response>
    registryOrigin: string
    login: string
  },
): Promise<BrowserStep> {
  let url = start
  let init: RequestInit = {}
  for (let hop = 0; hop < 20; hop++) {
    const toRegistry = url.startsWith(options.registryOrigin)
    const headers = new Headers(init.headers)
    const cookie = options.jar.header(url)
    if (cookie) headers.set('Cookie', cookie)
    const request = { ...init, headers, redirect: 'manual' as const }
    const response = toRegistry ? await options.registry(url, request) : await fetch(url, request)
    options.jar.store(url, response)
    const location = response.headers.get('Location')
    if (toRegistry && hop > 0 && !location?.startsWith('http://127.0.0.1')) return { url, response }
    if (location) {
      url = new URL(location, url).toString()
      init = {}
      continue
    }
    const html = await response.text()
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1]
    if (!prompt) return { url, response: new Response(html, response) }
    init = {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(
        prompt === 'login' ? { prompt, login: options.login, password: 'any' } : { prompt },
      ).toString(),
    }
  }
  throw new Error('too many redirects')
}
