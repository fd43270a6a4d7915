/**
 * @module
 * Login sessions in sealed cookies (zot-behaviour.md 4.2): `session` (HttpOnly, SameSite=Lax,
 * Secure under TLS or `secureSession`, 2 hours) holds the user name and how they logged in, and
 * a readable `user` cookie the name alone, for zot's web UI. Nothing is stored server-side, so
 * any replica with the same `sessionKeysFile` honours the cookie.
 *
 * Groups are deliberately not in the cookie: users with hundreds of IdP groups would push it
 * past the browsers' 4 KiB limit. The groups recorded at login (`UserGroups`) are used instead,
 * which also makes them the same for a user's sessions and API keys.
 */
import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import type { CookieOptions } from 'hono/utils/cookie'
import type { Principal } from '../http/context'
import type { Sealer } from './seal'
import type { UserGroups } from './user-groups'

export const SESSION_COOKIE = 'session'
export const USER_COOKIE = 'user'
/** zot's session lifetime. */
export const SESSION_MAX_AGE = 7200

export interface SessionData {
  username: string
  /** The OpenID provider (`oidc`, `google`, ...), or `htpasswd` for a password login on the UI. */
  provider: string
}

export interface Sessions {
  /** Starts a session: sets the `session` and `user` cookies on the response. */
  issue(c: Context, data: SessionData): void
  read(c: Context): SessionData | undefined
  /** The principal of the request's session, with the groups of the user's last login. */
  principal(c: Context): Promise<Principal | undefined>
  /** Ends the session on this browser. */
  clear(c: Context): void
}

export interface SessionOptions {
  sealer: Sealer
  userGroups: UserGroups
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
  typeof value?.username === 'string' && value.username !== '' && typeof value.provider === 'string'

/**
 * Cookie sessions sealed with `sealer`.
 *
 * @example
 * const sessions = createSessions({ sealer, userGroups, secure: Boolean(tls) || secureSession })
 * authenticate({ ..., session: sessions.principal })
 */
export function createSessions(options: SessionOptions): Sessions {
  const { sealer, userGroups, secure } = options
  const maxAge = options.maxAgeSeconds ?? SESSION_MAX_AGE

  function read(c: Context): SessionData | undefined {
    const data = sealer.unseal<Partial<SessionData>>(SESSION_COOKIE, getCookie(c, SESSION_COOKIE))
    return isSessionData(data) ? { username: data.username, provider: data.provider } : undefined
  }

  return {
    read,
    issue(c, data) {
      const value = sealer.seal(
        SESSION_COOKIE,
        { username: data.username, provider: data.provider },
        maxAge,
      )
      setCookie(c, SESSION_COOKIE, value, cookieAttributes(secure, { maxAge }))
      setCookie(
        c,
        USER_COOKIE,
        data.username,
        cookieAttributes(secure, { maxAge, httpOnly: false }),
      )
    },
    async principal(c) {
      const data = read(c)
      if (!data) return undefined
      return {
        username: data.username,
        groups: await userGroups.get(data.username),
        method: 'session',
      }
    },
    clear(c) {
      deleteCookie(c, SESSION_COOKIE, cookieAttributes(secure))
      deleteCookie(c, USER_COOKIE, cookieAttributes(secure, { httpOnly: false }))
    },
  }
}
