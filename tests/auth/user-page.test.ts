import { describe, expect, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { basicAuthorization } from '../../lib/auth/basic-credentials'
import { CookieJar } from './cookie-jar'
import { authRegistry } from './registry'
import { tempDirectory } from './support'

const ORIGIN = 'http://registry.test'
const directory = await tempDirectory('page')
const htpasswd = join(directory, 'htpasswd')
await writeFile(htpasswd, ['alice', 'bob'].map((name) => `${name}:${bcrypt.hashSync(`${name}-pw`, 4)}`).join('\n'))
const r = await authRegistry({ auth: { htpasswd: { path: htpasswd }, apikey: true } })

/** A browser: keeps cookies, posts forms, sends Origin like a real one. */
function browser() {
  const jar = new CookieJar()
  async function go(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    headers.set('Cookie', jar.header(ORIGIN))
    const response = await r.app.request(`${ORIGIN}${path}`, { ...init, headers })
    jar.store(ORIGIN, response)
    return response
  }
  const post = (path: string, fields: Record<string, string>, origin = ORIGIN) =>
    go(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin },
      body: new URLSearchParams(fields).toString(),
    })
  return { jar, go, post }
}

const csrfOf = (html: string): string => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? ''
const keyOf = (html: string): string => /<code id="new-key">([^<]+)<\/code>/.exec(html)?.[1] ?? ''

async function signedIn(name: string) {
  const b = browser()
  const login = await b.post('/user/apikey/login', { username: name, password: `${name}-pw` })
  expect(login.status).toBe(303)
  const page = await (await b.go('/user/apikey')).text()
  return { ...b, csrf: csrfOf(page) }
}

describe('/user/apikey', () => {
  test('signed out: a password form, no caching, no framing, a strict CSP', async () => {
    const response = await browser().go('/user/apikey')
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html).toContain('name="password"')
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    expect(response.headers.get('X-Frame-Options')).toBe('DENY')
    expect(response.headers.get('Content-Security-Policy')).toContain("default-src 'none'")
  })

  test('a wrong password is refused; the right one starts a session', async () => {
    const b = browser()
    const wrong = await b.post('/user/apikey/login', { username: 'alice', password: 'nope' })
    expect(wrong.status).toBe(401)
    expect(await wrong.text()).toContain('Wrong user name or password')
    const right = await b.post('/user/apikey/login', { username: 'alice', password: 'alice-pw' })
    expect(right.status).toBe(303)
    expect(right.headers.getSetCookie().find((line) => line.startsWith('session='))).toContain('HttpOnly')
    expect(await (await b.go('/user/apikey')).text()).toContain('<strong id="username">alice</strong>')
  })

  test('create shows the key once; it works for docker login; revoke removes it', async () => {
    const b = await signedIn('alice')
    const created = await b.post('/user/apikey/create', {
      csrf: b.csrf,
      label: 'laptop',
      scopes: 'team/**:read\n',
      expires: '2099-12-31',
    })
    expect(created.status).toBe(200)
    const html = await created.text()
    const apiKey = keyOf(html)
    expect(apiKey).toMatch(/^zak_[0-9a-f]{32}$/)
    expect(created.headers.get('Cache-Control')).toBe('no-store')
    expect((await r.as({ Authorization: basicAuthorization('alice', apiKey) }).request('/v2/')).status).toBe(200)
    const listing = await (await b.go('/user/apikey')).text()
    expect(listing).toContain('laptop')
    expect(listing).toContain('team/**:read')
    expect(listing).toContain('2099-12-31')
    expect(listing).not.toContain(apiKey)
    const id = /name="id" value="([^"]+)"/.exec(listing)?.[1] ?? ''
    expect((await b.post('/user/apikey/revoke', { csrf: b.csrf, id })).status).toBe(303)
    expect((await r.as({ Authorization: basicAuthorization('alice', apiKey) }).request('/v2/')).status).toBe(401)
  })

  test('forms without a CSRF token, or with another user’s, are refused', async () => {
    const alice = await signedIn('alice')
    const bob = await signedIn('bob')
    expect((await alice.post('/user/apikey/create', { label: 'x' })).status).toBe(401)
    expect((await alice.post('/user/apikey/create', { csrf: bob.csrf, label: 'x' })).status).toBe(401)
    expect(
      (await alice.post('/user/apikey/create', { csrf: alice.csrf, label: 'x' }, 'https://evil.example')).status,
    ).toBe(403)
  })

  test('cross-site login attempts are refused (login CSRF)', async () => {
    const response = await browser().post(
      '/user/apikey/login',
      { username: 'bob', password: 'bob-pw' },
      'https://evil.example',
    )
    expect(response.status).toBe(403)
  })

  test('labels are escaped; bad scopes and dates are explained', async () => {
    const b = await signedIn('alice')
    const xss = await b.post('/user/apikey/create', {
      csrf: b.csrf,
      label: '<script>alert(1)</script>',
      scopes: '',
      expires: '',
    })
    const html = await xss.text()
    expect(html).not.toContain('<script>alert(1)</script>')
    expect(html).toContain('&lt;script&gt;')
    const badScope = await b.post('/user/apikey/create', {
      csrf: b.csrf,
      label: 'x',
      scopes: 'a/**:fly',
      expires: '',
    })
    expect(badScope.status).toBe(400)
    expect(await badScope.text()).toContain('actions must be among')
    expect((await b.post('/user/apikey/create', { csrf: b.csrf, label: 'x', expires: '2001-01-01' })).status).toBe(400)
  })

  test('sign out ends the session', async () => {
    const b = await signedIn('alice')
    expect((await b.post('/user/apikey/logout', { csrf: b.csrf })).status).toBe(303)
    expect(await (await b.go('/user/apikey')).text()).toContain('name="password"')
  })
})
