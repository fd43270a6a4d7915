/**
 * @module
 * The registry token dance (distribution's token spec): a 401 with `WWW-Authenticate: Bearer
 * realm,service,scope` sends us to the realm for a token, with basic credentials when we have
 * them and anonymously otherwise (Docker Hub, GHCR, Quay, registry.k8s.io all hand out anonymous
 * pull tokens). Tokens are cached per (realm, service, scope) until shortly before they expire,
 * and the challenge is remembered, so later requests carry a token up front instead of paying a
 * 401 round trip each. `Basic` challenges get the credentials directly.
 */
import type { Credentials } from './credentials'
import { UpstreamError } from './upstream-error'

export interface Challenge {
  scheme: 'bearer' | 'basic'
  params: Record<string, string>
}

/** Parses the first challenge of a WWW-Authenticate header (the form registries send). */
export function parseChallenge(header: string | null): Challenge | undefined {
  const match = header ? /^\s*(bearer|basic)\b\s*(.*)$/i.exec(header) : null
  if (!match) return undefined
  const params: Record<string, string> = {}
  for (const [, key, quoted, bare] of match[2]!.matchAll(/([a-zA-Z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
    params[key!.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare ?? '')
  }
  return { scheme: match[1]!.toLowerCase() as Challenge['scheme'], params }
}

export const basicAuthorization = (credentials: Credentials): string =>
  `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`

/** Seconds of validity we do not rely on, so a token never expires in flight. */
const EXPIRY_MARGIN_SECONDS = 10
const DEFAULT_TOKEN_SECONDS = 60

export interface UpstreamAuthOptions {
  credentials: () => Promise<Credentials | undefined>
  /**
   * The upstream refused the credentials we sent; true when new ones will be used (a credential
   * helper fetches them), so the request is worth retrying.
   */
  credentialsRefused?: () => boolean
  /** Performs the token request (same TLS settings as the registry). */
  fetch: (url: string, init: RequestInit) => Promise<Response>
  now?: () => number
}

export class UpstreamAuth {
  private challenge: Challenge | undefined
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>()
  private readonly pending = new Map<string, Promise<string>>()
  private readonly now: () => number

  constructor(private readonly options: UpstreamAuthOptions) {
    this.now = options.now ?? Date.now
  }

  /**
   * The Authorization header for a request in `scope` (the challenge's own scope when absent),
   * from what earlier challenges taught; none before the first challenge.
   */
  async authorization(scope: string | undefined): Promise<string | undefined> {
    const challenge = this.challenge
    if (!challenge) return undefined
    if (challenge.scheme === 'basic') {
      const credentials = await this.options.credentials()
      return credentials && basicAuthorization(credentials)
    }
    return `Bearer ${await this.token(challenge, scope ?? challenge.params.scope)}`
  }

  /**
   * Learns from a 401 response. Returns true when a retry can carry new authorization; false when
   * retrying cannot help (no challenge, or the same challenge already failed with our token, unless
   * a credential helper replaces the refused credentials).
   */
  async challenged(header: string | null, scope: string | undefined, sentAuthorization: boolean): Promise<boolean> {
    const challenge = parseChallenge(header)
    if (!challenge) return false
    const known = this.challenge
    // The same realm asking for the same scope again means what we sent was refused; another
    // scope (a redirect target serving another repository) deserves a token of its own.
    const sameChallenge =
      known?.scheme === challenge.scheme &&
      known.params.realm === challenge.params.realm &&
      known.params.scope === challenge.params.scope
    this.challenge = challenge
    if (sentAuthorization && sameChallenge) {
      // Our token or credentials were refused: forget the token so the next attempt asks again.
      this.tokens.delete(this.tokenKey(challenge, scope ?? challenge.params.scope))
      return challenge.scheme === 'basic' && (this.options.credentialsRefused?.() ?? false)
    }
    if (challenge.scheme === 'basic') return (await this.options.credentials()) !== undefined
    return true
  }

  private tokenKey(challenge: Challenge, scope: string | undefined): string {
    return `${challenge.params.realm}\n${challenge.params.service ?? ''}\n${scope ?? ''}`
  }

  private async token(challenge: Challenge, scope: string | undefined): Promise<string> {
    const key = this.tokenKey(challenge, scope)
    const cached = this.tokens.get(key)
    if (cached && cached.expiresAt > this.now()) return cached.token
    let pending = this.pending.get(key)
    if (!pending) {
      pending = this.requestToken(challenge, scope, key).finally(() => this.pending.delete(key))
      this.pending.set(key, pending)
    }
    return pending
  }

  private async requestToken(challenge: Challenge, scope: string | undefined, key: string): Promise<string> {
    const realm = challenge.params.realm
    if (!realm) throw new UpstreamError('unauthorized', 'the Bearer challenge names no realm')
    const url = new URL(realm)
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service)
    if (scope) url.searchParams.set('scope', scope)
    const credentials = await this.options.credentials()
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (credentials) headers.Authorization = basicAuthorization(credentials)
    const response = await this.options.fetch(url.toString(), { headers })
    if (!response.ok) {
      await response.body?.cancel()
      const kind = response.status === 401 || response.status === 403 ? 'unauthorized' : 'unavailable'
      if (kind === 'unauthorized' && credentials) this.options.credentialsRefused?.()
      throw new UpstreamError(kind, `token request to ${url.origin}${url.pathname} answered ${response.status}`, {
        status: response.status,
      })
    }
    const body = (await response.json()) as {
      token?: string
      access_token?: string
      expires_in?: number
    }
    const token = body.token ?? body.access_token
    if (!token)
      throw new UpstreamError('unauthorized', `the token endpoint ${url.origin}${url.pathname} returned no token`)
    const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS
    this.tokens.set(key, {
      token,
      expiresAt: this.now() + Math.max(1, seconds - EXPIRY_MARGIN_SECONDS) * 1000,
    })
    return token
  }
}
