/**
 * @module
 * A password login as both entrances (Basic credentials in `authenticate`, the sign-in form of
 * the key page) run it, for htpasswd and LDAP alike: credentials whose outcome the source
 * remembers are answered at once; anything else goes past the throttle (login-throttle.ts) before
 * a hash is computed or the directory asked, and a full hash queue is a refusal like a throttle
 * block. zot's `failDelay` is the caller's, as before.
 */
import { RegistryError } from '../../errors/registry-error'
import type { Htpasswd } from './htpasswd'
import type { AttemptOutcome, LoginThrottle } from './login-throttle'
import { HashCheckBusyError } from './password-hash'

/** `ok`, `wrong`, or refused unchecked: retry after that many seconds. */
export type PasswordVerdict = 'ok' | 'wrong' | { retryAfterSeconds: number }

export interface PasswordAttempt {
  username: string
  password: string
  /** The client's IP address; undefined when unknown (in-process requests). */
  address: string | undefined
}

/** Where passwords are checked (htpasswd, LDAP); a login yields `T` (e.g. the user's groups). */
export interface PasswordSource<T> {
  /** The remembered outcome of these exact credentials (false: wrong), undefined if unknown. */
  recall(username: string, password: string): Promise<T | false | undefined>
  /** Checks the credentials (false: wrong); may throw HashCheckBusyError. */
  verify(username: string, password: string): Promise<T | false>
}

/** When the hash queue is full there is no block to wait out; a second is a polite retry. */
const BUSY_RETRY_SECONDS = 1

/**
 * Checks credentials against any source, throttled when a throttle is given. Errors other than a
 * busy hash queue (an unreachable LDAP directory) propagate, and the attempt counts as unchecked.
 *
 * @example
 * const verdict = await checkLogin(directory, throttle, { username, password, address })
 * if (verdict !== 'wrong' && 'retryAfterSeconds' in verdict) throw tooManyLogins(verdict)
 */
export async function checkLogin<T>(
  source: PasswordSource<T>,
  throttle: LoginThrottle | undefined,
  { username, password, address }: PasswordAttempt,
): Promise<T | 'wrong' | { retryAfterSeconds: number }> {
  // A repeat of known credentials costs no check, so it is neither throttled nor counted: a
  // client retrying a stale password must not get its user blocked.
  const known = await source.recall(username, password)
  if (known !== undefined) return known === false ? 'wrong' : known
  const refused = throttle?.admit(username, address)
  if (refused) return refused
  let outcome: AttemptOutcome = 'unchecked'
  try {
    const result = await source.verify(username, password)
    outcome = result === false ? 'failure' : 'success'
    return result === false ? 'wrong' : result
  } catch (error) {
    if (!(error instanceof HashCheckBusyError)) throw error
    return { retryAfterSeconds: BUSY_RETRY_SECONDS }
  } finally {
    throttle?.settle(username, address, outcome)
  }
}

/** An htpasswd file as a password source. */
const htpasswdSource = (htpasswd: Htpasswd): PasswordSource<'ok'> => ({
  recall: async (username, password) => {
    const known = await htpasswd.recall(username, password)
    return known === undefined ? undefined : known && 'ok'
  },
  verify: async (username, password) => (await htpasswd.verify(username, password)) && 'ok',
})

/**
 * Checks htpasswd credentials, throttled when a throttle is given.
 *
 * @example
 * const verdict = await checkPassword(htpasswd, throttle, { username, password, address })
 * if (typeof verdict === 'object') throw tooManyLogins(verdict)
 */
export const checkPassword = (
  htpasswd: Htpasswd,
  throttle: LoginThrottle | undefined,
  attempt: PasswordAttempt,
): Promise<PasswordVerdict> => checkLogin(htpasswdSource(htpasswd), throttle, attempt)

/** The 429 of a refused login, with `Retry-After`. */
export const tooManyLogins = ({ retryAfterSeconds }: { retryAfterSeconds: number }) =>
  new RegistryError('TOOMANYREQUESTS', {
    detail: { description: 'too many login attempts; retry later', retryAfterSeconds },
    headers: { 'Retry-After': String(retryAfterSeconds) },
  })
