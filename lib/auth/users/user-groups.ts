/**
 * @module
 * What each OpenID login leaves behind, kept in storage: the user's groups at their last login,
 * and the providers they have logged in with.
 *
 * - API keys act with these groups, as in zot (MetaDB `SetUserGroups`): a user removed from
 *   `admins` at the identity provider loses admin rights for their keys at their next login.
 *   Static groups from `accessControl.groups` are added by `authenticate` and need not be stored.
 * - The providers are how `user-validity.ts` tells an OpenID user (no directory to ask; their
 *   keys stand while the provider is configured) from an htpasswd user (who must still be in the
 *   file). Records written before providers were recorded came from OpenID logins only, so they
 *   count as "some OpenID provider" (`ANY_OPENID_PROVIDER`).
 */
import { ExpiringCache } from '../../cache/expiring-cache'
import { statePaths } from '../../registry/layout'
import type { StateStore } from '../../registry/registry'

/** Stands for the unrecorded provider of a record older than the providers list. */
export const ANY_OPENID_PROVIDER = '*'

export interface UserGroups {
  get(username: string): Promise<string[]>
  /** Records an OpenID login through `provider`; writes only when something changed. */
  set(username: string, groups: string[], provider: string): Promise<void>
  /** The OpenID providers (or `ldap`) the user has logged in with (none for htpasswd-only users). */
  providers(username: string): Promise<string[]>
}

interface UserRecord {
  groups: string[]
  providers: string[]
}

/** How long a read is trusted; another replica's login shows up here after at most this. */
const CACHE_MS = 60_000

const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined

/** Stores user records in the registry's state store, with a short read cache. */
export function createUserGroups(state: StateStore): UserGroups {
  const cache = new ExpiringCache<UserRecord>(CACHE_MS)

  const read = (username: string): Promise<UserRecord> =>
    cache.get(username, async () => {
      const bytes = await state.read(statePaths.userGroups(username))
      if (!bytes) return { groups: [], providers: [] }
      const stored = JSON.parse(new TextDecoder().decode(bytes)) as { groups?: unknown; providers?: unknown }
      return {
        groups: strings(stored.groups) ?? [],
        providers: strings(stored.providers) ?? [ANY_OPENID_PROVIDER],
      }
    })

  return {
    get: async (username) => (await read(username)).groups,
    providers: async (username) => (await read(username)).providers,
    async set(username, groups, provider) {
      const current = await read(username)
      const record: UserRecord = {
        groups: [...new Set(groups)].sort(),
        providers: [...new Set([...current.providers, provider])].sort(),
      }
      if (JSON.stringify(current) === JSON.stringify(record)) return
      await state.write(
        statePaths.userGroups(username),
        JSON.stringify({ ...record, updatedAt: new Date().toISOString() }),
      )
      cache.set(username, record)
    },
  }
}
