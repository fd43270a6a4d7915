/**
 * @module
 * CSRF tokens for the HTML forms of a signed-in user (API keys, sign-out, stars, tag deletion): a
 * token sealed for the user's name, valid as long as a session. A form counts only when the
 * request's session is that same user's, so a token leaked to another user, or a form posted
 * after the session ended, is refused.
 */
import type { Context } from 'hono'
import type { Sealer } from '../sessions/seal'
import { SESSION_MAX_AGE, type SessionData, type Sessions } from '../sessions/sessions'

const PURPOSE = 'csrf'

export interface FormCsrf {
  /** A token for `username`'s forms. */
  token(username: string): string
  /** The request's session, when `token` was sealed for its user; undefined otherwise. */
  session(c: Context, token: string | null | undefined): Promise<SessionData | undefined>
}

export function createFormCsrf(sessions: Sessions, sealer: Sealer): FormCsrf {
  return {
    token: (username) => sealer.seal(PURPOSE, { username }, SESSION_MAX_AGE),
    async session(c, token) {
      const session = await sessions.read(c)
      const sealed = sealer.unseal<{ username?: string }>(PURPOSE, token ?? undefined)
      return session && sealed?.username === session.username ? session : undefined
    },
  }
}
