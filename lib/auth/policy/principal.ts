/**
 * @module
 * Principals as this directory builds them. `Principal` (lib/http/context.ts) is the shared
 * contract; a principal that logged in with a scoped API key additionally carries the key's
 * scopes, which narrow (never widen) what its policies allow.
 */
import type { Principal } from '../../http/context'
import type { KeyScope } from '../keys/key-scope'

export interface ScopedPrincipal extends Principal {
  /** Present only for API-key logins with scopes; an empty or absent list means unrestricted. */
  scopes?: readonly KeyScope[]
}

/** A principal of an OIDC workload token keeps the token's claims, for policy conditions (`req.claims`). */
export interface ClaimsPrincipal extends Principal {
  claims?: Readonly<Record<string, unknown>>
}

/** The claims a principal's login brought, or none. */
export const claimsOf = (principal: Principal): Readonly<Record<string, unknown>> =>
  (principal as ClaimsPrincipal).claims ?? {}

/** The principal of a request without credentials. */
export const anonymousPrincipal = (): Principal => ({
  username: '',
  groups: [],
  method: 'anonymous',
})

export const isAnonymous = (principal: Principal): boolean => principal.username === ''

/** The scopes a principal is limited to, if any. */
export function scopesOf(principal: Principal): readonly KeyScope[] | undefined {
  const scopes = (principal as ScopedPrincipal).scopes
  return scopes && scopes.length > 0 ? scopes : undefined
}
