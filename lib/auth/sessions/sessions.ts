/**
 * @module
 * Login sessions in sealed cookies (docs/zot-compatibility.md 4.2): `session` (HttpOnly, SameSite=Lax,
 * Secure under TLS or `secureSession`, 2 hours) holds the user name, how they logged in and when,
 * and a readable `user` cookie the name alone, for zot's web UI. Any replica with the same
 * `sessionKeysFile` honours the cookie.
 *
 * A sealed cookie alone would outlive its user and its logout (a copied cookie used to work for
 * the rest of its 2 hours), so every read also asks `user-validity.ts` whether the session still
 * stands: its source still has the user, and the user has not logged out since it was issued.
 * Cookies without an issue time (from before it was sealed in) do not stand.
 *
 * Groups are deliberately not in the cookie: users with hundreds of IdP groups would push it
 * past the browsers' 4 KiB limit. The groups recorded at login (`UserGroups`) are used instead,
 * which also makes them the same for a user's sessions and API keys.
 */
import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { CookieOptions } from 'hono/utils/cookie'
import type { Principal } from '../../http/context'
import type { Sealer } from './seal'
import type { UserGroups } from '../users/user-groups'
import type { SessionClaim, UserValidity } from '../users/user-validity'

export const SESSION_COOKIE = 'session'
export const USER_COOKIE = 'user'
/** zot's session lifetime. */
export const SESSION_MAX_AGE = 7200

/**
 * A session: `provider` is the OpenID provider (`oidc`, `google`, ...), or `PASSWORD_PROVIDER`
 * for a password login on the key page; `issuedAt` is in ms.
 */
export type SessionData = SessionClaim

export interface Sessions {
  /** Starts a session: sets the `session` and `user` cookies on the response. */
  issue(c: Context, data: Omit<SessionData, 'issuedAt'>): void
  /** The request's session, when it is sealed by us, unexpired and still stands. */
  read(c: Context): Promise<SessionData | undefined>
  /** The principal of the request's session, with the groups of the user's last login. */
  principal(c: Context): Promise<Principal | undefined>
  /**
   * Logs out: ends every session of the request's user issued until now, on every replica, and
   * clears this browser's cookies. Returns the session that was ended, if one stood.
   */
  end(c: Context): Promise<SessionData | undefined>
}

export interface SessionOptions {
  sealer: Sealer
  userGroups: UserGroups
  validity: UserValidity
  /** Mark cookies `Secure` (TLS, or `secureSession` behind a TLS proxy). */
  secure: boolean
  maxAgeSeconds?: number
}

/** Cookie attributes shared by every cookie this directory sets. */
export const cookieAttributes = (secure: boolean, extra: CookieOptions = {}): CookieOptions => ({
  path: '/',
  httpOnly: true,
  sameSite: 'Lax',
  secure,
  ...extra,
})

const isSessionData = (value: Partial<SessionData> | undefined): value is SessionData =>
  typeof value?.username === 'string' &&
  value.username !== '' &&
  typeof value.provider === 'string' &&
  typeof value.issuedAt === 'number'

/**
 * Cookie sessions sealed with `sealer`.
 *
 * @example
 * const sessions = createSessions({ sealer, userGroups, validity, secure: Boolean(tls) })
 * authenticate({ ..., session: sessions.principal })
 */
export function createSessions(options: SessionOptions): Sessions {
  const { sealer, userGroups, validity, secure } = options
  const maxAge = options.maxAgeSeconds ?? SESSION_MAX_AGE

  async function read(c: Context): Promise<SessionData | undefined> {
    const data = sealer.unseal<Partial<SessionData>>(SESSION_COOKIE, getCookie(c, SESSION_COOKIE))
    if (!isSessionData(data)) return undefined
    const session = { username: data.username, provider: data.provider, issuedAt: data.issuedAt }
    return (await validity.sessionStands(session)) ? session : undefined
  }

  function clear(c: Context): void {
    deleteCookie(c, SESSION_COOKIE, cookieAttributes(secure))
    deleteCookie(c, USER_COOKIE, cookieAttributes(secure, { httpOnly: false }))
  }

  return {
    read,
    issue(c, { username, provider }) {
      const claim: SessionData = { username, provider, issuedAt: Date.now() }
      const value = sealer.seal(SESSION_COOKIE, claim, maxAge)
      setCookie(c, SESSION_COOKIE, value, cookieAttributes(secure, { maxAge }))
      setCookie(c, USER_COOKIE, username, cookieAttributes(secure, { maxAge, httpOnly: false }))
    },
    async principal(c) {
      const data = await read(c)
      if (!data) return undefined
      return {
        username: data.username,
        groups: await userGroups.get(data.username),
        method: 'session',
      }
    },
    async end(c) {
      const session = await read(c)
      if (session) await validity.endSessions(session.username)
      clear(c)
      return session
    },
  }
}
