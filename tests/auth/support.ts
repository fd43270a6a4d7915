/**
 * @module
 * Helpers shared by the auth tests: the real-world fixture configs, principals, a temp folder,
 * and a small hono app (the lead's request-target parsing plus the middleware under test) whose
 * routes answer 200 so only the auth decision is observed.
 */
import { Hono, type MiddlewareHandler } from 'hono'
import { RegistryError } from '../../lib/errors/registry-error'
import type { AppEnv, Principal } from '../../lib/http/context'
import { requestTarget } from '../../lib/http/middleware/request-target'
import { renderError } from '../../lib/http/render-error'
import type { AccessControlOptions, AuthOptions } from '../../lib/auth/options'

/** Real users' configs, kept in the repository (tests/fixtures/configs/README.md). */
const FIXTURES = new URL('../fixtures/configs/', import.meta.url)

export interface FixtureConfig {
  http: { auth?: AuthOptions; accessControl?: AccessControlOptions; externalUrl?: string }
}

export const fixtureConfig = async (name: string): Promise<FixtureConfig> =>
  Bun.file(new URL(name, FIXTURES)).json()
export const fixturePath = (name: string): string => new URL(name, FIXTURES).pathname

export const user = (
  username: string,
  groups: string[] = [],
  method: Principal['method'] = 'htpasswd',
): Principal => ({
  username,
  groups,
  method,
})

export { tempDirectory } from '../support/temp'

/** An app like the lead's: target parsing, one error renderer, the middleware, 200 everywhere. */
export function testApp(
  middleware: MiddlewareHandler<AppEnv>[],
  routes?: (app: Hono<AppEnv>) => void,
): Hono<AppEnv> {
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
