import { describe, expect, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createAccessControl } from '../../lib/auth/policy/access-control'
import { authenticate } from '../../lib/auth/authenticate'
import { authorize, authorizeMetrics } from '../../lib/auth/policy/authorize'
import { basicAuthorization } from '../../lib/auth/basic-credentials'
import { createHtpasswd } from '../../lib/auth/htpasswd/htpasswd'
import type { AccessControlConfig } from '../../lib/config'
import { accessOf, errorCode, fixtureConfig, tempDirectory, testApp } from './support'

const directory = await tempDirectory('authz')
const htpasswdPath = join(directory, 'htpasswd')
await writeFile(
  htpasswdPath,
  ['runner', 'erich', 'someone'].map((name) => `${name}:${bcrypt.hashSync(`${name}-pw`, 4)}`).join('\n'),
)
const htpasswd = createHtpasswd({ path: htpasswdPath })
const as = (name: string, password = `${name}-pw`) => ({
  Authorization: basicAuthorization(name, password),
})
const DIGEST = `sha256:${'b'.repeat(64)}`

const existingTags = new Set(['app:v1'])
const tagExists = async (repository: string, tag: string) => existingTags.has(`${repository}:${tag}`)

/** The blumeops policy, with its OpenID groups given to htpasswd users as static groups. */
async function blumeopsApp(extra: { failDelay?: number; realm?: string } = {}) {
  const config = await fixtureConfig('blumeops-oidc-apikeys.json')
  const fixture = config.http.accessControl
  if (!fixture) throw new Error('the blumeops fixture has no accessControl')
  const accessControl: AccessControlConfig = {
    ...fixture,
    groups: { 'artifact-workloads': { users: ['runner'] }, admins: { users: ['erich'] } },
  }
  const access = createAccessControl(accessControl)
  const common = { access, ...extra }
  return testApp([authenticate({ ...common, htpasswd }), authorize({ ...common, tagExists })])
}

describe('blumeops policy over HTTP', async () => {
  const app = await blumeopsApp()
  const call = (path: string, init: RequestInit = {}) => app.request(`http://registry.test${path}`, init)

  test('anonymous ping: 401 with a Basic challenge, so docker sends stored credentials', async () => {
    const response = await call('/v2/')
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toBe('Basic realm="Authorization Required"')
    expect(await errorCode(response)).toBe('UNAUTHORIZED')
  })

  test('authenticated ping: 200', async () => {
    expect((await call('/v2/', { headers: as('someone') })).status).toBe(200)
  })

  test('anonymous pulls of anonymous-readable repositories still work', async () => {
    expect((await call('/v2/app/manifests/v1')).status).toBe(200)
    expect((await call(`/v2/app/blobs/${DIGEST}`, { method: 'HEAD' })).status).toBe(200)
    expect((await call('/v2/app/tags/list')).status).toBe(200)
    expect((await call('/v2/_catalog')).status).toBe(200)
  })

  test('anonymous pushes get 401 with the challenge', async () => {
    const response = await call('/v2/app/blobs/uploads/', { method: 'POST' })
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toBe('Basic realm="Authorization Required"')
  })

  test('the CI group pushes blobs and new tags, but can never move or delete a tag', async () => {
    expect((await call('/v2/app/blobs/uploads/', { method: 'POST', headers: as('runner') })).status).toBe(200)
    expect((await call('/v2/app/blobs/uploads/abc', { method: 'PATCH', headers: as('runner') })).status).toBe(200)
    expect((await call('/v2/app/manifests/v2', { method: 'PUT', headers: as('runner') })).status).toBe(200)
    expect((await call(`/v2/app/manifests/${DIGEST}`, { method: 'PUT', headers: as('runner') })).status).toBe(200)
    const moved = await call('/v2/app/manifests/v1', { method: 'PUT', headers: as('runner') })
    expect(moved.status).toBe(403)
    expect(await errorCode(moved)).toBe('DENIED')
    const viaTagParam = await call(`/v2/app/manifests/${DIGEST}?tag=v9&tag=v1`, {
      method: 'PUT',
      headers: as('runner'),
    })
    expect(viaTagParam.status).toBe(403)
    expect((await call('/v2/app/manifests/v1', { method: 'DELETE', headers: as('runner') })).status).toBe(403)
  })

  test('admins may move and delete tags', async () => {
    expect((await call('/v2/app/manifests/v1', { method: 'PUT', headers: as('erich') })).status).toBe(200)
    expect((await call('/v2/app/manifests/v1', { method: 'DELETE', headers: as('erich') })).status).toBe(200)
  })

  test('an authenticated user without grants gets 403, not 401', async () => {
    const response = await call('/v2/app/manifests/v1', { headers: as('someone') })
    expect(response.status).toBe(403)
    expect(response.headers.get('WWW-Authenticate')).toBeNull()
  })

  test('wrong credentials are 401 even where anonymous access would pass', async () => {
    const response = await call('/v2/app/manifests/v1', { headers: as('runner', 'wrong') })
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toBe('Basic realm="Authorization Required"')
  })

  test('unknown user and wrong password get the same answer', async () => {
    const unknown = await call('/v2/app/manifests/v1', { headers: as('nobody', 'x') })
    const wrong = await call('/v2/app/manifests/v1', { headers: as('runner', 'x') })
    expect([unknown.status, await unknown.text()]).toEqual([wrong.status, await wrong.text()])
  })

  test('malformed, foreign-scheme and repeated Authorization headers are 401', async () => {
    for (const value of ['Bearer abc', 'Basic %%%', `${as('runner').Authorization}, ${as('erich').Authorization}`]) {
      expect((await call('/v2/app/manifests/v1', { headers: { Authorization: value } })).status).toBe(401)
    }
  })

  test('the empty Basic Og== counts as anonymous', async () => {
    expect((await call('/v2/app/manifests/v1', { headers: { Authorization: 'Basic Og==' } })).status).toBe(200)
  })

  test('credentials are never echoed', async () => {
    const secret = 'sup3r-s3cret-value'
    const response = await call('/v2/app/manifests/v1', { headers: as('runner', secret) })
    const text = JSON.stringify([...response.headers]) + (await response.text())
    expect(text).not.toContain(secret)
    expect(text).not.toContain(as('runner', secret).Authorization.slice(6))
  })

  test('paths outside /v2 are not authorized here', async () => {
    expect((await call('/zot/auth/apikey')).status).toBe(200)
  })

  test('the principal carries static groups', async () => {
    const body = (await (await call('/other', { headers: as('runner') })).json()) as {
      principal: unknown
    }
    expect(body.principal).toEqual({
      username: 'runner',
      groups: ['artifact-workloads'],
      method: 'htpasswd',
    })
  })
})

describe('failDelay and realm', async () => {
  const app = await blumeopsApp({ failDelay: 0.3, realm: 'my "zot"' })
  const call = async (path: string, init: RequestInit = {}) => app.request(`http://registry.test${path}`, init)
  const timed = async (run: () => Promise<Response>): Promise<[number, number]> => {
    const start = performance.now()
    const response = await run()
    return [response.status, performance.now() - start]
  }

  test('failed logins and denials wait failDelay; successes and anonymous challenges do not', async () => {
    const [failed, failedMs] = await timed(() => call('/v2/app/manifests/v1', { headers: as('runner', 'nope') }))
    expect([failed, failedMs >= 290]).toEqual([401, true])
    const [deniedStatus, deniedMs] = await timed(() =>
      call('/v2/app/manifests/v1', { method: 'DELETE', headers: as('runner') }),
    )
    expect([deniedStatus, deniedMs >= 290]).toEqual([403, true])
    const [ok, okMs] = await timed(() => call('/v2/app/manifests/v1', { headers: as('runner') }))
    expect([ok, okMs < 200]).toEqual([200, true])
    const [ping, pingMs] = await timed(() => call('/v2/'))
    expect([ping, pingMs < 200]).toEqual([401, true])
    const [challenge, challengeMs] = await timed(() => call('/v2/app/manifests/v1', { method: 'PUT' }))
    expect([challenge, challengeMs < 200]).toEqual([401, true])
  })

  test('CORS preflights pass without credentials', async () => {
    expect((await call('/v2/', { method: 'OPTIONS' })).status).toBe(200)
    expect((await call('/v2/app/manifests/v1', { method: 'OPTIONS' })).status).toBe(200)
  })

  test('a brute force pays failDelay on every guess', async () => {
    const start = performance.now()
    for (const guess of ['a', 'b', 'c']) {
      await call('/v2/app/manifests/v1', { headers: as('runner', guess) })
    }
    expect(performance.now() - start).toBeGreaterThanOrEqual(870)
  })

  test('the realm is quoted and escaped', async () => {
    expect((await call('/v2/')).headers.get('WWW-Authenticate')).toBe('Basic realm="my \\"zot\\""')
  })
})

describe('configs without anonymous access or without accessControl', () => {
  test('no anonymousPolicy anywhere: anonymous catalog and pulls are 401', async () => {
    const access = accessOf({ repositories: { '**': { defaultPolicy: ['read'] } } })
    const app = testApp([authenticate({ access, htpasswd }), authorize({ access, tagExists })])
    expect((await app.request('/v2/_catalog')).status).toBe(401)
    expect((await app.request('/v2/app/tags/list')).status).toBe(401)
    expect((await app.request('/v2/app/tags/list', { headers: as('someone') })).status).toBe(200)
  })

  test('authentication without accessControl: authenticated users may do everything', async () => {
    const access = createAccessControl(undefined)
    const app = testApp([authenticate({ access, htpasswd }), authorize({ access, tagExists })])
    expect((await app.request('/v2/app/manifests/v1', { method: 'DELETE', headers: as('someone') })).status).toBe(200)
    expect((await app.request('/v2/app/manifests/v1')).status).toBe(401)
    expect((await app.request('/v2/_catalog')).status).toBe(401)
  })

  test('no authentication at all: everything passes, the ping answers 200', async () => {
    const access = createAccessControl(undefined)
    const app = testApp([authorize({ access, tagExists })])
    expect((await app.request('/v2/')).status).toBe(200)
    expect((await app.request('/v2/app/manifests/v1', { method: 'DELETE' })).status).toBe(200)
  })

  test('no authentication, anonymous-only accessControl: judged as anonymous', async () => {
    const access = accessOf({
      repositories: { 'public/**': { anonymousPolicy: ['read'] } },
    })
    const app = testApp([authorize({ access, tagExists })])
    expect((await app.request('/v2/')).status).toBe(200)
    expect((await app.request('/v2/public/a/manifests/v1')).status).toBe(200)
    expect((await app.request('/v2/public/a/manifests/v1', { method: 'PUT' })).status).toBe(401)
  })
})

describe('metrics policy', () => {
  const access = accessOf({ repositories: {}, metrics: { users: ['someone'] } })
  const app = testApp([authenticate({ access, htpasswd })], (routes) =>
    routes.use('/metrics', authorizeMetrics({ access })),
  )

  test('listed users scrape; others are denied; anonymous is challenged', async () => {
    expect((await app.request('/metrics', { headers: as('someone') })).status).toBe(200)
    expect((await app.request('/metrics', { headers: as('runner') })).status).toBe(403)
    const anonymous = await app.request('/metrics')
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('WWW-Authenticate')).toContain('Basic realm=')
  })
})
