/**
 * @module
 * Parsing of the `Authorization` header. The value is a secret: callers may log whether it was
 * present and which scheme it used, never the value.
 */

export interface BasicCredentials {
  username: string
  password: string
}

/** What a request's `Authorization` header amounts to. */
export type AuthorizationHeader =
  | { kind: 'none' }
  | { kind: 'basic'; credentials: BasicCredentials }
  /** Several headers, another scheme, or Basic that is not base64 of `user:password`. */
  | { kind: 'invalid'; reason: string }

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/** Decodes base64 to UTF-8 text; undefined when the input is not base64 or not valid UTF-8. */
function decodeBase64(text: string): string | undefined {
  if (!BASE64.test(text)) return undefined
  try {
    const bytes = Uint8Array.from(atob(text), (char) => char.charCodeAt(0))
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
}

/**
 * Classifies an `Authorization` header value. `Basic Og==` (an empty `:`) counts as none, as in
 * zot: some clients send it when they have no credentials. The fetch API joins repeated headers
 * with `, `, and base64 never contains a comma, so a comma means several headers (401 in zot).
 */
export function parseAuthorization(value: string | undefined | null): AuthorizationHeader {
  if (value === undefined || value === null || value === '') return { kind: 'none' }
  if (value.includes(',')) return { kind: 'invalid', reason: 'more than one Authorization header' }
  const space = value.indexOf(' ')
  const scheme = value.slice(0, space).toLowerCase()
  if (space < 0 || scheme !== 'basic') {
    return { kind: 'invalid', reason: 'unsupported authorization scheme' }
  }
  const decoded = decodeBase64(value.slice(space + 1).trim())
  const colon = decoded?.indexOf(':') ?? -1
  if (decoded === undefined || colon < 0) {
    return { kind: 'invalid', reason: 'malformed basic credentials' }
  }
  if (decoded === ':') return { kind: 'none' }
  return {
    kind: 'basic',
    credentials: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) },
  }
}

/** Builds a Basic `Authorization` value (tests and clients of other registries). */
export function basicAuthorization(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`)
  return `Basic ${btoa(String.fromCharCode(...bytes))}`
}
