/**
 * @module
 * Whether a user's sessions and API keys still stand (security issue item 7). Both are checked at
 * every use, against the sources the config has now:
 *
 * - An htpasswd user exists while the htpasswd file (re-read when it changes) lists them: delete
 *   the line and their sessions and keys fail within a second. Putting the line back brings the
 *   keys back, since nothing was deleted; revoke them when a name is given to someone else.
 * - An OpenID user has no directory to ask, so they exist while a provider they logged in with
 *   (recorded at login, user-groups.ts) is still configured; their keys stand until revoked or
 *   expired, their sessions until they end. A user removed at the IdP cannot log in again, which
 *   is all the registry can know.
 * - An LDAP user is treated like an OpenID user: recorded (with their directory groups) at each
 *   directory login, they exist while `http.auth.ldap` is configured. Asking the directory at
 *   every key use would make keys fail whenever it is down.
 * - The name space is shared: an IdP account whose mapped name equals an htpasswd user is that
 *   user (same keys, same policies). Such a user exists while either source has them.
 *
 * Sessions also die at logout: the user's logout time is stored in the registry's state, so
 * replicas on one bucket share it, and every session issued before it is refused (this ends all
 * of the user's sessions, not just the browser's that logged out). Reads are cached for
 * `cacheMs` so a docker pull's dozens of requests do not each reach storage; a logout on this
 * replica takes effect here at once, on other replicas within `cacheMs`.
 */
import { ExpiringCache } from '../../cache/expiring-cache'
import { statePaths } from '../../registry/layout'
import type { StateStore } from '../../registry/registry'
import type { Htpasswd } from '../htpasswd/htpasswd'
import { ANY_OPENID_PROVIDER, type UserGroups } from './user-groups'

/** The provider of sessions started with an htpasswd password (the key page's sign-in form). */
export const PASSWORD_PROVIDER = 'htpasswd'
/** The provider recorded for LDAP logins (user-groups.ts). */
export const LDAP_PROVIDER = 'ldap'

/** What a session claims: who, through which source, and when it was issued (ms). */
export interface SessionClaim {
  username: string
  provider: string
  issuedAt: number
}

export interface UserValidity {
  /** True when the user still exists in a configured source: API keys stand only then. */
  exists(username: string): Promise<boolean>
  /** True when the session's source still has the user and the user has not logged out since. */
  sessionStands(session: SessionClaim): Promise<boolean>
  /** Ends every session of the user issued until now. */
  endSessions(username: string): Promise<void>
}

export interface UserValidityOptions {
  state: StateStore
  htpasswd?: Pick<Htpasswd, 'has'>
  userGroups: Pick<UserGroups, 'providers'>
  /** The ids of the OpenID providers configured now. */
  openIdProviders: readonly string[]
  /** `http.auth.ldap` is configured: users recorded by LDAP logins exist. */
  ldap?: boolean
  /** How long a stored logout time is trusted (ms); default 5 s. */
  cacheMs?: number
}

/**
 * Creates the checks over the registry's state store and the configured sources.
 *
 * @example
 * const validity = createUserValidity({ state: registry.state, htpasswd, userGroups, openIdProviders: ['oidc'] })
 * await validity.exists('alice') // false once alice's htpasswd line is gone
 */
export function createUserValidity(options: UserValidityOptions): UserValidity {
  const { state, htpasswd, userGroups, openIdProviders } = options
  const cacheMs = options.cacheMs ?? 5_000
  const logouts = new ExpiringCache<number>(cacheMs)

  /** When the user last logged out (0: never). */
  const loggedOutAt = (username: string): Promise<number> =>
    logouts.get(username, async () => {
      const stored = await state.read(statePaths.userLogout(username))
      if (!stored) return 0
      const at = Date.parse(new TextDecoder().decode(stored).trim())
      // Fail closed: an unreadable time must not revive sessions that a logout ended.
      if (Number.isNaN(at)) throw new Error(`${statePaths.userLogout(username)}: not a date`)
      return at
    })

  const isConfigured = (provider: string): boolean => {
    if (provider === LDAP_PROVIDER) return options.ldap ?? false
    return provider === ANY_OPENID_PROVIDER ? openIdProviders.length > 0 : openIdProviders.includes(provider)
  }

  return {
    async exists(username) {
      if (await htpasswd?.has(username)) return true
      return (await userGroups.providers(username)).some(isConfigured)
    },
    async sessionStands({ username, provider, issuedAt }) {
      const source =
        provider === PASSWORD_PROVIDER ? ((await htpasswd?.has(username)) ?? false) : openIdProviders.includes(provider)
      return source && issuedAt > (await loggedOutAt(username))
    },
    async endSessions(username) {
      const now = Date.now()
      await state.write(statePaths.userLogout(username), new Date(now).toISOString())
      logouts.set(username, now)
    },
  }
}
