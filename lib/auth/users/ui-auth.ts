/**
 * @module
 * What the web UI needs from the login layer: the sign-in methods to offer, the principal of a
 * page request's session, and CSRF tokens for its forms.
 *
 * UI pages take the session cookie without zot's `X-ZOT-API-CLIENT` header (a browser
 * navigation cannot send it). That is safe because pages only read, and a cross-site page cannot
 * read what they answer; every state change is a form with a CSRF token (form-csrf.ts) behind the
 * same-origin check.
 */
import type { Context } from 'hono'
import type { Principal } from '../../http/context'
import { withStaticGroups } from '../authenticate'
import type { AccessControl } from '../policy/access-control'
import type { Sessions } from '../sessions/sessions'
import type { FormCsrf } from './form-csrf'

export interface UiAuth {
  providers: { id: string; name: string }[]
  /** An htpasswd file is configured: offer the password form. */
  passwordLogin: boolean
  /** API keys are on: link the key page. */
  apiKeys: boolean
  /** The principal of the request's session (with its static groups), if one stands. */
  sessionPrincipal(c: Context): Promise<Principal | undefined>
  csrf: FormCsrf
}

export interface UiAuthOptions {
  providers: { id: string; name: string }[]
  passwordLogin: boolean
  apiKeys: boolean
  sessions: Sessions
  csrf: FormCsrf
  access: AccessControl
}

export function createUiAuth(options: UiAuthOptions): UiAuth {
  const { sessions, access } = options
  return {
    providers: options.providers,
    passwordLogin: options.passwordLogin,
    apiKeys: options.apiKeys,
    csrf: options.csrf,
    async sessionPrincipal(c) {
      const principal = await sessions.principal(c)
      return principal && withStaticGroups(principal, access)
    },
  }
}
