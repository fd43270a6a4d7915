/**
 * @module
 * User name and groups from OpenID claims (`claimMapping`, docs/zot-compatibility.md 3.3/4.2). The user
 * name is the configured claim (default `email`), falling back to `email` when that claim is
 * empty; groups are the configured claim (default `groups`) from every claim set (ID token and
 * UserInfo), a string or a list, deduplicated and sorted.
 *
 * One name space: a user name from an IdP is the same user as the htpasswd entry of that name,
 * with the same API keys, groups record and policies (as in zot). So the claim that names users
 * must be one the IdP's users cannot choose freely: when the name comes from the `email` claim
 * (the default), a login is refused unless that claim set also says `email_verified: true`.
 * Otherwise anyone who can register `alice@example.com` unverified at a shared IdP would become
 * that user here. There is no switch for it (zot's config has no place for one): an IdP that
 * sends no `email_verified` (Entra ID, for one) needs `claimMapping.username` set to a claim it
 * controls, such as `preferred_username` or `sub`. Other claims carry no verification flag, so
 * none is asked for; GitHub logins use the primary verified email (github-api.ts).
 */
import type { OpenIdProviderConfig } from '../../config'

export type Claims = Record<string, unknown>

/** `claimMapping` as lib/config decodes it: an empty claim name is already the default one. */
type ClaimMapping = OpenIdProviderConfig['claimMapping']

/** The claim a user name falls back to, and the one that must come verified. */
const EMAIL_CLAIM = 'email'

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined)

/** What the claims say about the user name: the name, or why the login must be refused. */
export type UsernameOutcome = { username: string } | { refusal: string }

/** `email_verified` as IdPs send it: a JSON boolean, or the string "true" from some (Cognito). */
const isVerified = (value: unknown): boolean => value === true || value === 'true'

/** The user name the claims give, or the reason they give none. */
export function usernameFromClaims(claimSets: readonly Claims[], mapping: ClaimMapping): UsernameOutcome {
  const configured = mapping.username
  const source = (name: string) => claimSets.find((claims) => text(claims[name]))
  const claim = source(configured) ? configured : EMAIL_CLAIM
  const claims = source(claim)
  if (!claims) return { refusal: `no ${configured} claim names the user` }
  const username = claims[claim] as string
  if (claim === EMAIL_CLAIM) {
    // Another claim set (ID token vs UserInfo) may be the one that carries the flag.
    const verified = claimSets.some((set) => set.email === username && isVerified(set.email_verified))
    if (!verified) return { refusal: 'the email naming the user is not verified (email_verified)' }
  }
  return { username }
}

/** The groups the claims give. */
export function groupsFromClaims(claimSets: readonly Claims[], mapping: ClaimMapping): string[] {
  const claim = mapping.groups
  const groups = new Set<string>()
  for (const claims of claimSets) {
    const value = claims[claim]
    for (const group of Array.isArray(value) ? value : [value]) {
      if (text(group)) groups.add(group as string)
    }
  }
  return [...groups].sort()
}
