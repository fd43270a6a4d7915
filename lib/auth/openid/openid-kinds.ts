/**
 * @module
 * zot's OpenID login kinds this build implements. A leaf both `setup.ts` (which methods are
 * configured but unsupported) and `logins.ts` (which provider to build) read, so neither imports
 * the other for it.
 */

/** OpenID Connect providers, and GitHub's plain OAuth2. */
const OPENID_KINDS = ['oidc', 'google', 'gitlab', 'github'] as const
export type OpenIdKind = (typeof OPENID_KINDS)[number]
export const isOpenIdKind = (id: string): id is OpenIdKind => (OPENID_KINDS as readonly string[]).includes(id)
