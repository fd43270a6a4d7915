/**
 * @module
 * The parts of zot's configuration this directory reads: `http.auth` and `http.accessControl`,
 * with zot's canonical key names (zot-behaviour.md 2.4, 2.5). The config module hands these
 * objects over already validated; nothing here re-validates the file format.
 */

/** One grant: the users and groups it names may perform `actions`. */
export interface PolicyOptions {
  /** Exact user names; `"*"` is not a wildcard (zot). */
  users?: string[]
  groups?: string[]
  actions: string[]
  /** CEL conditions. Not evaluated here: an entry that has them never grants (fail closed). */
  conditions?: { expression: string; message?: string }[]
}

export interface RepositoryPolicyOptions {
  policies?: PolicyOptions[]
  /** Actions for any authenticated user. */
  defaultPolicy?: string[]
  /** Actions for unauthenticated requests only. */
  anonymousPolicy?: string[]
}

/** `http.accessControl`. */
export interface AccessControlOptions {
  /** Policies by doublestar repository glob; the longest matching glob alone applies. */
  repositories?: Record<string, RepositoryPolicyOptions>
  adminPolicy?: Partial<PolicyOptions>
  groups?: Record<string, { users?: string[] }>
  metrics?: { users?: string[]; anonymousPolicy?: string[] }
}

export interface ClaimMappingOptions {
  /** Claim naming the user; `email` by default, falling back to `email` when empty. */
  username?: string
  /** Claim listing the groups; `groups` by default. */
  groups?: string
}

/** One entry of `http.auth.openid.providers`. */
export interface OpenIdProviderOptions {
  name?: string
  /** `{"clientid": ..., "clientsecret": ...}`; overrides inline values. */
  credentialsFile?: string
  clientid?: string
  clientsecret?: string
  keypath?: string
  issuer?: string
  authurl?: string
  tokenurl?: string
  scopes?: string[]
  claimMapping?: ClaimMappingOptions
}

/** `http.auth` (the keys this directory implements). */
export interface AuthOptions {
  htpasswd?: { path: string }
  /** Seconds to sleep before answering a failed authentication or authorization. */
  failDelay?: number
  apikey?: boolean
  openid?: {
    providers?: Record<string, OpenIdProviderOptions>
    callbackAllowOrigins?: string[]
  }
  /** `{"hashKey": ..., "encryptKey": ...}`: session cookies stay valid across restarts. */
  sessionKeysFile?: string
  /** Marks session cookies `Secure` even without TLS (behind a TLS-terminating proxy). */
  secureSession?: boolean
  /** zot methods not implemented here; only their presence is looked at (to fail closed). */
  ldap?: unknown
  bearer?: unknown
  mtls?: unknown
}
