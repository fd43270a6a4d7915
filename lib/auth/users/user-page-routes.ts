/**
 * @module
 * Routes of the `/user/apikey` page: sign in with htpasswd credentials (OpenID sign-in goes
 * through `/zot/auth/login`; password guesses share `authenticate`'s throttle), create, revoke,
 * sign out (which ends the user's sessions server-side). Plain HTML forms, so CSRF is handled
 * here twice: browsers' `Origin`/`Sec-Fetch-Site` must not say cross-site, and every form of a
 * signed-in user carries a token sealed for that user. Answers are never cached (one carries a
 * new key) and may not be framed.
 */
import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../../http/context'
import { clientAddress } from '../../http/client-address'
import { readLimitedBody } from '../../http/read-body'
import { ApiKeyInputError, type ApiKeyStore } from '../keys/api-key-store'
import { sleepFailDelay, type FailureOptions } from '../failures'
import type { Htpasswd } from '../htpasswd/htpasswd'
import type { LoginThrottle } from '../htpasswd/login-throttle'
import type { OpenIdProvider } from '../openid/openid-provider'
import { checkPassword } from '../htpasswd/password-login'
import { sameOrigin } from '../sessions/same-origin'
import type { Sealer } from '../sessions/seal'
import { SESSION_MAX_AGE, type SessionData, type Sessions } from '../sessions/sessions'
import { PAGE_PATH, renderKeys, renderSignIn } from './user-page'
import { PASSWORD_PROVIDER } from './user-validity'

export interface UserPageOptions extends FailureOptions {
  store: ApiKeyStore
  sessions: Sessions
  sealer: Sealer
  htpasswd?: Htpasswd
  /** Throttles the sign-in form's password guesses, shared with `authenticate`. */
  throttle?: LoginThrottle
  providers: Record<string, OpenIdProvider>
  /** Origins besides the request's own that may post forms. */
  trustedOrigins: string[]
}

const FORM_LIMIT = 16 * 1024
const CSRF = 'csrf'
const DEFAULT_EXPIRY_DAYS = 90
const HEADERS = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  // Not no-referrer: with it browsers post forms with `Origin: null`, which the CSRF check refuses.
  'Referrer-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
}

const securityHeaders = createMiddleware<AppEnv>(async function securityHeaders(c, next) {
  await next()
  for (const [name, value] of Object.entries(HEADERS)) c.res.headers.set(name, value)
})

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

/**
 * The API-key page as a hono app with full paths.
 *
 * @example
 * app.route('/', userPageRoutes({ store, sessions, sealer, htpasswd, providers, trustedOrigins }))
 */
export function userPageRoutes(options: UserPageOptions): Hono<AppEnv> {
  const { store, sessions, sealer, htpasswd } = options
  const providerList = Object.values(options.providers).map(({ id, name }) => ({ id, name }))
  const csrfFor = (session: SessionData): string => sealer.seal(CSRF, { username: session.username }, SESSION_MAX_AGE)
  const app = new Hono<AppEnv>()

  const signIn = (c: Context, status: 200 | 401 | 429 = 200, error?: string) =>
    c.html(
      renderSignIn({
        providers: providerList,
        passwordLogin: htpasswd !== undefined,
        ...(error && { error }),
      }),
      status,
    )

  async function keysPage(
    c: Context,
    session: SessionData,
    extra: { created?: { apiKey: string; label: string }; error?: string } = {},
    status: 200 | 400 = 200,
  ) {
    const keys = await store.list(session.username)
    const page = renderKeys({
      username: session.username,
      keys,
      csrf: csrfFor(session),
      defaultExpiry: isoDay(Date.now() + DEFAULT_EXPIRY_DAYS * 86_400_000),
      ...extra,
    })
    return c.html(page, status)
  }

  /** The session of a form post, when its CSRF token was sealed for that same user. */
  async function formSession(c: Context, fields: URLSearchParams): Promise<SessionData | undefined> {
    const session = await sessions.read(c)
    const token = sealer.unseal<{ username?: string }>(CSRF, fields.get(CSRF) ?? undefined)
    return session && token?.username === session.username ? session : undefined
  }

  app.use(PAGE_PATH, securityHeaders)
  app.use(`${PAGE_PATH}/*`, securityHeaders, sameOrigin(options.trustedOrigins))

  app.get(PAGE_PATH, async (c) => {
    const session = await sessions.read(c)
    return session ? keysPage(c, session) : signIn(c)
  })

  app.post(`${PAGE_PATH}/login`, async (c) => {
    const fields = await form(c)
    const username = fields.get('username') ?? ''
    const attempt = { username, password: fields.get('password') ?? '', address: clientAddress(c) }
    const verdict = htpasswd ? await checkPassword(htpasswd, options.throttle, attempt) : 'wrong'
    if (verdict !== 'ok') {
      await sleepFailDelay(options)
      if (verdict === 'wrong') return signIn(c, 401, 'Wrong user name or password.')
      c.header('Retry-After', String(verdict.retryAfterSeconds))
      const wait = verdict.retryAfterSeconds
      return signIn(c, 429, `Too many sign-in attempts; try again in ${wait} s.`)
    }
    sessions.issue(c, { username, provider: PASSWORD_PROVIDER })
    return c.redirect(PAGE_PATH, 303)
  })

  app.post(`${PAGE_PATH}/create`, async (c) => {
    const fields = await form(c)
    const session = await formSession(c, fields)
    if (!session) return signIn(c, 401, 'Your session has ended; sign in again.')
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
    const session = await formSession(c, fields)
    if (!session) return signIn(c, 401, 'Your session has ended; sign in again.')
    await store.remove(session.username, fields.get('id') ?? '')
    return c.redirect(PAGE_PATH, 303)
  })

  app.post(`${PAGE_PATH}/logout`, async (c) => {
    const fields = await form(c)
    if (await formSession(c, fields)) await sessions.end(c)
    return c.redirect(PAGE_PATH, 303)
  })

  return app
}
