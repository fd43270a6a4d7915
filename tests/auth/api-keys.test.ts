import { describe, expect, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { apiKeyRoutes, parseNewApiKey } from '../../lib/auth/keys/api-key-routes'
import { ApiKeyInputError, createApiKeyStore, ZERO_TIME, type ApiKeyDetails } from '../../lib/auth/keys/api-key-store'
import { authenticate } from '../../lib/auth/authenticate'
import { authorize } from '../../lib/auth/policy/authorize'
import { basicAuthorization } from '../../lib/auth/basic-credentials'
import { createHtpasswd } from '../../lib/auth/htpasswd/htpasswd'
import { createUserGroups } from '../../lib/auth/users/user-groups'
import { statePaths } from '../../lib/registry/layout'
import { openStore } from '../../lib/registry/open-store'
import { createStateStore } from '../../lib/registry/storage/state-store'
import { testStorageConfig } from '../support/config'
import { memoryDriver } from './memory-driver'
import { accessOf, errorCode, tempDirectory, testApp } from './support'

const KEY = /^zak_[0-9a-f]{32}$/
const DAY = 86_400_000

function clock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let time = start
  return { now: () => new Date(time), advance: (ms: number) => void (time += ms) }
}

function store(
  options: { now?: () => Date; touchIntervalMs?: number; ownerExists?: (username: string) => Promise<boolean> } = {},
) {
  const driver = memoryDriver()
  const state = createStateStore(driver)
  const userGroups = createUserGroups(state)
  const ownerExists = async () => true
  return { driver, state, userGroups, keys: createApiKeyStore({ state, userGroups, ownerExists, ...options }) }
}

describe('API key store', () => {
  test('creation answers zot fields; only a SHA-256 of the secret is stored', async () => {
    const { driver, keys } = store()
    const created = await keys.create('alice', {
      label: 'ci',
      scopes: ['ci/**:read,create'],
      creatorUa: 'curl/8',
    })
    expect(created.apiKey).toMatch(KEY)
    expect(created).toMatchObject({
      label: 'ci',
      scopes: ['ci/**:read,create'],
      isExpired: false,
      creatorUa: 'curl/8',
      generatedBy: 'manual',
    })
    expect(created.expirationDate).toBe(ZERO_TIME)
    expect(created.lastUsed).toBe(ZERO_TIME)
    expect(created.uuid).toMatch(/^[0-9a-f-]{36}$/)
    const stored = [...driver.files.values()].map((data) => new TextDecoder().decode(data)).join('\n')
    const secret = created.apiKey.slice(4)
    expect(stored).not.toContain(secret)
    expect(stored).toContain(new Bun.CryptoHasher('sha256').update(secret).digest('hex'))
    expect([...driver.files.keys()].every((path) => path.startsWith('_zot/'))).toBe(true)
  })

  test('a key works only with its owner name', async () => {
    const { keys, userGroups } = store()
    await userGroups.set('alice', ['devs', 'admins', 'devs'], 'oidc')
    const { apiKey } = await keys.create('alice', {})
    expect(await keys.verify('alice', apiKey)).toEqual({
      username: 'alice',
      groups: ['admins', 'devs'],
      scopes: [],
    })
    expect(await keys.verify('bob', apiKey)).toBeUndefined()
    expect(
      await keys.verify(
        'alice',
        apiKey.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
      ),
    ).toBeUndefined()
    expect(await keys.verify('alice', 'not-a-key')).toBeUndefined()
  })

  test('a key stops working while its owner does not exist, and works again when they do', async () => {
    let exists = true
    const { keys } = store({ ownerExists: async (username) => exists && username === 'alice' })
    const { apiKey } = await keys.create('alice', {})
    expect(await keys.verify('alice', apiKey)).toBeDefined()
    exists = false
    // Checked at every use, past the lookup cache.
    expect(await keys.verify('alice', apiKey)).toBeUndefined()
    exists = true
    expect(await keys.verify('alice', apiKey)).toBeDefined()
  })

  test('expired keys are refused and listed as expired; past dates are refused at creation', async () => {
    const time = clock()
    const { keys } = store({ now: time.now })
    const { apiKey } = await keys.create('alice', {
      expirationDate: new Date(time.now().getTime() + DAY),
    })
    expect(await keys.verify('alice', apiKey)).toBeDefined()
    time.advance(DAY + 1)
    expect(await keys.verify('alice', apiKey)).toBeUndefined()
    expect((await keys.list('alice'))[0]?.isExpired).toBe(true)
    await expect(keys.create('alice', { expirationDate: new Date(time.now().getTime() - 1) })).rejects.toBeInstanceOf(
      ApiKeyInputError,
    )
  })

  test('lastUsed is recorded, at most once per interval', async () => {
    const time = clock()
    const { keys, driver } = store({ now: time.now, touchIntervalMs: 60_000 })
    const { apiKey } = await keys.create('alice', {})
    const writes = driver.writes
    for (let i = 0; i < 20; i++) await keys.verify('alice', apiKey)
    await Bun.sleep(1)
    expect(driver.writes - writes).toBe(1)
    expect((await keys.list('alice'))[0]?.lastUsed).toBe(time.now().toISOString())
    time.advance(61_000)
    await keys.verify('alice', apiKey)
    await Bun.sleep(1)
    expect((await keys.list('alice'))[0]?.lastUsed).toBe(time.now().toISOString())
  })

  test('listing and deletion are per user; a deleted key stops working at once', async () => {
    const { keys } = store()
    const first = await keys.create('alice', { label: 'one' })
    await keys.create('alice', { label: 'two' })
    const bobs = await keys.create('bob', { label: 'bob' })
    expect((await keys.list('alice')).map((key) => key.label)).toEqual(['one', 'two'])
    expect(await keys.verify('alice', first.apiKey)).toBeDefined()
    expect(await keys.remove('alice', bobs.uuid)).toBe(false)
    expect(await keys.verify('bob', bobs.apiKey)).toBeDefined()
    expect(await keys.remove('alice', first.uuid)).toBe(true)
    expect(await keys.verify('alice', first.apiKey)).toBeUndefined()
    expect((await keys.list('alice')).map((key) => key.label)).toEqual(['two'])
    expect(await keys.remove('alice', '../../etc')).toBe(false)
  })

  test('invalid scopes are refused at creation', async () => {
    const { keys } = store()
    await expect(keys.create('alice', { scopes: ['ci/**:push'] })).rejects.toBeInstanceOf(ApiKeyInputError)
  })

  test("a stored key whose scope breaks today's limits works for nothing (no 500, no widening)", async () => {
    const { driver, state, userGroups } = store()
    const errors: string[] = []
    const keys = createApiKeyStore({
      state,
      userGroups,
      ownerExists: async () => true,
      onError: (message) => void errors.push(message),
    })
    const created = await keys.create('alice', { scopes: ['ci/**:read'] })
    const path = statePaths.keyRecord('alice', created.uuid)
    const record = JSON.parse(new TextDecoder().decode(await driver.getContent(path))) as { scopes: string[] }
    await driver.putContent(
      path,
      new TextEncoder().encode(JSON.stringify({ ...record, scopes: ['*a*a*a*a*a*a*a*a*a*b:read'] })),
    )
    const restarted = createApiKeyStore({
      state,
      userGroups,
      ownerExists: async () => true,
      onError: (message) => void errors.push(message),
    })
    expect(await restarted.verify('alice', created.apiKey)).toBeUndefined()
    expect(errors).toEqual(['API key refused: a stored scope breaks the scope limits; re-create the key'])
  })

  test('keys survive a restart on local storage (same directory, new store)', async () => {
    const rootDirectory = await tempDirectory('apikeys')
    const open = async () => {
      const { state } = (await openStore(testStorageConfig({ rootDirectory }))).registry
      return createApiKeyStore({ state, userGroups: createUserGroups(state), ownerExists: async () => true })
    }
    const { apiKey, uuid } = await (await open()).create('alice', { label: 'persisted' })
    const reopened = await open()
    expect(await reopened.verify('alice', apiKey)).toBeDefined()
    expect((await reopened.list('alice')).map((key) => key.uuid)).toEqual([uuid])
  })
})

describe('request body validation', () => {
  test.each([
    ['', {}],
    ['{}', {}],
    [
      '{"label":"x","scopes":["a"],"expirationDate":"2030-01-01T00:00:00Z"}',
      { label: 'x', scopes: ['a'], expirationDate: new Date('2030-01-01T00:00:00Z') },
    ],
    ['{"expirationDate":""}', {}],
  ])('%s is accepted', (text, expected) => {
    expect(parseNewApiKey(text)).toEqual(expected)
  })
  test.each([
    '{',
    '[]',
    '"x"',
    '{"label":1}',
    '{"scopes":"a"}',
    '{"scopes":[1]}',
    '{"expirationDate":"tomorrow"}',
    '{"expirationDate":"2030-01-01"}',
  ])('%s is refused', (text) => {
    expect(typeof parseNewApiKey(text)).toBe('string')
  })
})

describe('API keys over HTTP', async () => {
  const directory = await tempDirectory('apikey-http')
  const htpasswdPath = join(directory, 'htpasswd')
  await writeFile(
    htpasswdPath,
    ['alice', 'bob'].map((name) => `${name}:${bcrypt.hashSync(`${name}-pw`, 4)}`).join('\n'),
  )
  const htpasswd = createHtpasswd({ path: htpasswdPath })
  const { keys } = store()
  const access = accessOf({
    repositories: { '**': { defaultPolicy: ['read', 'create', 'update', 'delete'] } },
  })
  const app = testApp(
    [
      authenticate({ access, htpasswd, apiKeys: keys, failDelay: 0.05 }),
      authorize({ access, tagExists: async () => false }),
    ],
    (routes) => routes.route('/', apiKeyRoutes({ store: keys, trustedOrigins: ['https://ui.example'] })),
  )
  const call = (path: string, init: RequestInit = {}) => app.request(`http://registry.test${path}`, init)
  const basic = (username: string, password = `${username}-pw`) => ({
    Authorization: basicAuthorization(username, password),
  })
  const createKey = async (body: unknown, headers: Record<string, string> = basic('alice')) => {
    const response = await call('/zot/auth/apikey', {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    })
    return { response, body: (await response.json()) as ApiKeyDetails & { apiKey: string } }
  }

  test('create (201), list without secrets, use as the password, delete', async () => {
    const { response, body } = await createKey({ label: 'ci' })
    expect(response.status).toBe(201)
    expect(body.apiKey).toMatch(KEY)
    const listed = (await (await call('/zot/auth/apikey', { headers: basic('alice') })).json()) as {
      apiKeys: Record<string, unknown>[]
    }
    expect(listed.apiKeys.map((key) => key.label)).toContain('ci')
    expect(JSON.stringify(listed)).not.toContain(body.apiKey)
    expect((await call('/v2/any/manifests/v1', { headers: basic('alice', body.apiKey) })).status).toBe(200)
    const deleted = await call(`/zot/auth/apikey?id=${body.uuid}`, {
      method: 'DELETE',
      headers: basic('alice'),
    })
    expect(deleted.status).toBe(200)
    expect((await call('/v2/any/manifests/v1', { headers: basic('alice', body.apiKey) })).status).toBe(401)
  })

  test("one user's key is useless as another user", async () => {
    const { body } = await createKey({})
    const response = await call('/v2/any/manifests/v1', { headers: basic('bob', body.apiKey) })
    expect(response.status).toBe(401)
  })

  test('scopes are enforced: repository globs and actions', async () => {
    const { body } = await createKey({ scopes: ['ci/**:read,create'] })
    const headers = basic('alice', body.apiKey)
    expect((await call('/v2/ci/app/manifests/v1', { headers })).status).toBe(200)
    expect((await call('/v2/ci/app/manifests/v2', { method: 'PUT', headers })).status).toBe(200)
    expect((await call('/v2/ci/app/manifests/v1', { method: 'DELETE', headers })).status).toBe(403)
    expect((await call('/v2/prod/app/manifests/v1', { headers })).status).toBe(403)
  })

  test('expired keys are refused with 401', async () => {
    const time = clock(Date.now())
    const local = store({ now: time.now })
    const app2 = testApp([
      authenticate({ access, apiKeys: local.keys }),
      authorize({ access, tagExists: async () => false }),
    ])
    const { apiKey } = await local.keys.create('alice', {
      expirationDate: new Date(Date.now() + DAY),
    })
    expect((await app2.request('/v2/a/manifests/v1', { headers: basic('alice', apiKey) })).status).toBe(200)
    time.advance(2 * DAY)
    expect((await app2.request('/v2/a/manifests/v1', { headers: basic('alice', apiKey) })).status).toBe(401)
  })

  test('anonymous callers are challenged; key-authenticated callers cannot manage keys', async () => {
    const anonymous = await call('/zot/auth/apikey', { method: 'POST', body: '{}' })
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('WWW-Authenticate')).toContain('Basic')
    const { body } = await createKey({})
    const { response } = await createKey({}, basic('alice', body.apiKey))
    expect(response.status).toBe(403)
    expect((await call('/zot/auth/apikey', { headers: basic('alice', body.apiKey) })).status).toBe(200)
    expect(
      (
        await call(`/zot/auth/apikey?id=${body.uuid}`, {
          method: 'DELETE',
          headers: basic('alice', body.apiKey),
        })
      ).status,
    ).toBe(403)
  })

  test('CSRF: a browser request from another site is refused, curl and trusted origins pass', async () => {
    const evil = await createKey({}, { ...basic('alice'), Origin: 'https://evil.example' })
    expect(evil.response.status).toBe(403)
    const sameSite = await createKey({}, { ...basic('alice'), 'Sec-Fetch-Site': 'same-site' })
    expect(sameSite.response.status).toBe(403)
    expect((await createKey({}, { ...basic('alice'), Origin: 'http://registry.test' })).response.status).toBe(201)
    expect((await createKey({}, { ...basic('alice'), Origin: 'https://ui.example' })).response.status).toBe(201)
    const curlLike = await call('/zot/auth/apikey', {
      method: 'POST',
      headers: { ...basic('alice'), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: '{"label":"from curl -d"}',
    })
    expect(curlLike.status).toBe(201)
  })

  test('bad requests: 400 for bad bodies, dates, scopes and ids; 413 past 8 KiB; 404 for unknown ids', async () => {
    const post = (body: string) => call('/zot/auth/apikey', { method: 'POST', headers: basic('alice'), body })
    expect((await post('{')).status).toBe(400)
    expect((await post('{"expirationDate":"2001-01-01T00:00:00Z"}')).status).toBe(400)
    expect((await post('{"scopes":["x:fly"]}')).status).toBe(400)
    expect((await post(JSON.stringify({ label: 'x'.repeat(9000) }))).status).toBe(413)
    expect((await call('/zot/auth/apikey', { method: 'DELETE', headers: basic('alice') })).status).toBe(400)
    expect((await call('/zot/auth/apikey?id=a&id=b', { method: 'DELETE', headers: basic('alice') })).status).toBe(400)
    const unknown = await call(`/zot/auth/apikey?id=${crypto.randomUUID()}`, {
      method: 'DELETE',
      headers: basic('alice'),
    })
    expect(unknown.status).toBe(404)
    expect(await errorCode(unknown)).toBe('NOT_FOUND')
  })
})
