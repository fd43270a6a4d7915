/**
 * @module
 * zot's OIDC workload identity (`http.auth.bearer.oidc[]`, docs/auth.md "Workload identity"): a
 * workload (a Kubernetes service account, a CI job) sends its issuer's ID token as
 * `Authorization: Bearer <jwt>`. The token must be signed by a key of the issuer's JWKS, name the
 * issuer (unless `skipIssuerVerification`), not be expired, and name one of `audiences`; its
 * claims then map to a user name and groups (cel-claims.ts), which `accessControl` authorizes.
 * Issuers are tried in the configured order; the first that accepts the token wins.
 *
 * As in zot (go-oidc), each issuer's discovery document is fetched on first use, not at start (an
 * unreachable issuer must not stop the registry), and again when it is a minute old, with a fresh
 * JWKS; the discovery's `issuer` must equal the configured one; the accepted algorithms are the
 * discovery's `id_token_signing_alg_values_supported` (RS256 when it names none); `exp` is
 * required and strict, `nbf` gets go-oidc's five minutes of leeway.
 *
 * Better than zot: concurrent requests share one discovery fetch, a failed fetch is not retried
 * for a few seconds (zot refetches on every request), a token with an unknown key id refetches the
 * JWKS at most every 5 s (go-oidc on every such token, which anyone can send), a token whose issuer cannot be reached is
 * a 503 rather than a 401 (the token may be fine; clients keep it and retry), and tokens larger
 * than 12 KiB are refused before any work (claims feed CEL, whose cost grows with their size).
 */
import { readFileSync } from 'node:fs'
import { createRemoteJWKSet, customFetch, decodeJwt, errors as joseErrors, type JWTPayload, jwtVerify } from 'jose'
import type { Logger } from '../../log/logger'
import { type ClaimIdentity, type ClaimMappingConfig, compileClaimMapping } from './cel-claims'

export interface WorkloadIssuerConfig {
  issuer: string
  audiences: readonly string[]
  claimMapping?: ClaimMappingConfig
  certificateAuthority?: string
  certificateAuthorityFile?: string
  skipIssuerVerification: boolean
}

/** What a token is: an identity, a refusal (why), or unknown because its issuer is unreachable. */
export type WorkloadVerdict =
  | ({ kind: 'identity'; claims: JWTPayload } & ClaimIdentity)
  | { kind: 'refused'; reason: string }
  | { kind: 'unavailable'; reason: string }

/** The largest token accepted: Kubernetes and CI tokens are 1-3 KiB (the whole request head may
 * be 16 KiB in Bun). Bounds the claims CEL sees, hence each expression's cost. */
export const MAX_WORKLOAD_TOKEN_BYTES = 12 * 1024

/** go-oidc's discovery refresh interval. */
const REFRESH_MS = 60_000
/** After a failed discovery, requests fail fast for this long instead of asking again. */
const RETRY_AFTER_FAILURE_MS = 5_000
const FETCH_TIMEOUT_MS = 5_000
/** A token with an unknown `kid` refetches the JWKS (key rotation), at most this often. */
const JWKS_COOLDOWN_MS = 5_000
/** Largest discovery document read. */
const MAX_DISCOVERY_BYTES = 256 * 1024
/** go-oidc's leeway on `nbf`, in seconds. */
const NOT_BEFORE_LEEWAY_SECONDS = 300
/** go-oidc's supported signing algorithms. */
const SUPPORTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA']

interface Verifier {
  keys: ReturnType<typeof createRemoteJWKSet>
  algorithms: string[]
  expires: number
}

type Fetch = (url: string, init?: RequestInit) => Promise<Response>

/** A fetch trusting the issuer's private CA when one is configured. */
function fetchFor(config: WorkloadIssuerConfig): Fetch {
  const ca = config.certificateAuthorityFile
    ? readFileSync(config.certificateAuthorityFile, 'utf8')
    : config.certificateAuthority
  // Redirects are followed, as go-oidc's HTTP client does; jose's own timeout signal wins over ours.
  return (url, init) =>
    fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), ...init, ...(ca && { tls: { ca } }) })
}

/** Reads the discovery document; throws when it is unusable. */
async function discover(config: WorkloadIssuerConfig, get: Fetch): Promise<{ jwksUri: URL; algorithms: string[] }> {
  const url = `${config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`
  const response = await get(url, { headers: { Accept: 'application/json' } })
  if (!response.ok) throw new Error(`${url} answered ${response.status}`)
  const text = await response.text()
  if (text.length > MAX_DISCOVERY_BYTES) throw new Error(`${url} is larger than ${MAX_DISCOVERY_BYTES} bytes`)
  const document = JSON.parse(text) as {
    issuer?: unknown
    jwks_uri?: unknown
    id_token_signing_alg_values_supported?: unknown
  }
  if (document.issuer !== config.issuer) {
    throw new Error(`the discovery document names issuer ${JSON.stringify(document.issuer)}, not ${config.issuer}`)
  }
  if (typeof document.jwks_uri !== 'string' || !URL.canParse(document.jwks_uri)) {
    throw new Error('the discovery document has no jwks_uri')
  }
  const offered = Array.isArray(document.id_token_signing_alg_values_supported)
    ? document.id_token_signing_alg_values_supported.filter((alg) => SUPPORTED_ALGORITHMS.includes(alg))
    : []
  return { jwksUri: new URL(document.jwks_uri), algorithms: offered.length > 0 ? offered : ['RS256'] }
}

/** `aud` as zot reads it; undefined when it is not a string or a list of strings. */
function audiencesOf(aud: unknown): string[] | undefined {
  if (typeof aud === 'string') return [aud]
  if (Array.isArray(aud) && aud.every((entry) => typeof entry === 'string')) return aud
  return undefined
}

/** One configured issuer. */
function workloadIssuer(config: WorkloadIssuerConfig, logger?: Logger) {
  const mapping = compileClaimMapping(config.claimMapping)
  const audiences = config.audiences.map((audience) => audience.trim())
  const get = fetchFor(config)
  let verifier: Verifier | undefined
  let refreshing: Promise<Verifier> | undefined
  let failure: { error: Error; until: number } | undefined

  async function refresh(): Promise<Verifier> {
    const { jwksUri, algorithms } = await discover(config, get)
    const keys = createRemoteJWKSet(jwksUri, {
      timeoutDuration: FETCH_TIMEOUT_MS,
      cacheMaxAge: REFRESH_MS,
      cooldownDuration: JWKS_COOLDOWN_MS,
      [customFetch]: (url, init) => get(url, init),
    })
    return { keys, algorithms, expires: Date.now() + REFRESH_MS }
  }

  async function currentVerifier(): Promise<Verifier> {
    if (verifier && Date.now() < verifier.expires) return verifier
    if (failure && Date.now() < failure.until) throw failure.error
    refreshing ??= refresh()
      .then((fresh) => {
        verifier = fresh
        failure = undefined
        return fresh
      })
      .catch((error: Error) => {
        failure = { error, until: Date.now() + RETRY_AFTER_FAILURE_MS }
        logger?.warn('OIDC workload issuer unreachable', { issuer: config.issuer, error: error.message })
        throw error
      })
      .finally(() => {
        refreshing = undefined
      })
    return refreshing
  }

  return {
    issuer: config.issuer,
    skipsIssuerCheck: config.skipIssuerVerification,
    async verify(token: string): Promise<WorkloadVerdict> {
      let current: Verifier
      try {
        current = await currentVerifier()
      } catch (error) {
        return { kind: 'unavailable', reason: `issuer ${config.issuer} unreachable: ${(error as Error).message}` }
      }
      let payload: JWTPayload
      try {
        ;({ payload } = await jwtVerify(token, current.keys, {
          algorithms: current.algorithms,
          clockTolerance: NOT_BEFORE_LEEWAY_SECONDS,
          requiredClaims: ['exp'],
          ...(!config.skipIssuerVerification && { issuer: config.issuer }),
        }))
      } catch (error) {
        // A JWKS that cannot be fetched is an outage; every other jose error is about the token.
        const outage = !(error instanceof joseErrors.JOSEError) || error instanceof joseErrors.JWKSTimeout
        if (outage || error instanceof joseErrors.JWKSInvalid) {
          return { kind: 'unavailable', reason: `JWKS of ${config.issuer} unreachable: ${(error as Error).message}` }
        }
        return { kind: 'refused', reason: (error as Error).message }
      }
      // The leeway above is for nbf only: go-oidc accepts no expired token.
      if ((payload.exp ?? 0) < Date.now() / 1000) return { kind: 'refused', reason: 'the token has expired' }
      const offered = audiencesOf(payload.aud)
      if (!offered) return { kind: 'refused', reason: 'the token has no usable aud claim' }
      if (!offered.some((audience) => audiences.includes(audience))) {
        return { kind: 'refused', reason: `the token is for ${offered.join(', ')}, not ${audiences.join(', ')}` }
      }
      const identity = mapping.identify(payload)
      if (typeof identity === 'string') return { kind: 'refused', reason: identity }
      if (identity.username === '') return { kind: 'refused', reason: 'the username expression yielded ""' }
      return { kind: 'identity', claims: payload, ...identity }
    },
  }
}

/** The token's unverified `iss`, or undefined when it is not a JWT. */
function unverifiedIssuer(token: string): string | undefined {
  try {
    return decodeJwt(token).iss
  } catch {
    return undefined
  }
}

/**
 * Builds the verifier of workload tokens for the configured issuers.
 *
 * @throws ClaimMappingError (cel-claims.ts) for a claim mapping that does not compile
 * @throws Error when `certificateAuthorityFile` cannot be read
 * @example
 * const verify = workloadIdentity([{ issuer: 'https://kubernetes.default.svc', audiences: ['zot'], skipIssuerVerification: false }])
 * const verdict = await verify(token)
 */
export function workloadIdentity(configs: readonly WorkloadIssuerConfig[], logger?: Logger) {
  const issuers = configs.map((config) => workloadIssuer(config, logger))
  return async function verifyWorkloadToken(token: string): Promise<WorkloadVerdict> {
    if (token.length > MAX_WORKLOAD_TOKEN_BYTES) {
      return { kind: 'refused', reason: `the token is larger than ${MAX_WORKLOAD_TOKEN_BYTES} bytes` }
    }
    const reasons: string[] = []
    let unavailable: WorkloadVerdict | undefined
    const named = unverifiedIssuer(token)
    for (const issuer of issuers) {
      // A token naming another issuer would fail the `iss` check anyway: skipping it spares a
      // JWKS fetch for its unknown key id (the token server's tokens pass here on every request).
      if (named !== issuer.issuer && !issuer.skipsIssuerCheck) {
        reasons.push(`${issuer.issuer}: issued by ${named ?? 'nobody'}`)
        continue
      }
      const verdict = await issuer.verify(token)
      if (verdict.kind === 'identity') return verdict
      if (verdict.kind === 'unavailable' && named === issuer.issuer) unavailable ??= verdict
      reasons.push(`${issuer.issuer}: ${verdict.reason}`)
    }
    return unavailable ?? { kind: 'refused', reason: reasons.join('; ') }
  }
}

export type WorkloadTokenVerifier = ReturnType<typeof workloadIdentity>
