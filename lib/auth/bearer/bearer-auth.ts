/**
 * @module
 * zot's `http.auth.bearer` (docs/auth.md): Docker's token authentication. A request without a
 * token gets 401 with `WWW-Authenticate: Bearer realm="<realm>",service="<service>",scope="..."`;
 * the client fetches a token from the realm (an external token server) and retries with
 * `Authorization: Bearer <jwt>`. The token's signature is checked with the configured key, and
 * its `access` claim must grant what the request does (token-access.ts). As in zot, bearer
 * authentication replaces every other method, and the token's `access` claim is the whole
 * authorization: `accessControl` is not consulted.
 *
 * Stricter than zot: a token whose `aud` names another service is refused (zot ignores `aud`),
 * and `/v2/_catalog` needs distribution's `registry:catalog:*` access (zot asks for pull on a
 * repository named "").
 *
 * With `oidc` issuers (workload identity, oidc-workload.ts) a token is first offered to them, as
 * zot does; an ID token they accept makes a principal that `accessControl` authorizes (it carries
 * an identity, not grants). Otherwise the token server's key judges it, when configured: `cert`, or
 * the key of an AWS Secrets Manager secret that the token's `kid` names (secret-keyring.ts); while
 * those keys cannot be read, the answer is 503 with `Retry-After`.
 * Without a `realm` the 401 carries no challenge, as in zot.
 */
import type { KeyObject } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import { jwtVerify } from 'jose'
import { RegistryError } from '../../errors/registry-error'
import type { AppEnv, Principal } from '../../http/context'
import type { RequestTarget } from '../../oci/request-target'
import type { Logger } from '../../log/logger'
import type { AccessControl } from '../policy/access-control'
import { anonymousPrincipal, type ClaimsPrincipal } from '../policy/principal'
import type { WorkloadTokenVerifier } from './oidc-workload'
import { allows, CATALOG_SCOPE, parseAccessClaim, type ResourceAccess, type Scope, scopeString } from './token-access'
import { type TokenKeys, TokenKeysUnavailableError } from './verification-key'

export interface BearerOptions {
  /** The token server's URL, announced in the challenge. */
  realm: string
  /** This registry's name at the token server (`service=`), and the expected `aud`. */
  service: string
  /** `upstreamTokenEndpoint.service`: the name the forwarded token requests give, also an accepted `aud`. */
  upstreamService?: string
  /** Checks the token server's signatures: `cert`, or the keys of `awsSecretsManager` picked by
   * the token's `kid`; absent with workload identity only. */
  key?: KeyObject | TokenKeys
  /** OIDC workload identity (`oidc`), tried before `key`. */
  workload?: {
    verify: WorkloadTokenVerifier
    /** Static groups of `accessControl`, and the authorization of workload principals. */
    access: AccessControl
    authorize: MiddlewareHandler<AppEnv>
  }
  logger?: Logger
}

/** A caller with a valid token: its subject, and what the token grants. */
export interface BearerPrincipal extends Principal {
  method: 'bearer'
  access: ResourceAccess[]
}

/** zot's signing algorithms; `none` and HMAC (a public key used as a shared secret) never pass. */
const ALGORITHMS = ['EdDSA', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512']

/** Tolerated clock difference with the token server, in seconds. */
const CLOCK_TOLERANCE_SECONDS = 5

/** Seconds a client should wait before retrying while a token's issuer or keys are unreachable. */
const ISSUER_RETRY_SECONDS = 5

/** 503 with `Retry-After`: the token cannot be judged now, but may be fine. */
const unavailable = (description: string) =>
  new RegistryError('UNAVAILABLE', {
    detail: { description },
    headers: { 'Retry-After': String(ISSUER_RETRY_SECONDS) },
  })

const isBearer = (principal: Principal | undefined): principal is BearerPrincipal =>
  principal?.method === 'bearer' && Array.isArray((principal as BearerPrincipal).access)

/** The repository access a request needs, as zot maps methods; undefined: any valid token. */
function requestedScope(method: string, target: RequestTarget): Scope | undefined {
  if (target.kind === 'base' || target.kind === 'extension') return undefined
  if (target.kind === 'catalog') return CATALOG_SCOPE
  const action = { GET: 'pull', HEAD: 'pull', DELETE: 'delete', POST: 'push', PUT: 'push', PATCH: 'push' }[method]
  return { type: 'repository', name: target.repository, actions: [action ?? 'pull'] }
}

/** The repositories of a list a bearer principal may read: all with catalog access, else by `pull`. */
export function bearerReadable(principal: Principal | undefined, repositories: readonly string[]): string[] {
  if (!isBearer(principal)) return []
  if (allows(principal.access, CATALOG_SCOPE.type, CATALOG_SCOPE.name, '*')) return [...repositories]
  return repositories.filter((name) => allows(principal.access, 'repository', name, 'pull'))
}

/**
 * Authenticates and authorizes with bearer tokens. Paths outside `/v2` get the token's principal
 * when a valid token is offered, else the anonymous one (their routes judge for themselves).
 *
 * @throws RegistryError UNAUTHORIZED (401 with a Bearer challenge) without a valid token or scope
 * @example
 * app.use('*', bearerAuth({ realm: 'https://auth.example.com/token', service: 'zot', key }))
 */
export function bearerAuth(options: BearerOptions) {
  const quote = (value: string) => `"${value.replace(/[\\"]/g, '\\$&')}"`

  /** 401 with the challenge for `scope`; push requests announce `pull,push`, as clients ask. */
  function challenge(scope: Scope | undefined, description: string, error?: string): RegistryError {
    if (!options.realm) return new RegistryError('UNAUTHORIZED', { detail: { description } })
    const announced = scope?.actions[0] === 'push' ? { ...scope, actions: ['pull', 'push'] } : scope
    const parameters = [
      `realm=${quote(options.realm)}`,
      `service=${quote(options.service)}`,
      `scope=${quote(announced ? scopeString(announced) : '')}`,
      ...(error ? [`error=${quote(error)}`] : []),
    ]
    return new RegistryError('UNAUTHORIZED', {
      detail: { description },
      headers: { 'WWW-Authenticate': `Bearer ${parameters.join(',')}` },
    })
  }

  /** The token's principal, or why it is refused; throws 503 when its keys cannot be read. */
  async function verify(token: string): Promise<BearerPrincipal | string> {
    const key = options.key
    if (!key) return 'no token server key is configured'
    try {
      const { payload } = await jwtVerify(token, 'keyFor' in key ? (header) => key.keyFor(header.kid) : key, {
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      })
      if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + CLOCK_TOLERANCE_SECONDS) {
        return 'the token is issued in the future'
      }
      const audiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? [])
      const ours = [options.service, options.upstreamService].filter(Boolean)
      if (audiences.length > 0 && ours.length > 0 && !audiences.some((audience) => ours.includes(audience))) {
        return 'the token is for another service'
      }
      return { username: payload.sub ?? '', groups: [], method: 'bearer', access: parseAccessClaim(payload.access) }
    } catch (error) {
      if (error instanceof TokenKeysUnavailableError) throw unavailable('the token keys cannot be read; retry later')
      return (error as Error).message
    }
  }

  return createMiddleware<AppEnv>(async function bearerAuthentication(c, next) {
    if (c.req.method === 'OPTIONS') return next()
    const target = c.get('target')
    const scope = target && requestedScope(c.req.method, target)
    const header = c.req.header('Authorization')
    // zot serves its management info without a token too: clients read the sign-in methods first.
    const open = target?.kind === 'extension' && target.name === 'mgmt'
    if (!header) {
      if (target && !open) throw challenge(scope, 'authentication required')
      c.set('principal', anonymousPrincipal())
      return next()
    }
    const token = /^Bearer +([\w.~+/-]+=*)$/i.exec(header)?.[1]
    if (!token) {
      // Outside /v2 other credentials are the route's business (the token exchange takes Basic).
      if (!target) {
        c.set('principal', anonymousPrincipal())
        return next()
      }
      throw challenge(scope, 'a bearer token is required', 'invalid_request')
    }
    const workload = options.workload
    const verdict = workload && (await workload.verify(token))
    if (workload && verdict?.kind === 'identity') {
      const groups = [...new Set([...verdict.groups, ...workload.access.staticGroups(verdict.username)])].sort()
      const principal: ClaimsPrincipal = {
        username: verdict.username,
        groups,
        method: 'bearer',
        claims: verdict.claims,
      }
      c.set('principal', principal)
      return workload.authorize(c, next)
    }
    const verified = await verify(token)
    if (typeof verified === 'string') {
      const reason = verdict && 'reason' in verdict ? `${verdict.reason}; ${verified}` : verified
      options.logger?.info('bearer token refused', { reason, path: c.req.path })
      if (verdict?.kind === 'unavailable') throw unavailable('the token issuer cannot be reached; retry later')
      throw challenge(scope, 'invalid bearer token', 'invalid_token')
    }
    const missing = scope?.actions.find((action) => !allows(verified.access, scope.type, scope.name, action))
    if (scope && missing) {
      throw challenge(
        scope,
        `the token does not grant ${scopeString({ ...scope, actions: [missing] })}`,
        'insufficient_scope',
      )
    }
    c.set('principal', verified)
    return next()
  })
}
