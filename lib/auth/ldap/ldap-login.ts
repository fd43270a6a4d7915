/**
 * @module
 * LDAP as a password source (htpasswd/password-login.ts): Docker and containerd send Basic
 * credentials with every request, often a dozen at once, so asking the directory each time would
 * cost a connection, two binds and a search per blob. Outcomes are remembered under an HMAC of
 * the credentials (never the password itself): a success for `SUCCESS_MS` (a user disabled or
 * moved out of a group in the directory loses access after at most that long), a wrong password
 * for `FAILURE_MS`. Identical credentials checked at the same moment share one directory login.
 * Outages are not remembered: the next request asks again, so service comes back as soon as the
 * directory does. At most `MAX_DIRECTORY_LOGINS` directory logins run at once.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { Lru } from '../../cache/lru'
import { HashCheckBusyError } from '../htpasswd/password-hash'
import type { PasswordSource } from '../htpasswd/password-login'
import type { LdapDirectory } from './ldap-directory'

/** How long a successful login is trusted without asking the directory again. */
export const SUCCESS_MS = 60_000
/** How long a wrong password is answered without asking. */
export const FAILURE_MS = 10_000
/** Remembered outcomes at most; the least recently used go first. */
const MEMORY_LIMIT = 10_000
/**
 * Directory logins under way at most. Each holds a connection to the directory; past this a login
 * is refused like a full hash queue (429, `Retry-After: 1`), so a flood of distinct guesses from
 * many addresses cannot open unbounded connections to the directory.
 */
export const MAX_DIRECTORY_LOGINS = 32

interface Outcome {
  groups: string[] | false
  until: number
}

/**
 * @param onLogin called after each successful directory login (not for remembered outcomes), e.g.
 *   to record the user's groups for their API keys; a failure there does not fail the login
 */
export function ldapPasswordSource(
  directory: LdapDirectory,
  onLogin?: (username: string, groups: string[]) => Promise<void>,
): PasswordSource<string[]> {
  const secret = randomBytes(32)
  const outcomes = new Lru<string, Outcome>(MEMORY_LIMIT)
  const inFlight = new Map<string, Promise<string[] | false>>()
  const keyOf = (username: string, password: string) =>
    createHmac('sha256', secret).update(`${username}\0${password}`).digest('base64')

  function recalled(key: string): string[] | false | undefined {
    const outcome = outcomes.get(key)
    if (outcome === undefined) return undefined
    if (outcome.until > Date.now()) return outcome.groups
    outcomes.delete(key)
    return undefined
  }

  return {
    async recall(username, password) {
      const key = keyOf(username, password)
      return recalled(key) ?? inFlight.get(key)
    },
    verify(username, password) {
      const key = keyOf(username, password)
      const running = inFlight.get(key)
      if (running) return running
      if (inFlight.size >= MAX_DIRECTORY_LOGINS) return Promise.reject(new HashCheckBusyError())
      const checking = directory
        .login(username, password)
        .then(async (groups) => {
          outcomes.set(key, { groups, until: Date.now() + (groups ? SUCCESS_MS : FAILURE_MS) })
          if (groups && onLogin) await onLogin(username, groups).catch(() => undefined)
          return groups
        })
        .finally(() => inFlight.delete(key))
      inFlight.set(key, checking)
      return checking
    },
  }
}
