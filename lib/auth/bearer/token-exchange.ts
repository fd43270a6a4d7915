/**
 * @module
 * zot's token endpoint for workload identity, `GET`/`POST /zot/auth/token` (mounted when
 * `bearer.oidc` is configured): clients that only speak Docker's token flow with a user name and
 * password (`docker login`, podman, kubelet pull secrets) send an ID token as the password; set
 * `bearer.realm` to this endpoint's external URL and they exchange it here. The answer is the same
 * ID token as `token` and `access_token`, with `expires_in` and `issued_at` from its claims, so the
 * client retries with `Authorization: Bearer <ID token>`.
 *
 * As in zot, the credentials are the Basic password and, in a form body (64 KiB at most), the
 * fields `password`, `id_token`, `access_token`, `refresh_token` and `token`; a credential is
 * checked when its unverified `iss` and `aud` name a configured issuer and one of its audiences.
 * A failure is 401 with a Basic challenge (`realm` from `bearer.realm`, else "zot"). Requests
 * whose credentials no local issuer owns (neither a `bearer.oidc` issuer nor an OpenID login
 * provider, by unverified `iss`/`aud`) go to `upstreamTokenEndpoint` when it is set
 * (token-proxy.ts); locally owned ones never leave, as in zot.
 */
import type { Context } from 'hono'
import { decodeJwt } from 'jose'
import { RegistryError } from '../../errors/registry-error'
import type { AppEnv } from '../../http/context'
import type { Logger } from '../../log/logger'
import { parseAuthorization } from '../basic-credentials'
import type { WorkloadTokenVerifier } from './oidc-workload'
import { forwardTokenRequest, type UpstreamTokenEndpoint } from './token-proxy'

/** zot's `MaxTokenRequestBodySize`. */
export const MAX_TOKEN_REQUEST_BYTES = 64 * 1024
const CREDENTIAL_FIELDS = ['password', 'id_token', 'access_token', 'refresh_token', 'token']

export interface TokenExchangeOptions {
  verify: WorkloadTokenVerifier
  issuers: readonly { issuer: string; audiences: readonly string[] }[]
  /** OpenID login providers (`openid.providers`): their ID tokens are never forwarded either. */
  loginProviders: readonly { issuer: string; clientid: string }[]
  /** `bearer.realm`, named in the Basic challenge of a refusal. */
  realm: string
  upstream?: UpstreamTokenEndpoint
  logger?: Logger
}

const badRequest = (status: number, reason: string) => new RegistryError('UNSUPPORTED', { status, detail: { reason } })

/** The form body, read up to the limit; undefined when the request has none. */
async function formOf(c: Context<AppEnv>): Promise<URLSearchParams | undefined> {
  const type = c.req.header('Content-Type')?.split(';')[0]?.trim().toLowerCase()
  const body = c.req.raw.body
  if (type !== 'application/x-www-form-urlencoded' || !body) return undefined
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.byteLength
    if (size > MAX_TOKEN_REQUEST_BYTES) throw badRequest(413, 'token request body too large')
    chunks.push(chunk)
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}

/** The request's credentials, in zot's order, each once, and its form body. */
async function credentialsOf(c: Context<AppEnv>) {
  const header = parseAuthorization(c.req.header('Authorization'))
  const form = await formOf(c)
  const offered = [
    ...(header.kind === 'basic' ? [header.credentials.password] : []),
    ...CREDENTIAL_FIELDS.flatMap((field) => form?.getAll(field) ?? []),
  ]
  const trimmed = offered.map((credential) => credential.trim()).filter((credential) => credential !== '')
  return { credentials: [...new Set(trimmed)], form }
}

/** Which local backend claims the token, judged on its unverified `iss` and `aud`. */
function ownerOf(token: string, options: TokenExchangeOptions): 'workload' | 'login' | undefined {
  let claims: ReturnType<typeof decodeJwt>
  try {
    claims = decodeJwt(token)
  } catch {
    return undefined
  }
  const audiences = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? [])
  const names = (issuer: string, accepted: readonly string[]) =>
    issuer === claims.iss && audiences.some((audience) => accepted.includes(audience))
  if (options.issuers.some((entry) => names(entry.issuer, entry.audiences))) return 'workload'
  if (options.loginProviders.some((entry) => entry.clientid !== '' && names(entry.issuer, [entry.clientid]))) {
    return 'login'
  }
  return undefined
}

/**
 * The handler of `/zot/auth/token`.
 *
 * @example
 * app.on(['GET', 'POST'], '/zot/auth/token', tokenExchange({ verify, issuers, realm }))
 */
export function tokenExchange(options: TokenExchangeOptions) {
  return async function exchangeToken(c: Context<AppEnv>): Promise<Response> {
    c.header('Cache-Control', 'no-store')
    c.header('Pragma', 'no-cache')
    const { credentials, form } = await credentialsOf(c)
    let ownedLocally = false
    for (const credential of credentials) {
      const owner = ownerOf(credential, options)
      ownedLocally ||= owner !== undefined
      if (owner !== 'workload') continue
      const verdict = await options.verify(credential)
      if (verdict.kind === 'identity') {
        const now = Date.now() / 1000
        const { exp, iat } = verdict.claims
        return c.json({
          token: credential,
          access_token: credential,
          expires_in: typeof exp === 'number' ? Math.max(Math.floor(exp - now), 0) : 0,
          issued_at: typeof iat === 'number' ? new Date(iat * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : '',
        })
      }
      options.logger?.info('token exchange refused', { reason: verdict.reason })
      if (verdict.kind === 'unavailable') {
        throw new RegistryError('UNAVAILABLE', {
          detail: { description: 'the token issuer cannot be reached; retry later' },
          headers: { 'Retry-After': '5' },
        })
      }
    }
    if (!ownedLocally && options.upstream) return forwardTokenRequest(c, options.upstream, form, options.logger)
    const realm = (options.realm || 'zot').replace(/[\\"]/g, '\\$&')
    throw new RegistryError('UNAUTHORIZED', { headers: { 'WWW-Authenticate': `Basic realm="${realm}"` } })
  }
}
