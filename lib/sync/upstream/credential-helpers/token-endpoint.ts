/**
 * @module
 * An OAuth2 token request (RFC 6749 section 4: a form POST answered with JSON
 * `{access_token, expires_in}`), as the `oauth2` helper and Google's service account and user
 * credentials (`gcp`) send it. Only 200 is success, as in zot; an error answer's first KiB goes
 * into the error for the log. An answer without `expires_in` is taken to live five minutes
 * (zot's `defaultAccessTokenLifetime`).
 */

const DEFAULT_LIFETIME_MS = 5 * 60_000
const REQUEST_TIMEOUT_MS = 30_000
/** Of an error answer, kept for the log. */
const ERROR_BODY_BYTES = 1024

/** The token endpoint refused, or answered something that is not a token. */
export class TokenEndpointError extends Error {
  override name = 'TokenEndpointError'
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message)
  }
}

export interface AccessToken {
  accessToken: string
  /** epoch ms */
  expiresAt: number
}

/** `expires_in` in ms: a number or a numeric string (some endpoints quote it); absent: the default. */
function lifetimeOf(expiresIn: unknown): number {
  const seconds = typeof expiresIn === 'string' ? Number(expiresIn) : expiresIn
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_LIFETIME_MS
}

/** Reads a token answer (also the metadata server's, which has the same shape). */
export async function tokenFrom(response: Response, what: string): Promise<AccessToken> {
  const body = await response.text()
  if (response.status !== 200) {
    throw new TokenEndpointError(
      `${what} answered ${response.status}: ${body.slice(0, ERROR_BODY_BYTES).trim()}`,
      response.status,
    )
  }
  let parsed: { access_token?: unknown; expires_in?: unknown }
  try {
    parsed = JSON.parse(body) as typeof parsed
  } catch {
    throw new TokenEndpointError(`${what} answered 200 without JSON`)
  }
  if (typeof parsed.access_token !== 'string' || parsed.access_token === '')
    throw new TokenEndpointError(`${what} returned no access_token`)
  return { accessToken: parsed.access_token, expiresAt: Date.now() + lifetimeOf(parsed.expires_in) }
}

/** POSTs `form` to `url` and reads the token. */
export async function requestToken(url: string, form: URLSearchParams): Promise<AccessToken> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: form,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  })
  return tokenFrom(response, `the token endpoint ${url}`)
}
