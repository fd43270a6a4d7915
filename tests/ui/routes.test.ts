/**
 * @module
 * The UI's answers in-process, for cases a browser run does not reach: `/` stays zot's JSON 404
 * without `extensions.ui`; with the UI but without search the pages say what to turn on; a
 * registry without logins serves the UI's assets itself and offers no sign-in; annotations are
 * escaped; zui's encoded repository URLs and its `/home` work.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { silentLogger } from '../../lib/log/logger'
import { assemble } from '../../lib/server/assemble'
import { parseImagePath } from '../../lib/ui/ui-routes'
import { testConfig } from '../support/config'
import { tempDirectory } from '../support/temp'
import { pushImage } from './fixtures'

async function registryWith(extensions: Record<string, unknown>, http: Record<string, unknown> = {}) {
  const directory = await tempDirectory('ui-routes')
  const htpasswd = join(directory, 'htpasswd')
  await writeFile(htpasswd, `alice:${bcrypt.hashSync('alice-pw', 4)}\n`)
  const { app, runtime } = await assemble(
    testConfig({
      storage: { rootDirectory: join(directory, 'data') },
      http: JSON.parse(JSON.stringify(http).replaceAll('HTPASSWD', htpasswd)),
      extensions,
    }),
    silentLogger(),
  )
  afterAll(() => runtime.close())
  return (path: string, init?: RequestInit) => app.request(`http://registry.test${path}`, init)
}

describe('without extensions.ui', async () => {
  const request = await registryWith({ search: { enable: true } })
  test('/ is a JSON 404, as in zot without the UI', async () => {
    const response = await request('/')
    expect(response.status).toBe(404)
    expect(response.headers.get('Content-Type')).toContain('application/json')
  })
})

describe('with the UI but without search', async () => {
  const request = await registryWith({ ui: { enable: true } })
  test('pages say that search must be turned on', async () => {
    const response = await request('/')
    expect(response.status).toBe(404)
    expect(await response.text()).toContain('extensions.search')
  })
})

describe('with UI and search, no logins', async () => {
  const request = await registryWith({ search: { enable: true }, ui: { enable: true } })
  // Without http.auth nobody needs credentials; requests go to the app in-process.
  const pusher = { origin: '', username: 'nobody', password: 'x', send: request }
  await pushImage(pusher, 'lib/tool', 'v1', {
    annotations: { 'org.opencontainers.image.description': '<script>alert(1)</script>' },
  })

  test('everybody browses; no sign-in is offered; assets are served with long caching', async () => {
    const html = await (await request('/')).text()
    expect(html).toContain('lib/tool')
    expect(html).not.toContain('Sign in')
    const css = html.match(/href="(\/ui\/style\.[0-9a-f]+\.css)"/)?.[1] ?? ''
    const asset = await request(css)
    expect(asset.status).toBe(200)
    expect(asset.headers.get('Content-Type')).toContain('text/css')
    expect(asset.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable')
  })

  test('annotations are escaped, never markup', async () => {
    const html = await (await request('/image/lib/tool')).text()
    expect(html).not.toContain('<script>alert(1)</script>')
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
  })

  test("zui's URLs: /home, and repository names encoded as one segment", async () => {
    const home = await request('/home')
    expect(home.status).toBe(301)
    expect(home.headers.get('Location')).toBe('/')
    const encoded = await request('/image/lib%2Ftool/tag/v1')
    expect(encoded.status).toBe(200)
    expect(await encoded.text()).toContain('lib/tool:v1')
  })

  test('a missing repository, tag or manifest is a 404 page', async () => {
    for (const path of [
      '/image/none/here',
      '/image/lib/tool/tag/v9',
      `/image/lib/tool/manifest/sha256:${'0'.repeat(64)}`,
    ]) {
      const response = await request(path)
      expect(response.status).toBe(404)
      expect(response.headers.get('Content-Security-Policy')).toContain("default-src 'none'")
    }
  })
})

describe('with logins and no anonymous access', async () => {
  const request = await registryWith(
    { search: { enable: true }, ui: { enable: true } },
    { auth: { htpasswd: { path: 'HTPASSWD' } } },
  )
  test('an anonymous visitor who can read nothing is sent to sign in, and back', async () => {
    const home = await request('/')
    expect(home.status).toBe(303)
    expect(home.headers.get('Location')).toBe('/login?next=%2F')
    const signIn = await (await request('/login?next=%2F')).text()
    expect(signIn).toContain('name="password"')
    expect(signIn).toContain('name="next" value="/"')
  })
  test('sign-in refuses to send the browser to another site afterwards', async () => {
    const signIn = await (await request('/login?next=https%3A%2F%2Fevil.example%2F')).text()
    expect(signIn).toContain('name="next" value="/"')
    const posted = await request('/user/apikey/login', {
      method: 'POST',
      body: new URLSearchParams({ username: 'alice', password: 'alice-pw', next: '//evil.example/' }),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    })
    expect(posted.status).toBe(303)
    expect(posted.headers.get('Location')).toBe('/')
  })
})

test('image paths: repository, tag, manifest; names keep their slashes', () => {
  expect(parseImagePath('/image/a/b/c')).toEqual({ kind: 'repository', repository: 'a/b/c' })
  expect(parseImagePath('/image/a/b/tag/v1')).toEqual({ kind: 'tag', repository: 'a/b', tag: 'v1' })
  expect(parseImagePath('/image/a%2Fb/tag/v1')).toEqual({ kind: 'tag', repository: 'a/b', tag: 'v1' })
  expect(parseImagePath(`/image/a/manifest/sha256:${'1'.repeat(64)}`)).toEqual({
    kind: 'manifest',
    repository: 'a',
    digest: `sha256:${'1'.repeat(64)}`,
  })
  expect(parseImagePath('/image/a/manifest/not-a-digest')).toEqual({
    kind: 'repository',
    repository: 'a/manifest/not-a-digest',
  })
  expect(parseImagePath('/image/%E0%A4%A')).toBeUndefined()
})
