import { describe, expect, test } from 'bun:test'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createAccessControl } from '../../../lib/auth/policy/access-control'
import { apiKeyRoutes } from '../../../lib/auth/keys/api-key-routes'
import { createApiKeyStore } from '../../../lib/auth/keys/api-key-store'
import { authenticate } from '../../../lib/auth/authenticate'
import { UI_CLIENT_HEADER, UI_CLIENT_VALUE } from '../../../lib/auth/sessions/ui-client'
import { authorize } from '../../../lib/auth/policy/authorize'
import { basicAuthorization } from '../../../lib/auth/basic-credentials'
import { safeCallbackUi } from '../../../lib/auth/openid/callback-ui'
import { createOpenIdProvider } from '../../../lib/auth/openid/openid-provider'
import { openIdRoutes } from '../../../lib/auth/openid/openid-routes'
import type { OpenIdProviderConfig } from '../../../lib/config'
import { createSealer, readSessionKeysFile } from '../../../lib/auth/sessions/seal'
import { createSessions } from '../../../lib/auth/sessions/sessions'
import { createUserGroups } from '../../../lib/auth/users/user-groups'
import { createUserValidity } from '../../../lib/auth/users/user-validity'
import { CookieJar } from '../cookie-jar'
import { browse, startIdentityProvider } from './identity-provider'
import { createStateStore } from '../../../lib/registry/storage/state-store'
import { memoryDriver } from '../memory-driver'
import { fixtureConfig, tempDirectory, testApp } from '../support'

const REGISTRY = 'http://registry.test'
const CALLBACK = `${REGISTRY}/zot/auth/callback/oidc`
const directory = await tempDirectory('openid')
const idp = await startIdentityProvider([
  {
    client_id: 'zot',
    client_secret: 'zot-secret',
    redirect_uris: [CALLBACK],
    post_logout_redirect_uris: [`${REGISTRY}/login`],
  },
])
idp.accounts.set('erich', { groups: ['admins', 'users'] })
idp.accounts.set('runner', { groups: ['artifact-workloads'] })
idp.accounts.set('nobody', { groups: [] })

/** The blumeops config (authentik → our IdP), wired like the lead will wire it. */
async function registry(
  options: {
    secure?: boolean
    provider?: Partial<OpenIdProviderConfig>
    sealer?: ReturnType<typeof createSealer>
  } = {},
) {
  const config = await fixtureConfig('blumeops-oidc-apikeys.json')
  const credentialsFile = join(directory, 'oidc-credentials.json')
  await writeFile(credentialsFile, JSON.stringify({ clientid: 'zot', clientsecret: 'zot-secret' }))
  const configured = config.http.auth?.openid?.providers.oidc
  if (!configured) throw new Error('the blumeops fixture has no oidc provider')
  const provider = createOpenIdProvider('oidc', {
    ...configured,
    issuer: idp.issuer,
    credentialsFile,
    ...options.provider,
  })
  const state = createStateStore(memoryDriver())
  const userGroups = createUserGroups(state)
  const sealer = options.sealer ?? createSealer()
  const secure = options.secure ?? false
  const validity = createUserValidity({ state, userGroups, openIdProviders: ['oidc'] })
  const sessions = createSessions({ sealer, userGroups, validity, secure })
  const apiKeys = createApiKeyStore({ state, userGroups, ownerExists: validity.exists })
  const access = createAccessControl(config.http.accessControl)
  const app = testApp(
    [
      authenticate({ access, apiKeys, session: sessions.principal }),
      authorize({ access, tagExists: async () => true }),
    ],
    (routes) => {
      routes.route(
        '/',
        openIdRoutes({
          providers: { oidc: provider },
          sessions,
          sealer,
          userGroups,
          secure,
          callbackAllowOrigins: ['https://ui.example'],
        }),
      )
      routes.route('/', apiKeyRoutes({ store: apiKeys }))
    },
  )
  const call = async (url: string, init: RequestInit = {}) =>
    app.request(url.startsWith('http') ? url : `${REGISTRY}${url}`, init)
  return { call, sealer }
}

async function login(
  call: (url: string, init?: RequestInit) => Promise<Response>,
  username: string,
  callbackUi = '/user/apikey',
) {
  const jar = new CookieJar()
  const query = callbackUi === '' ? '' : `&callback_ui=${encodeURIComponent(callbackUi)}`
  const step = await browse(`${REGISTRY}/zot/auth/login?provider=oidc${query}`, {
    jar,
    registry: call,
    registryOrigin: REGISTRY,
    login: username,
  })
  return { jar, ...step }
}

const ui = (jar: CookieJar) => ({
  Cookie: jar.header(REGISTRY),
  [UI_CLIENT_HEADER]: UI_CLIENT_VALUE,
})

describe('OpenID login against a real provider', async () => {
  const { call } = await registry()

  test('the login redirects to the IdP with code flow, PKCE S256, state, nonce and the scopes', async () => {
    const response = await call('/zot/auth/login?provider=oidc&callback_ui=/home')
    expect(response.status).toBe(302)
    const location = new URL(response.headers.get('Location')!)
    expect(location.origin).toBe(idp.issuer)
    const params = location.searchParams
    expect(params.get('response_type')).toBe('code')
    expect(params.get('client_id')).toBe('zot')
    expect(params.get('redirect_uri')).toBe(CALLBACK)
    expect(params.get('code_challenge_method')).toBe('S256')
    expect(params.get('state')?.length).toBeGreaterThan(20)
    expect(params.get('nonce')?.length).toBeGreaterThan(20)
    expect(params.get('scope')).toBe('openid profile email groups')
    const cookie = response.headers.getSetCookie().find((line) => line.startsWith('statecookie='))!
    expect(cookie).toContain('Path=/zot/auth/callback')
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Lax')
    // The cookie is sealed: neither state nor verifier can be read from it.
    expect(cookie).not.toContain(params.get('state')!)
  })

  test('a full login ends in a session cookie and a redirect to callback_ui', async () => {
    const { jar, response } = await login(call, 'erich', '/user/apikey')
    expect(response.status).toBe(302)
    expect(response.headers.get('Location')).toBe('/user/apikey')
    const session = response.headers.getSetCookie().find((line) => line.startsWith('session='))!
    expect(session).toContain('HttpOnly')
    expect(session).toContain('SameSite=Lax')
    expect(session).toContain('Path=/')
    expect(session).toContain('Max-Age=7200')
    expect(session).not.toContain('Secure')
    expect(jar.get(REGISTRY, 'user')).toBe('erich')
  })

  test('without callback_ui the callback answers 201', async () => {
    const { response } = await login(call, 'nobody', '')
    expect(response.status).toBe(201)
  })

  test('the session counts only with the zot-ui header; groups come from the groups claim', async () => {
    const { jar } = await login(call, 'erich')
    const withHeader = (await (await call('/whoami', { headers: ui(jar) })).json()) as {
      principal: unknown
    }
    expect(withHeader.principal).toEqual({
      username: 'erich',
      groups: ['admins', 'users'],
      method: 'session',
    })
    const withoutHeader = (await (await call('/whoami', { headers: { Cookie: jar.header(REGISTRY) } })).json()) as {
      principal: { username: string }
    }
    expect(withoutHeader.principal.username).toBe('')
    expect((await call('/v2/app/manifests/v1', { method: 'DELETE', headers: ui(jar) })).status).toBe(200)
  })

  test('an API key made after login acts with the login groups (the CI flow)', async () => {
    const { jar } = await login(call, 'runner')
    const created = await call('/zot/auth/apikey', {
      method: 'POST',
      headers: ui(jar),
      body: JSON.stringify({ label: 'ci' }),
    })
    expect(created.status).toBe(201)
    const { apiKey } = (await created.json()) as { apiKey: string }
    const headers = { Authorization: basicAuthorization('runner', apiKey) }
    expect((await call('/v2/app/manifests/v9', { method: 'PUT', headers })).status).toBe(403)
    expect((await call('/v2/app/blobs/uploads/', { method: 'POST', headers })).status).toBe(200)
    expect((await call('/v2/app/manifests/v1', { method: 'DELETE', headers })).status).toBe(403)
    expect(
      (
        await call('/v2/app/manifests/v1', {
          headers: { Authorization: basicAuthorization('erich', apiKey) },
        })
      ).status,
    ).toBe(401)
  })

  test('logout clears the session and returns the end-session URL', async () => {
    const { jar } = await login(call, 'erich')
    const response = await call('/zot/auth/logout', {
      method: 'POST',
      headers: { Cookie: jar.header(REGISTRY) },
    })
    expect(response.status).toBe(200)
    const { endSessionUrl } = (await response.json()) as { endSessionUrl: string }
    const url = new URL(endSessionUrl)
    expect(url.origin).toBe(idp.issuer)
    expect(url.searchParams.get('client_id')).toBe('zot')
    expect(url.searchParams.get('post_logout_redirect_uri')).toBe(`${REGISTRY}/login`)
    expect((await fetch(endSessionUrl, { redirect: 'manual' })).status).toBe(200)
    jar.store(REGISTRY, response)
    expect(jar.get(REGISTRY, 'session')).toBeUndefined()
    expect(response.headers.getSetCookie().some((line) => line.startsWith('session=;'))).toBe(true)
  })

  test('logout refuses cross-site requests', async () => {
    const response = await call('/zot/auth/logout', {
      method: 'POST',
      headers: { Origin: 'https://evil.example' },
    })
    expect(response.status).toBe(403)
  })

  test('an unknown provider is a 400', async () => {
    expect((await call('/zot/auth/login?provider=github')).status).toBe(400)
    expect((await call('/zot/auth/login')).status).toBe(400)
    expect((await call('/zot/auth/callback/github?code=x&state=y')).status).toBe(400)
  })
})

describe('state and redirect attacks', async () => {
  const { call, sealer } = await registry()

  /** An attacker's finished IdP round trip: the callback URL carrying their code, unvisited. */
  async function attackerCallback(): Promise<string> {
    const jar = new CookieJar()
    let captured = ''
    await browse(`${REGISTRY}/zot/auth/login?provider=oidc`, {
      jar,
      registryOrigin: REGISTRY,
      login: 'nobody',
      registry: async (url, init) => {
        if (url.startsWith(CALLBACK)) {
          captured = url
          return new Response(null, { status: 204 })
        }
        return call(url, init)
      },
    })
    return captured
  }

  test('a callback without the state cookie is refused (login CSRF)', async () => {
    const response = await call(await attackerCallback())
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toBeNull()
    expect(
      response.headers.getSetCookie().some((line) => line.startsWith('session=') && !line.startsWith('session=;')),
    ).toBe(false)
  })

  test("a victim's own pending login does not accept the attacker's callback (state mismatch)", async () => {
    const victim = await call('/zot/auth/login?provider=oidc')
    const jar = new CookieJar()
    jar.store(REGISTRY, victim)
    const response = await call(await attackerCallback(), {
      headers: { Cookie: `statecookie=${jar.get(REGISTRY, 'statecookie')}` },
    })
    expect(response.status).toBe(401)
  })

  test('a tampered or foreign-purpose state cookie is refused', async () => {
    const callback = await attackerCallback()
    const forged = sealer.seal('session', { state: new URL(callback).searchParams.get('state'), provider: 'oidc' }, 600)
    expect((await call(callback, { headers: { Cookie: `statecookie=${forged}` } })).status).toBe(401)
    expect((await call(callback, { headers: { Cookie: 'statecookie=AAAA' } })).status).toBe(401)
  })

  test('an IdP error answer is a 401', async () => {
    const started = await call('/zot/auth/login?provider=oidc')
    const jar = new CookieJar()
    jar.store(REGISTRY, started)
    const state = new URL(started.headers.get('Location')!).searchParams.get('state')
    const response = await call(`${CALLBACK}?error=access_denied&state=${state}`, {
      headers: { Cookie: jar.header(REGISTRY) },
    })
    expect(response.status).toBe(401)
  })

  test.each([
    ['https://evil.example/x', '/'],
    ['//evil.example/x', '/'],
    ['/\\evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['/ok\u0000', '/'],
    ['https://ui.example/after', 'https://ui.example/after'],
    [`${REGISTRY}/home`, `${REGISTRY}/home`],
    ['/user/apikey?x=1', '/user/apikey?x=1'],
  ])('callback_ui %p lands on %p', async (requested, expected) => {
    const { response } = await login(call, 'nobody', requested)
    expect(response.headers.get('Location')).toBe(expected)
  })

  test('the pure redirect policy', () => {
    const policy = { allowedOrigins: ['https://ui.example'] }
    expect(safeCallbackUi(undefined, policy)).toBe('/')
    expect(safeCallbackUi('https://ui.example.evil.com/', policy)).toBe('/')
    expect(safeCallbackUi('https://ui.example@evil.com/', policy)).toBe('/')
  })
})

describe('cookies and keys across restarts', () => {
  test('Secure is set under TLS or secureSession', async () => {
    const { call } = await registry({ secure: true })
    const started = await call('/zot/auth/login?provider=oidc')
    expect(started.headers.getSetCookie().find((line) => line.startsWith('statecookie='))).toContain('Secure')
    const { response } = await login(call, 'erich')
    expect(response.headers.getSetCookie().find((line) => line.startsWith('session='))).toContain('Secure')
  })

  test('with sessionKeysFile a session survives a restart; with random keys it does not', async () => {
    const keysFile = join(directory, 'session-keys.json')
    await writeFile(keysFile, JSON.stringify({ hashKey: 'h'.repeat(32), encryptKey: 'e'.repeat(32) }))
    const before = await registry({ sealer: createSealer(readSessionKeysFile(keysFile)) })
    const { jar } = await login(before.call, 'erich')
    const after = await registry({ sealer: createSealer(readSessionKeysFile(keysFile)) })
    const whoami = async (call: typeof after.call) =>
      (
        (await (await call('/whoami', { headers: ui(jar) })).json()) as {
          principal: { username: string }
        }
      ).principal.username
    expect(await whoami(after.call)).toBe('erich')
    expect(await whoami((await registry()).call)).toBe('')
  })

  test('an expired session is anonymous', async () => {
    const sealer = createSealer()
    const expired = sealer.seal('session', { username: 'erich', provider: 'oidc' }, -1)
    expect(sealer.unseal('session', expired)).toBeUndefined()
    expect(sealer.unseal('session', sealer.seal('session', { username: 'erich' }, 60))).toMatchObject({
      username: 'erich',
    })
  })

  test('an unreachable IdP answers 503 and is retried at the next login', async () => {
    const { call } = await registry({ provider: { issuer: 'http://127.0.0.1:9' } })
    expect((await call('/zot/auth/login?provider=oidc')).status).toBe(503)
    expect((await call('/zot/auth/login?provider=oidc')).status).toBe(503)
  })
})
