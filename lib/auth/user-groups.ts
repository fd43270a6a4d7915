/**
 * @module
 * The groups each user had at their last interactive (OpenID) login, kept in storage. API keys
 * act with these groups, as in zot (MetaDB `SetUserGroups`): a user removed from `admins` at the
 * identity provider loses admin rights for their keys at their next login. Static groups from
 * `accessControl.groups` are added by `authenticate` and need not be stored.
 */
import { PathNotFoundError, type StorageDriver } from '../storage/driver'
import { storageNames } from './storage-names'

export interface UserGroups {
  get(username: string): Promise<string[]>
  /** Records the groups of a login; writes only when they changed. */
  set(username: string, groups: string[]): Promise<void>
}

/** How long a read is trusted; another replica's login shows up here after at most this. */
const CACHE_MS = 60_000

/** Stores user groups through the registry's storage driver, with a short read cache. */
export function createUserGroups(driver: StorageDriver): UserGroups {
  const cache = new Map<string, { groups: string[]; until: number }>()

  async function get(username: string): Promise<string[]> {
    const cached = cache.get(username)
    if (cached && cached.until > Date.now()) return cached.groups
    let groups: string[] = []
    try {
      const stored = JSON.parse(
        new TextDecoder().decode(await driver.getContent(storageNames.userGroups(username))),
      ) as { groups?: unknown }
      if (Array.isArray(stored.groups)) {
        groups = stored.groups.filter((group): group is string => typeof group === 'string')
      }
    } catch (error) {
      if (!(error instanceof PathNotFoundError)) throw error
    }
    cache.set(username, { groups, until: Date.now() + CACHE_MS })
    return groups
  }

  return {
    get,
    async set(username, groups) {
      const sorted = [...new Set(groups)].sort()
      if (JSON.stringify(await get(username)) === JSON.stringify(sorted)) return
      await driver.putContent(
        storageNames.userGroups(username),
        JSON.stringify({ groups: sorted, updatedAt: new Date().toISOString() }),
      )
      cache.set(username, { groups: sorted, until: Date.now() + CACHE_MS })
    },
  }
}
