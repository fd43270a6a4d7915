/**
 * @module
 * The browser login endpoints of zot (docs/zot-compatibility.md 4.2):
 *
 * - `/zot/auth/login?provider=<id>&callback_ui=<where to>`: 302 to the IdP. The attempt's
 *   state, nonce and PKCE verifier travel in a sealed `statecookie` (path `/zot/auth/callback`,
 *   10 minutes), so nothing is kept server-side and any replica can finish the login.
 * - `/zot/auth/callback/<id>`: checks the cookie belongs to this provider, then state, code
 *   (PKCE) and ID token (nonce); records the user's groups and provider; starts the session;
 *   302 to the validated `callback_ui`, or 201 without one.
 * - `POST /zot/auth/logout`: ends the user's sessions server-side (a copied cookie stops working
 *   too); `{"endSessionUrl"}` when the IdP has one.
 *
 * A callback without our cookie, or with another attempt's state, is refused: this is what stops
 * an attacker from logging a victim into the attacker's account (login CSRF) with a stolen or
 * crafted callback URL.
 */
import { Hono, type Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { RegistryError } from '../../errors/registry-error'
import type { AppEnv } from '../../http/context'
import type { Logger } from '../../log/logger'
import { safeCallbackUi, trustedOriginsOf } from './callback-ui'
import { problem } from '../failures'
import type { LoginAttempt, OpenIdProvider } from './openid-provider'
import { sameOrigin } from '../sessions/same-origin'
import type { Sealer } from '../sessions/seal'
import { cookieAttributes, type Sessions } from '../sessions/sessions'
import type { UserGroups } from '../users/user-groups'

export const LOGIN_PATH = '/zot/auth/login'
export const CALLBACK_PATH = '/zot/auth/callback'
export const LOGOUT_PATH = '/zot/auth/logout'
const STATE_COOKIE = 'statecookie'
const STATE_MAX_AGE = 600

export interface OpenIdRoutesOptions {
  providers: Record<string, OpenIdProvider>
  sessions: Sessions
  sealer: Sealer
  userGroups: UserGroups
  /** `http.externalUrl`: the public base of redirect URIs; the request's origin otherwise. */
  externalUrl?: string
  /** `openid.callbackAllowOrigins`. */
  callbackAllowOrigins?: string[]
  /** Secure cookies (TLS or `secureSession`). */
  secure: boolean
  /** Where the IdP sends the browser after logout; zot's UI uses `/login`. */
  postLogoutPath?: string
  logger?: Logger
}

interface StoredAttempt extends LoginAttempt {
  provider: string
  callbackUi?: string
}

/** 401 without a Basic challenge: a challenge here would pop up a password dialog in browsers. */
const loginFailed = (description: string): RegistryError =>
  new RegistryError('UNAUTHORIZED', { message: 'login failed', detail: { description } })

/**
 * The OpenID login, callback and logout endpoints as a hono app with full paths.
 *
 * @example
 * app.route('/', openIdRoutes({ providers, sessions, sealer, userGroups, externalUrl, secure }))
 */
export function openIdRoutes(options: OpenIdRoutesOptions): Hono<AppEnv> {
  const { providers, sessions, sealer, secure } = options
  const external = options.externalUrl?.replace(/\/+$/, '')
  const trustedOrigins = trustedOriginsOf(external, options.callbackAllowOrigins)
  const baseUrl = (c: Context): string => external ?? new URL(c.req.url).origin
  const redirectUri = (c: Context, provider: OpenIdProvider): string => `${baseUrl(c)}${CALLBACK_PATH}/${provider.id}`
  const stateCookie = cookieAttributes(secure, { path: CALLBACK_PATH, maxAge: STATE_MAX_AGE })
  const app = new Hono<AppEnv>()

  app.on(['GET', 'POST'], LOGIN_PATH, async (c) => {
    const provider = providers[c.req.query('provider') ?? '']
    if (!provider) return problem(400, 'unknown or missing provider')
    const requested = c.req.query('callback_ui')
    const callbackUi =
      requested === undefined
        ? undefined
        : safeCallbackUi(requested, {
            allowedOrigins: [new URL(c.req.url).origin, ...trustedOrigins],
          })
    let started: Awaited<ReturnType<OpenIdProvider['authorization']>>
    try {
      started = await provider.authorization(redirectUri(c, provider))
    } catch (error) {
      options.logger?.error('identity provider unavailable', { provider: provider.id, error })
      throw new RegistryError('UNAVAILABLE', {
        detail: { description: 'the identity provider cannot be reached' },
      })
    }
    const stored: StoredAttempt = {
      ...started.attempt,
      provider: provider.id,
      ...(callbackUi !== undefined && { callbackUi }),
    }
    setCookie(c, STATE_COOKIE, sealer.seal(STATE_COOKIE, stored, STATE_MAX_AGE), stateCookie)
    return c.redirect(started.url.toString(), 302)
  })

  app.all(`${CALLBACK_PATH}/:provider`, async (c) => {
    const provider = providers[c.req.param('provider')]
    if (!provider) return problem(400, 'unknown provider')
    const stored = sealer.unseal<StoredAttempt>(STATE_COOKIE, getCookie(c, STATE_COOKIE))
    // One attempt, one callback: the cookie goes whatever the outcome.
    deleteCookie(c, STATE_COOKIE, stateCookie)
    if (!stored || stored.provider !== provider.id) {
      throw loginFailed('no login in progress for this provider in this browser')
    }
    let identity: Awaited<ReturnType<OpenIdProvider['complete']>>
    try {
      identity = await provider.complete(new URL(c.req.url), redirectUri(c, provider), stored)
    } catch (error) {
      options.logger?.info('openid login failed', {
        provider: provider.id,
        error: error instanceof Error ? error.message : String(error),
      })
      throw loginFailed('the identity provider did not confirm the login')
    }
    await options.userGroups.set(identity.username, identity.groups, provider.id)
    sessions.issue(c, { username: identity.username, provider: provider.id })
    options.logger?.info('openid login', { provider: provider.id, username: identity.username })
    return stored.callbackUi === undefined ? c.body(null, 201) : c.redirect(stored.callbackUi, 302)
  })

  app.post(LOGOUT_PATH, sameOrigin(trustedOrigins), async (c) => {
    const session = await sessions.end(c)
    const provider = session && providers[session.provider]
    const endSessionUrl = provider
      ? await provider.endSessionUrl(`${baseUrl(c)}${options.postLogoutPath ?? '/login'}`).catch(() => undefined)
      : undefined
    return c.json(endSessionUrl ? { endSessionUrl } : {})
  })

  return app
}
