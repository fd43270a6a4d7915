/**
 * @module
 * Helpers shared by the auth tests: the real-world fixture configs, principals, a temp folder,
 * and a small hono app (the lead's request-target parsing plus the middleware under test) whose
 * routes answer 200 so only the auth decision is observed.
 */
import { Hono, type MiddlewareHandler } from 'hono'
import { createAccessControl, type AccessControl } from '../../lib/auth/policy/access-control'
import type { AccessControlConfig, AuthConfig, Config, OpenIdProviderConfig } from '../../lib/config'
import { RegistryError } from '../../lib/errors/registry-error'
import type { AppEnv, Principal } from '../../lib/http/context'
import { requestTarget } from '../../lib/http/middleware/request-target'
import { renderError } from '../../lib/http/render-error'
import { testConfig } from '../support/config'

/** Real users' configs, kept in the repository (tests/fixtures/configs/README.md). */
const FIXTURES = new URL('../fixtures/configs/', import.meta.url)

/** A fixture decoded as `serve` decodes it (the files it names are not read). */
export const fixtureConfig = async (name: string): Promise<Config> =>
  testConfig((await Bun.file(new URL(name, FIXTURES)).json()) as Record<string, unknown>)
export const fixturePath = (name: string): string => new URL(name, FIXTURES).pathname

export const user = (username: string, groups: string[] = [], method: Principal['method'] = 'htpasswd'): Principal => ({
  username,
  groups,
  method,
})

export { tempDirectory } from '../support/temp'

/** `http.auth` as a config file writes it, decoded with the schema's defaults. */
export function authConfigOf(auth: Record<string, unknown>): AuthConfig {
  const decoded = testConfig({ http: { auth } }).http.auth
  if (!decoded) throw new Error('http.auth did not decode')
  return decoded
}

/** `http.accessControl` as a config file writes it, decoded with the schema's defaults. */
export function accessControlOf(accessControl: Record<string, unknown>): AccessControlConfig {
  const decoded = testConfig({ http: { accessControl } }).http.accessControl
  if (!decoded) throw new Error('http.accessControl did not decode')
  return decoded
}

/** The access controller for `accessControl` written as in a config file. */
export const accessOf = (
  accessControl: Record<string, unknown>,
  onWarning?: (message: string, fields: Record<string, unknown>) => void,
): AccessControl => createAccessControl(accessControlOf(accessControl), onWarning)

/** One `http.auth.openid.providers` entry as a config file writes it, decoded. */
export function openIdProviderOf(provider: Record<string, unknown>, kind = 'oidc'): OpenIdProviderConfig {
  const providers = { [kind]: provider }
  const decoded = testConfig({ http: { auth: { openid: { providers } } } }).http.auth?.openid?.providers[kind]
  if (!decoded) throw new Error(`provider ${kind} did not decode`)
  return decoded
}

/** An app like the lead's: target parsing, one error renderer, the middleware, 200 everywhere. */
export function testApp(middleware: MiddlewareHandler<AppEnv>[], routes?: (app: Hono<AppEnv>) => void): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.onError((error, c) => {
    if (error instanceof RegistryError) return renderError(error, c.req.method)
    throw error
  })
  app.use('*', requestTarget())
  for (const handler of middleware) app.use('*', handler)
  routes?.(app)
  app.all('*', (c) => c.json({ ok: true, principal: c.get('principal') ?? null }))
  return app
}

export const errorCode = async (response: Response): Promise<string | undefined> =>
  ((await response.json()) as { errors?: { code: string }[] }).errors?.[0]?.code
