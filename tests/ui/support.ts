/**
 * @module
 * The UI tests' world: the registry as `serve` assembles it (search and UI on, htpasswd and a
 * real OpenID provider, access control with an admins-only `secret/**`, a pull-through rule)
 * behind a real socket, the fixtures pushed, and Debian's Chromium driven by playwright-core.
 * Screenshots go to tests/ui/artifacts/ (ignored by git).
 */
import { afterAll } from 'bun:test'
import bcrypt from 'bcryptjs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { assemble } from '../../lib/server/assemble'
import { silentLogger } from '../../lib/log/logger'
import { oidcClientConfig, startIdentityProvider } from '../auth/openid/identity-provider'
import { launchChromium } from '../support/chromium'
import { testConfig } from '../support/config'
import { tempDirectory } from '../support/temp'
import { pushFixtures } from './fixtures'

export const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname

export const PASSWORDS = { admin: 'admin-pw', bob: 'bob-pw' } as const

export type UiWorld = Awaited<ReturnType<typeof startUiWorld>>

export async function startUiWorld() {
  // The IdP must know the callback URL, so the socket comes first and the app behind it later.
  let app: { fetch(request: Request): Response | Promise<Response> } | undefined
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (request) => app!.fetch(request) })
  const origin = `http://127.0.0.1:${server.port}`
  const idp = await startIdentityProvider([
    { client_id: 'zot', client_secret: 'secret', redirect_uris: [`${origin}/zot/auth/callback/oidc`] },
  ])
  idp.accounts.set('erich', { groups: ['developers'] })
  const directory = await tempDirectory('ui')
  // The upstream of the pull-through rule: another registry (no auth) on its own socket.
  const upstream = await assemble(
    testConfig({ storage: { rootDirectory: join(directory, 'upstream') } }),
    silentLogger(),
  )
  const upstreamServer = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (request) => upstream.app.fetch(request) })
  const upstreamOrigin = `http://127.0.0.1:${upstreamServer.port}`
  const htpasswd = join(directory, 'htpasswd')
  await writeFile(
    htpasswd,
    Object.entries(PASSWORDS)
      .map(([user, password]) => `${user}:${bcrypt.hashSync(password, 4)}`)
      .join('\n'),
  )
  const everything = ['read', 'create', 'update', 'delete']
  const config = testConfig({
    storage: { rootDirectory: join(directory, 'data') },
    http: {
      address: '127.0.0.1',
      port: String(server.port),
      auth: {
        htpasswd: { path: htpasswd },
        apikey: true,
        failDelay: 0,
        openid: {
          providers: {
            oidc: {
              name: 'Example SSO',
              ...oidcClientConfig(idp),
            },
          },
        },
      },
      accessControl: {
        repositories: {
          '**': {
            anonymousPolicy: ['read'],
            defaultPolicy: ['read'],
            policies: [{ users: ['admin'], actions: everything }],
          },
          'secret/**': { policies: [{ users: ['admin'], actions: everything }] },
        },
      },
    },
    extensions: {
      search: { enable: true },
      ui: { enable: true },
      sync: {
        registries: [
          { urls: [upstreamOrigin], onDemand: true, content: [{ prefix: 'library/**', destination: '/hub' }] },
        ],
      },
    },
  })
  const assembled = await assemble(config, silentLogger())
  app = assembled.app
  const digests = await pushFixtures(
    { origin, username: 'admin', password: PASSWORDS.admin },
    { origin: upstreamOrigin, username: 'anyone', password: 'x' },
  )
  const browser: Browser = await launchChromium()
  await mkdir(ARTIFACTS, { recursive: true })
  afterAll(async () => {
    await browser.close()
    server.stop(true)
    upstreamServer.stop(true)
    await assembled.runtime.close()
    await upstream.runtime.close()
  })

  /** A fresh browser context (no cookies) with one page. */
  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } })
    return context.newPage()
  }

  async function signInWithPassword(page: Page, username: keyof typeof PASSWORDS, from = '/') {
    await page.goto(`${origin}${from}`)
    await page.click('nav.user a:has-text("Sign in")')
    await page.fill('input[name="username"]', username)
    await page.fill('input[name="password"]', PASSWORDS[username])
    await page.click('form button:has-text("Sign in")')
    await page.waitForSelector('#username')
  }

  /** The whole page, or only the viewport (`fullPage: false`, for the README's picture). */
  async function screenshot(page: Page, name: string, fullPage = true) {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage })
  }

  return {
    origin,
    upstreamHost: new URL(upstreamOrigin).host,
    digests,
    browser,
    newPage,
    signInWithPassword,
    screenshot,
  }
}
