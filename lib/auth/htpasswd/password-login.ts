/**
 * @module
 * A password login as both entrances (Basic credentials in `authenticate`, the sign-in form of
 * the key page) run it: credentials whose outcome `htpasswd.ts` remembers are answered at once;
 * anything else goes past the throttle (login-throttle.ts) before a hash is computed, and a full
 * hash queue is a refusal like a throttle block. zot's `failDelay` is the caller's, as before.
 */
import { RegistryError } from '../../errors/registry-error'
import type { Htpasswd } from './htpasswd'
import type { LoginThrottle } from './login-throttle'
import { HashCheckBusyError } from './password-hash'

/** `ok`, `wrong`, or refused unchecked: retry after that many seconds. */
export type PasswordVerdict = 'ok' | 'wrong' | { retryAfterSeconds: number }

export interface PasswordAttempt {
  username: string
  password: string
  /** The client's IP address; undefined when unknown (in-process requests). */
  address: string | undefined
}

/** When the hash queue is full there is no block to wait out; a second is a polite retry. */
const BUSY_RETRY_SECONDS = 1

/**
 * Checks htpasswd credentials, throttled when a throttle is given.
 *
 * @example
 * const verdict = await checkPassword(htpasswd, throttle, { username, password, address })
 * if (typeof verdict === 'object') throw tooManyLogins(verdict)
 */
export async function checkPassword(
  htpasswd: Htpasswd,
  throttle: LoginThrottle | undefined,
  { username, password, address }: PasswordAttempt,
): Promise<PasswordVerdict> {
  // A repeat of known credentials costs no hash, so it is neither throttled nor counted: a
  // client retrying a stale password must not get its user blocked.
  const known = await htpasswd.recall(username, password)
  if (known !== undefined) return known ? 'ok' : 'wrong'
  const refused = throttle?.admit(username, address)
  if (refused) return refused
  try {
    const ok = await htpasswd.verify(username, password)
    throttle?.settle(username, address, ok ? 'success' : 'failure')
    return ok ? 'ok' : 'wrong'
  } catch (error) {
    if (!(error instanceof HashCheckBusyError)) throw error
    throttle?.settle(username, address, 'unchecked')
    return { retryAfterSeconds: BUSY_RETRY_SECONDS }
  }
}

/** The 429 of a refused login, with `Retry-After`. */
export const tooManyLogins = ({ retryAfterSeconds }: { retryAfterSeconds: number }) =>
  new RegistryError('TOOMANYREQUESTS', {
    detail: { description: 'too many login attempts; retry later', retryAfterSeconds },
    headers: { 'Retry-After': String(retryAfterSeconds) },
  })
