/**
 * @module
 * User name and groups from OpenID claims (`claimMapping`, zot-behaviour.md 3.3/4.2). The user
 * name is the configured claim (default `email`), falling back to `email` when that claim is
 * empty; groups are the configured claim (default `groups`) from every claim set (ID token and
 * UserInfo), a string or a list, deduplicated and sorted.
 */
import type { ClaimMappingOptions } from './options'

export type Claims = Record<string, unknown>

const DEFAULT_USERNAME_CLAIM = 'email'
const DEFAULT_GROUPS_CLAIM = 'groups'

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined

/** The user name the claims give, or undefined when they name nobody. */
export function usernameFromClaims(
  claimSets: readonly Claims[],
  mapping: ClaimMappingOptions | undefined,
): string | undefined {
  const claim = mapping?.username || DEFAULT_USERNAME_CLAIM
  const first = (name: string): string | undefined =>
    claimSets.map((claims) => text(claims[name])).find(Boolean)
  return first(claim) ?? first(DEFAULT_USERNAME_CLAIM)
}

/** The groups the claims give. */
export function groupsFromClaims(
  claimSets: readonly Claims[],
  mapping: ClaimMappingOptions | undefined,
): string[] {
  const claim = mapping?.groups || DEFAULT_GROUPS_CLAIM
  const groups = new Set<string>()
  for (const claims of claimSets) {
    const value = claims[claim]
    for (const group of Array.isArray(value) ? value : [value]) {
      if (text(group)) groups.add(group as string)
    }
  }
  return [...groups].sort()
}
