import { afterAll, describe, expect, test } from 'bun:test'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { githubEndpoints } from '../../../lib/auth/openid/github-api'
import { setupAuth } from '../../../lib/auth/setup'
import { configFromObject } from '../../../lib/config'
import { inspectConfigText } from '../../../lib/config/load'
import { UI_CLIENT_HEADER, UI_CLIENT_VALUE } from '../../../lib/auth/sessions/ui-client'
import { createUserGroups } from '../../../lib/auth/users/user-groups'
import { createLogger } from '../../../lib/log/logger'
import { CookieJar } from '../cookie-jar'
import { startFakeGitHub } from './fake-github'
import { browse, startIdentityProvider } from './identity-provider'
import { createStateStore } from '../../../lib/registry/storage/state-store'
import { memoryDriver } from '../memory-driver'
import { authRegistry } from '../registry'
import { fixtureConfig, tempDirectory, testApp } from '../support'

type Call = (url: string, init?: RequestInit) => Promise<Response>

const REGISTRY = 'http://registry.test'
const CALLBACK = `${REGISTRY}/zot/auth/callback/github`
const directory = await tempDirectory('github')
const github = startFakeGitHub({
  clientId: 'zot-gh',
  clientSecret: 'gh-secret',
  redirectUri: CALLBACK,
})
const email = (address: string, primary = true, verified = true) => ({
  email: address,
  primary,
  verified,
})
github.accounts.set('octocat', {
  login: 'octocat',
  emails: [email('octo@old.example', false), email('octo@example.com'), email('o@x.test', false)],
  // Three orgs and teams: more than the fake's page size, so the lists come in pages.
  orgs: ['acme', 'hooli', 'initech'],
  teams: [
    ['acme', 'platform'],
    ['acme', 'release'],
    ['hooli', 'ops'],
  ],
})
github.accounts.set('unverified', {
  login: 'unverified',
  emails: [email('new@example.com', true, false)],
  orgs: ['acme'],
  teams: [['acme', 'platform']],
})
/** Records whatever reaches it: a Link header must never lead the token here. */
const thief: string[] = []
const thiefServer = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch: (request) => {
    thief.push(`${request.headers.get('Authorization')}`)
    return Response.json([])
  },
})
afterAll(() => thiefServer.stop(true))
github.accounts.set('linked', {
  login: 'linked',
  emails: [email('linked@example.com')],
  orgs: [],
  teams: [['acme', 'platform']],
  teamsNext: `http://127.0.0.1:${thiefServer.port}/api/v3/user/teams?page=2`,
})

const credentials = async (name: string, clientsecret: string): Promise<string> => {
  const file = join(directory, name)
  await writeFile(file, JSON.stringify({ clientid: 'zot-gh', clientsecret }))
  return file
}
const credentialsFile = await credentials('github.json', 'gh-secret')

const accessControl = {
  repositories: {
    'platform/**': { policies: [{ groups: ['acme/platform'], actions: ['read', 'create'] }] },
    'release/**': { policies: [{ groups: ['acme/security'], actions: ['read'] }] },
    'hooli/**': { policies: [{ groups: ['hooli'], actions: ['read'] }] },
  },
}

/** A real registry whose only login is GitHub (the fake; its API found through `authurl`). */
/** The scopes a valid config names for GitHub (verify refuses none). */
const SCOPES = ['read:org', 'user:email']

async function registry(provider: Record<string, unknown> = {}) {
  const built = await authRegistry({
    auth: {
      openid: {
        providers: { github: { credentialsFile, authurl: github.authurl, scopes: SCOPES, ...provider } },
      },
    },
    accessControl,
  })
  const call: Call = async (url, init = {}) =>
    built.app.request(url.startsWith('http') ? url : `${REGISTRY}${url}`, init)
  return { ...built, call }
}

async function login(call: Call, account: string, origin = REGISTRY, provider = 'github') {
  github.signedIn = account
  const jar = new CookieJar()
  const start = `${origin}/zot/auth/login?provider=${provider}&callback_ui=%2Fuser%2Fapikey`
  const step = await browse(start, { jar, registry: call, registryOrigin: origin, login: account })
  return { jar, ...step }
}

const ui = (jar: CookieJar, origin = REGISTRY) => ({
  Cookie: jar.header(origin),
  [UI_CLIENT_HEADER]: UI_CLIENT_VALUE,
})

const startsSession = (response: Response): boolean =>
  response.headers.getSetCookie().some((line) => line.startsWith('session=') && !line.startsWith('session=;'))

describe('GitHub login through the registry', async () => {
  const { call, state } = await registry()

  test('the login redirects to GitHub with state, PKCE S256 and the configured scopes', async () => {
    const response = await call('/zot/auth/login?provider=github&callback_ui=/user/apikey')
    expect(response.status).toBe(302)
    const location = new URL(response.headers.get('Location')!)
    expect(`${location.origin}${location.pathname}`).toBe(github.authurl)
    const params = location.searchParams
    expect(params.get('client_id')).toBe('zot-gh')
    expect(params.get('redirect_uri')).toBe(CALLBACK)
    expect(params.get('scope')).toBe('read:org user:email')
    expect(params.get('state')?.length).toBeGreaterThan(20)
    expect(params.get('code_challenge')?.length).toBe(43)
    expect(params.get('code_challenge_method')).toBe('S256')
    expect(params.has('nonce')).toBe(false)
    const cookie = response.headers.getSetCookie().find((line) => line.startsWith('statecookie='))
    expect(cookie).toContain('Path=/zot/auth/callback')
    expect(cookie).not.toContain(params.get('state')!)
  })

  test('configured scopes are sent as they are', async () => {
    const scoped = await registry({ scopes: ['read:org', 'user', 'repo'] })
    const response = await scoped.call('/zot/auth/login?provider=github')
    const location = new URL(response.headers.get('Location')!)
    expect(location.searchParams.get('scope')).toBe('read:org user repo')
  })

  test('a login names the user by the primary verified email; groups are orgs and org/team', async () => {
    github.userAgents.length = 0
    const { jar, response } = await login(call, 'octocat')
    expect(response.status).toBe(302)
    expect(response.headers.get('Location')).toBe('/user/apikey')
    expect(decodeURIComponent(jar.get(REGISTRY, 'user') ?? '')).toBe('octo@example.com')
    expect(await createUserGroups(state).get('octo@example.com')).toEqual([
      'acme',
      'acme/platform',
      'acme/release',
      'hooli',
      'hooli/ops',
      'initech',
    ])
    // Every API call identified itself (GitHub refuses requests without a User-Agent).
    expect(github.userAgents.length).toBeGreaterThanOrEqual(6)
    expect(new Set(github.userAgents)).toEqual(new Set(['zot-bun']))
  })

  test('the GitHub groups grant access through accessControl', async () => {
    const { jar } = await login(call, 'octocat')
    const get = (repository: string) => call(`/v2/${repository}/tags/list`, { headers: ui(jar) }).then((r) => r.status)
    // 404: allowed in, the repository just does not exist; 403: refused.
    expect(await get('platform/api')).toBe(404)
    expect(await get('hooli/app')).toBe(404)
    expect(await get('release/api')).toBe(403)
    expect(await get('elsewhere/app')).toBe(403)
    expect((await call('/v2/platform/api/tags/list')).status).toBe(401)
  })

  test('a callback whose state differs from the cookie is refused before any code exchange', async () => {
    const started = await call('/zot/auth/login?provider=github')
    const jar = new CookieJar()
    jar.store(REGISTRY, started)
    github.signedIn = 'octocat'
    const atGitHub = await fetch(started.headers.get('Location')!, { redirect: 'manual' })
    const callback = new URL(atGitHub.headers.get('Location')!)
    expect(callback.searchParams.get('code')).toBeTruthy()
    callback.searchParams.set('state', 'forged-state')
    const before = github.requests.length
    const response = await call(callback.toString(), { headers: { Cookie: jar.header(REGISTRY) } })
    expect(response.status).toBe(401)
    expect(startsSession(response)).toBe(false)
    expect(github.requests.slice(before)).toEqual([])
  })

  test('GitHub refusing the login or the client, or an unverified email: 401, no session', async () => {
    const started = await call('/zot/auth/login?provider=github')
    const jar = new CookieJar()
    jar.store(REGISTRY, started)
    const state = new URL(started.headers.get('Location')!).searchParams.get('state')
    const denied = await call(`${CALLBACK}?error=access_denied&state=${state}`, {
      headers: { Cookie: jar.header(REGISTRY) },
    })
    expect(denied.status).toBe(401)

    const unverified = await login(call, 'unverified')
    expect(unverified.response.status).toBe(401)
    expect(startsSession(unverified.response)).toBe(false)

    const wrongSecret = await registry({ credentialsFile: await credentials('bad.json', 'nope') })
    const refused = await login(wrongSecret.call, 'octocat')
    expect(refused.response.status).toBe(401)
    expect(startsSession(refused.response)).toBe(false)
  })

  test('the access token never follows a Link to another origin', async () => {
    const { response } = await login(call, 'linked')
    expect(response.status).toBe(302)
    expect(await createUserGroups(state).get('linked@example.com')).toEqual(['acme/platform'])
    expect(thief).toEqual([])
  })

  test('logout ends the session; GitHub has no end-session URL', async () => {
    const { jar } = await login(call, 'octocat')
    const response = await call('/zot/auth/logout', {
      method: 'POST',
      headers: { Cookie: jar.header(REGISTRY) },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({})
    expect(response.headers.getSetCookie().some((line) => line.startsWith('session=;'))).toBe(true)
  })
})

describe('GitHub and GitHub Enterprise endpoints', () => {
  /** The endpoints of a `github` entry as the config decoder fills it. */
  const endpointsOf = (entry: Record<string, unknown>) => {
    const config = configFromObject(
      { storage: { rootDirectory: '/tmp/zot' }, http: { auth: { openid: { providers: { github: entry } } } } },
      'test',
    )
    return githubEndpoints(config.http.auth!.openid!.providers.github!)
  }

  test('GitHub.com by default', () => {
    expect(endpointsOf({})).toEqual({
      authorization: 'https://github.com/login/oauth/authorize',
      token: 'https://github.com/login/oauth/access_token',
      api: 'https://api.github.com',
    })
  })

  test('Enterprise: token URL and REST API on the host of authurl', () => {
    expect(endpointsOf({ authurl: 'https://ghe.example.com/login/oauth/authorize' })).toEqual({
      authorization: 'https://ghe.example.com/login/oauth/authorize',
      token: 'https://ghe.example.com/login/oauth/access_token',
      api: 'https://ghe.example.com/api/v3',
    })
  })

  test('an explicit tokenurl wins', () => {
    const endpoints = endpointsOf({
      authurl: 'https://ghe.example.com:8443/login/oauth/authorize',
      tokenurl: 'https://sso.example.com/token',
    })
    expect(endpoints.token).toBe('https://sso.example.com/token')
    expect(endpoints.api).toBe('https://ghe.example.com:8443/api/v3')
  })

  test('only github gets GitHub endpoints', () => {
    const config = configFromObject(
      { storage: { rootDirectory: '/tmp/zot' }, http: { auth: { openid: { providers: { oidc: {} } } } } },
      'test',
    )
    const oidc = config.http.auth!.openid!.providers.oidc!
    expect([oidc.authurl, oidc.tokenurl]).toEqual([undefined, undefined])
  })

  test('an authurl that is no URL is a config error naming the key, not a throw', async () => {
    const { findings } = await inspectConfigText(
      JSON.stringify({
        storage: { rootDirectory: '/tmp/zot' },
        http: { auth: { openid: { providers: { github: { authurl: 'ghe.example.com', scopes: SCOPES } } } } },
      }),
      'json',
    )
    expect(findings).toContainEqual(
      expect.objectContaining({
        severity: 'error',
        path: 'http.auth.openid.providers.github.authurl',
        message: 'not an absolute URL',
      }),
    )
  })
})

describe('the handbook config with GitHub and Keycloak side by side', async () => {
  const EXTERNAL = 'https://zot.example.com'
  const config = await fixtureConfig('handbook-openid-two-providers.json')
  const auth = structuredClone(config.http.auth)!
  const { github: githubEntry, oidc: oidcEntry } = auth.openid!.providers!
  const ghe = startFakeGitHub({
    clientId: githubEntry!.clientid!,
    clientSecret: githubEntry!.clientsecret!,
    redirectUri: `${EXTERNAL}/zot/auth/callback/github`,
  })
  ghe.accounts.set('mona', {
    login: 'mona',
    emails: [email('mona@example.com')],
    orgs: ['acme'],
    teams: [],
  })
  ghe.signedIn = 'mona'
  const idp = await startIdentityProvider([
    {
      client_id: oidcEntry!.clientid!,
      client_secret: oidcEntry!.clientsecret!,
      redirect_uris: [`${EXTERNAL}/zot/auth/callback/oidc`],
    },
  ])
  // The secrets move to credentials files (temp copies), the URLs to the fakes.
  for (const [id, entry] of [
    ['github', githubEntry!],
    ['oidc', oidcEntry!],
  ] as const) {
    entry.credentialsFile = join(directory, `handbook-${id}.json`)
    const { clientid, clientsecret } = entry
    await writeFile(entry.credentialsFile, JSON.stringify({ clientid, clientsecret }))
    delete entry.clientid
    delete entry.clientsecret
  }
  githubEntry!.authurl = ghe.authurl
  githubEntry!.tokenurl = ghe.tokenurl
  oidcEntry!.issuer = idp.issuer
  const warnings: string[] = []
  const built = await setupAuth({
    auth,
    externalUrl: config.http.externalUrl,
    tls: false,
    state: createStateStore(memoryDriver()),
    tagExists: async () => false,
    logger: createLogger({ level: 'warn', write: (line) => warnings.push(line) }),
  })
  const app = testApp(built.middleware, built.routes)
  const call: Call = async (url, init = {}) => app.request(url, init)
  const whoami = async (jar: CookieJar) =>
    (
      (await (await call(`${EXTERNAL}/whoami`, { headers: ui(jar, EXTERNAL) })).json()) as {
        principal: unknown
      }
    ).principal

  test('both providers load, nothing is reported unsupported', async () => {
    expect(warnings.join('\n')).not.toContain('not supported')
    const page = await (await call(`${EXTERNAL}/user/apikey`)).text()
    expect(page).toContain('Sign in with GitHub')
    expect(page).toContain('Sign in with Keycloak')
  })

  test('a GitHub login and a Keycloak login both end in sessions', async () => {
    const viaGitHub = await login(call, 'mona', EXTERNAL)
    expect(viaGitHub.response.status).toBe(302)
    expect(await whoami(viaGitHub.jar)).toEqual({
      username: 'mona@example.com',
      groups: ['acme'],
      method: 'session',
    })
    const viaKeycloak = await login(call, 'alice', EXTERNAL, 'oidc')
    expect(viaKeycloak.response.status).toBe(302)
    expect(await whoami(viaKeycloak.jar)).toMatchObject({ username: 'alice@example.test' })
  })
})
