/**
 * @module
 * The `/user/apikey` page driven in headless Chromium (Debian's, through playwright-core): sign
 * in with a password and with OpenID (a real provider), create a key and read it off the page,
 * use it, revoke it. Skipped where Chromium is not installed.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { basicAuthorization } from '../../lib/auth/basic-credentials'
import { launchChromium } from '../support/chromium'
import { oidcClientConfig, startIdentityProvider } from './openid/identity-provider'
import { authRegistry, type AuthRegistry } from './registry'
import { tempDirectory } from './support'

setDefaultTimeout(60_000)

describe('API-key page in a browser', async () => {
  // The IdP must know the callback URL, so the socket comes first and the app behind it later.
  let registry: AuthRegistry | undefined
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (request) => registry!.app.fetch(request),
  })
  const origin = `http://127.0.0.1:${server.port}`
  const idp = await startIdentityProvider([
    {
      client_id: 'zot',
      client_secret: 'secret',
      redirect_uris: [`${origin}/zot/auth/callback/oidc`],
    },
  ])
  idp.accounts.set('erich', { groups: ['admins'] })
  const directory = await tempDirectory('browser')
  const htpasswd = join(directory, 'htpasswd')
  await writeFile(htpasswd, `alice:${bcrypt.hashSync('alice-pw', 4)}\n`)
  registry = await authRegistry({
    externalUrl: origin,
    auth: {
      htpasswd: { path: htpasswd },
      openid: {
        providers: {
          oidc: {
            name: 'authentik',
            ...oidcClientConfig(idp),
          },
        },
      },
    },
  })
  const browser: Browser = await launchChromium()
  afterAll(async () => {
    await browser.close()
    server.stop(true)
  })

  const works = async (username: string, apiKey: string) =>
    (
      await fetch(`${origin}/v2/`, {
        headers: { Authorization: basicAuthorization(username, apiKey) },
      })
    ).status === 200

  async function createKey(page: Page, label: string): Promise<string> {
    await page.fill('input[name="label"]', label)
    await page.fill('textarea[name="scopes"]', 'ci/**:read,create')
    await page.click('text=Create key')
    return (await page.textContent('#new-key')) ?? ''
  }

  test('password sign-in, create a key, use it, revoke it, sign out', async () => {
    const page = await browser.newPage()
    await page.goto(`${origin}/user/apikey`)
    await page.fill('input[name="username"]', 'alice')
    await page.fill('input[name="password"]', 'alice-pw')
    await page.click('button:has-text("Sign in")')
    expect(await page.textContent('#username')).toBe('alice')

    const apiKey = await createKey(page, 'laptop')
    expect(apiKey).toMatch(/^zak_[0-9a-f]{32}$/)
    expect(await works('alice', apiKey)).toBe(true)

    // The key is shown once: a reload lists it without the secret.
    await page.goto(`${origin}/user/apikey`)
    expect(await page.content()).not.toContain(apiKey)
    expect(await page.textContent('table')).toContain('ci/**:read,create')

    await page.click('button:has-text("Revoke")')
    expect(await page.textContent('body')).toContain('No keys yet.')
    expect(await works('alice', apiKey)).toBe(false)

    const cookies = await page.context().cookies()
    expect(cookies.find((cookie) => cookie.name === 'session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Lax',
    })
    await page.click('button:has-text("Sign out")')
    expect(await page.isVisible('input[name="password"]')).toBe(true)
    await page.close()
  })

  test('OpenID sign-in through the provider lands back on the page', async () => {
    const page = await browser.newPage()
    await page.goto(`${origin}/user/apikey`)
    await page.click('text=Sign in with authentik')
    await page.fill('input[name="login"]', 'erich')
    await page.fill('input[name="password"]', 'anything')
    await page.click('button:has-text("Sign-in")')
    await page.click('button:has-text("Continue")')
    await page.waitForURL(`${origin}/user/apikey`)
    expect(await page.textContent('#username')).toBe('erich')
    const apiKey = await createKey(page, 'ci')
    expect(await works('erich', apiKey)).toBe(true)
    await page.close()
  })
})
