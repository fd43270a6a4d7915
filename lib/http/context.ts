/**
 * @module
 * The typed hono environment every middleware and handler shares.
 */
import type { RequestTarget } from '../oci/request-target'

/** Who is making the request, decided by the authentication middleware. */
export interface Principal {
  /** Empty for anonymous requests. */
  username: string
  groups: string[]
  /** How the identity was established. */
  method: 'anonymous' | 'htpasswd' | 'ldap' | 'apikey' | 'openid' | 'session' | 'bearer' | 'mtls'
}

/** zot's access-control actions. */
export type Action = 'read' | 'create' | 'update' | 'delete'

/**
 * A request's `?ns=` choice (containerd's registry proxying): this registry's own repositories
 * only, or the sync registry entry at `index` only.
 */
export type NamespaceScope = { kind: 'own' } | { kind: 'registry'; index: number }

export interface AppVariables {
  /** The parsed `/v2/...` target; absent for non-distribution paths. */
  target: RequestTarget | undefined
  /** Set by authentication; absent when no authentication is configured. */
  principal: Principal | undefined
  /**
   * Set by authorization on a manifest PUT by a principal that may create tags but not update
   * them: the registry re-checks under the repository's lock that no tag it writes exists already
   * (authorization looked before the body arrived, and another push may have won since).
   */
  tagMustBeNew: boolean | undefined
  /** Set by sync's `?ns=` middleware; absent for requests without `ns`, and without sync. */
  namespace: NamespaceScope | undefined
}

export type AppEnv = { Variables: AppVariables }
