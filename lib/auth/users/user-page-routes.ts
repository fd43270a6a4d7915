/**
 * @module
 * Routes of sign-in, sign-out and the `/user/apikey` page (the UI's sign-in page posts here
 * too): sign in with htpasswd credentials (OpenID sign-in goes
 * through `/zot/auth/login`; password guesses share `authenticate`'s throttle), create, revoke,
 * sign out (which ends the user's sessions server-side). Plain HTML forms, so CSRF is handled
 * here twice: browsers' `Origin`/`Sec-Fetch-Site` must not say cross-site, and every form of a
 * signed-in user carries a token sealed for that user. Answers are never cached (one carries a
 * new key) and may not be framed.
 */
import { Hono, type Context } from 'hono'
import { assetRoutes } from '../../ui/assets/asset-routes'
import { PATHS, type Viewer } from '../../ui/layout'
import { pageSecurityHeaders } from '../../ui/security-headers'
import type { AppEnv } from '../../http/context'
import { clientAddress } from '../../http/client-address'
import { readLimitedBody } from '../../http/read-body'
import { ApiKeyInputError, type ApiKeyStore } from '../keys/api-key-store'
import { sleepFailDelay, type FailureOptions } from '../failures'
import type { Htpasswd } from '../htpasswd/htpasswd'
import type { LoginThrottle } from '../htpasswd/login-throttle'
import { safeCallbackUi } from '../openid/callback-ui'
import { checkPassword } from '../htpasswd/password-login'
import { sameOrigin } from '../sessions/same-origin'
import type { SessionData, Sessions } from '../sessions/sessions'
import type { FormCsrf } from './form-csrf'
import { PAGE_PATH, renderKeys, renderSignIn } from './user-page'
import { PASSWORD_PROVIDER } from './user-validity'

export interface UserPageOptions extends FailureOptions {
  /** The key store; without it (API keys off) only sign-in and sign-out are served. */
  store?: ApiKeyStore
  sessions: Sessions
  csrf: FormCsrf
  htpasswd?: Htpasswd
  /** Throttles the sign-in form's password guesses, shared with `authenticate`. */
  throttle?: LoginThrottle
  providers: { id: string; name: string }[]
  /** Origins besides the request's own that may post forms. */
  trustedOrigins: string[]
  /** The web UI is on: the header offers search and explore, sign-out lands on `/`. */
  ui: boolean
}

const FORM_LIMIT = 16 * 1024
const DEFAULT_EXPIRY_DAYS = 90

async function form(c: Context): Promise<URLSearchParams> {
  return new URLSearchParams(new TextDecoder().decode(await readLimitedBody(c.req.raw, FORM_LIMIT)))
}

const isoDay = (time: number): string => new Date(time).toISOString().slice(0, 10)

/** A date input's day as the end of that day, UTC; undefined for an empty field. */
function expiryOf(value: string | null): Date | undefined | 'invalid' {
  if (!value) return undefined
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return 'invalid'
  const date = new Date(`${value}T23:59:59Z`)
  return Number.isNaN(date.getTime()) ? 'invalid' : date
}

/** A same-origin path to return to after a form, never another site (no open redirect). */
export const nextPath = (requested: string | null | undefined, fallback: string): string =>
  requested ? safeCallbackUi(requested, { allowedOrigins: [] }) : fallback

type SignInResponder = (
  c: Context,
  status?: 200 | 401 | 429,
  error?: string,
  next?: string,
) => Response | Promise<Response>

/**
 * Sign-in, sign-out and the API-key page as a hono app with full paths.
 *
 * @example
 * app.route('/', userPageRoutes({ store, sessions, csrf, htpasswd, providers, trustedOrigins, ui }))
 */
export function userPageRoutes(options: UserPageOptions): Hono<AppEnv> {
  const { store, sessions, csrf, htpasswd } = options
  const app = new Hono<AppEnv>()
  const viewerOf = (session: SessionData | undefined): Viewer => ({
    username: session?.username ?? '',
    csrf: session ? csrf.token(session.username) : '',
    ui: options.ui,
    signIn: true,
    apiKeys: store !== undefined,
  })

  const signIn: SignInResponder = (c, status = 200, error, next = PAGE_PATH) =>
    c.html(
      renderSignIn({
        viewer: viewerOf(undefined),
        providers: options.providers,
        passwordLogin: htpasswd !== undefined,
        next,
        ...(error && { error }),
      }),
      status,
    )

  // The pages' stylesheet and script; the UI, when on, relies on these routes too.
  app.route('/', assetRoutes())
  app.use(PAGE_PATH, pageSecurityHeaders)
  app.use(`${PAGE_PATH}/*`, pageSecurityHeaders, sameOrigin(options.trustedOrigins))

  app.post(PATHS.passwordSignIn, async (c) => {
    const fields = await form(c)
    const next = nextPath(fields.get('next'), PAGE_PATH)
    const username = fields.get('username') ?? ''
    const attempt = { username, password: fields.get('password') ?? '', address: clientAddress(c) }
    const verdict = htpasswd ? await checkPassword(htpasswd, options.throttle, attempt) : 'wrong'
    if (verdict !== 'ok') {
      await sleepFailDelay(options)
      if (verdict === 'wrong') return signIn(c, 401, 'Wrong user name or password.', next)
      c.header('Retry-After', String(verdict.retryAfterSeconds))
      const wait = verdict.retryAfterSeconds
      return signIn(c, 429, `Too many sign-in attempts; try again in ${wait} s.`, next)
    }
    sessions.issue(c, { username, provider: PASSWORD_PROVIDER })
    return c.redirect(next, 303)
  })

  app.post(PATHS.signOut, async (c) => {
    const fields = await form(c)
    if (await csrf.session(c, fields.get('csrf'))) await sessions.end(c)
    return c.redirect(nextPath(fields.get('next'), PAGE_PATH), 303)
  })

  if (store) mountKeyPage(app, store, { ...options, viewerOf, signIn })
  return app
}

interface KeyPageParts extends UserPageOptions {
  viewerOf(session: SessionData): Viewer
  signIn: SignInResponder
}

function mountKeyPage(app: Hono<AppEnv>, store: ApiKeyStore, parts: KeyPageParts): void {
  const { sessions, csrf, viewerOf } = parts
  const signIn = (c: Context) => parts.signIn(c, 401, 'Your session has ended; sign in again.')

  async function keysPage(
    c: Context,
    session: SessionData,
    extra: { created?: { apiKey: string; label: string }; error?: string } = {},
    status: 200 | 400 = 200,
  ) {
    const keys = await store.list(session.username)
    const page = renderKeys({
      viewer: viewerOf(session),
      keys,
      defaultExpiry: isoDay(Date.now() + DEFAULT_EXPIRY_DAYS * 86_400_000),
      ...extra,
    })
    return c.html(page, status)
  }

  app.get(PAGE_PATH, async (c) => {
    const session = await sessions.read(c)
    return session ? keysPage(c, session) : parts.signIn(c)
  })

  app.post(`${PAGE_PATH}/create`, async (c) => {
    const fields = await form(c)
    const session = await csrf.session(c, fields.get('csrf'))
    if (!session) return signIn(c)
    const label = (fields.get('label') ?? '').trim()
    const scopes = (fields.get('scopes') ?? '')
      .split(/\r?\n/)
      .map((scope) => scope.trim())
      .filter(Boolean)
    const expirationDate = expiryOf(fields.get('expires'))
    if (expirationDate === 'invalid') {
      return keysPage(c, session, { error: 'The expiry date is not a date.' }, 400)
    }
    try {
      const created = await store.create(session.username, {
        label,
        scopes,
        ...(expirationDate && { expirationDate }),
        creatorUa: c.req.header('User-Agent') ?? '',
      })
      return keysPage(c, session, { created: { apiKey: created.apiKey, label } })
    } catch (error) {
      if (error instanceof ApiKeyInputError) {
        return keysPage(c, session, { error: error.message }, 400)
      }
      throw error
    }
  })

  app.post(`${PAGE_PATH}/revoke`, async (c) => {
    const fields = await form(c)
    const session = await csrf.session(c, fields.get('csrf'))
    if (!session) return signIn(c)
    await store.remove(session.username, fields.get('id') ?? '')
    return c.redirect(PAGE_PATH, 303)
  })
}
