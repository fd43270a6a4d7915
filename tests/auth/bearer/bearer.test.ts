/**
 * Bearer tokens (`http.auth.bearer`) through a served registry and a token server written with
 * jose (tests/support/counterparts/token-server.ts): the challenge, the token's signature, expiry, audience and
 * `access` claim, and skopeo and podman following the challenge to push and pull.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { generateKeyPair, SignJWT } from 'jose'
import { CommandError, createClientEnvironment } from '../../support/clients'
import { buildRandomImage } from '../../support/images/images'
import { OciLayout } from '../../support/oci-layout'
import { startRegistry } from '../../support/server'
import { startTokenServer } from '../../support/counterparts/token-server'
import { startContainerd } from '../../sync/support/containerd'

setDefaultTimeout(120_000)
const SERVICE = 'zot-test'
const tokens = await startTokenServer({
  service: SERVICE,
  users: { alice: 'alice-pw' },
  // alice may do anything under team/, push public/ and list the catalog; anyone may pull public/.
  grant: (user, type, name) => {
    if (user === 'alice' && type === 'repository' && name.startsWith('team/')) return ['pull', 'push', 'delete']
    if (user === 'alice' && type === 'repository' && name.startsWith('public/')) return ['pull', 'push']
    if (user === 'alice' && type === 'registry' && name === 'catalog') return ['*']
    if (type === 'repository' && name.startsWith('public/')) return ['pull']
    return []
  },
})
const registry = await startRegistry({
  config: {
    http: { auth: { bearer: { realm: tokens.realm, service: SERVICE, cert: tokens.cert } } },
    log: { level: 'warn' },
  },
})
afterAll(() => registry.stop())
const url = (path: string) => `${registry.url}${path}`
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })
const challengeOf = (response: Response) => response.headers.get('WWW-Authenticate')

describe('the challenge', () => {
  test('the ping without a token announces the realm, the service and an empty scope', async () => {
    const response = await fetch(url('/v2/'))
    expect(response.status).toBe(401)
    expect(challengeOf(response)).toBe(`Bearer realm="${tokens.realm}",service="${SERVICE}",scope=""`)
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('UNAUTHORIZED')
  })

  test('repository requests announce the scope they need', async () => {
    const pull = await fetch(url('/v2/team/app/tags/list'))
    expect(challengeOf(pull)).toContain('scope="repository:team/app:pull"')
    const push = await fetch(url('/v2/team/app/blobs/uploads/'), { method: 'POST' })
    expect(challengeOf(push)).toContain('scope="repository:team/app:pull,push"')
  })
})

describe('token checks', () => {
  test('a token granting pull lets a pull through and refuses a push with insufficient_scope', async () => {
    const token = await tokens.token('alice', ['repository:team/app:pull'])
    expect((await fetch(url('/v2/'), { headers: bearer(token) })).status).toBe(200)
    expect((await fetch(url('/v2/team/app/tags/list'), { headers: bearer(token) })).status).toBe(404)
    const push = await fetch(url('/v2/team/app/blobs/uploads/'), { method: 'POST', headers: bearer(token) })
    expect(push.status).toBe(401)
    expect(challengeOf(push)).toContain('error="insufficient_scope"')
    const other = await fetch(url('/v2/team/other/tags/list'), { headers: bearer(token) })
    expect(other.status).toBe(401)
  })

  test('a token granting push starts an upload', async () => {
    const token = await tokens.token('alice', ['repository:team/app:pull,push'])
    const push = await fetch(url('/v2/team/app/blobs/uploads/'), { method: 'POST', headers: bearer(token) })
    expect(push.status).toBe(202)
  })

  test('forged, expired, foreign-audience, unsigned and Basic credentials are refused', async () => {
    const access = [{ type: 'repository', name: 'team/app', actions: ['pull'] }]
    const { privateKey } = await generateKeyPair('RS256')
    const forged = await new SignJWT({ sub: 'alice', access })
      .setProtectedHeader({ alg: 'RS256' })
      .setAudience(SERVICE)
      .setExpirationTime('5m')
      .sign(privateKey)
    const expired = await tokens.sign({ sub: 'alice', access }, { expiresIn: '-1m' })
    const foreign = await tokens.sign({ sub: 'alice', access, aud: 'another-registry' })
    const [header, payload] = (await tokens.token('alice', ['repository:team/app:pull'])).split('.')
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`
    const resigned = `${header}.${Buffer.from(JSON.stringify({ sub: 'alice', access, exp: 2e9 })).toString('base64url')}.x`
    for (const token of [forged, expired, foreign, unsigned, resigned]) {
      const response = await fetch(url('/v2/team/app/tags/list'), { headers: bearer(token) })
      expect(response.status).toBe(401)
      expect(challengeOf(response)).toContain('error="invalid_token"')
    }
    const basic = await fetch(url('/v2/team/app/tags/list'), {
      headers: { Authorization: `Basic ${Buffer.from('alice:alice-pw').toString('base64')}` },
    })
    expect(basic.status).toBe(401)
    expect(challengeOf(basic)).toStartWith('Bearer ')
  })

  test('an access entry past its own exp grants nothing', async () => {
    const access = [{ type: 'repository', name: 'team/app', actions: ['pull'], exp: Math.floor(Date.now() / 1000) - 1 }]
    const token = await tokens.sign({ sub: 'alice', access })
    expect((await fetch(url('/v2/team/app/tags/list'), { headers: bearer(token) })).status).toBe(401)
  })

  test('the catalog needs registry:catalog:*', async () => {
    const pullOnly = await tokens.token('alice', ['repository:team/app:pull'])
    expect((await fetch(url('/v2/_catalog'), { headers: bearer(pullOnly) })).status).toBe(401)
    const catalog = await tokens.token('alice', ['registry:catalog:*'])
    expect((await fetch(url('/v2/_catalog'), { headers: bearer(catalog) })).status).toBe(200)
  })
})

describe('real clients follow the challenge', async () => {
  const clients = await createClientEnvironment([registry.host])
  afterAll(() => clients.cleanup())
  const layout = await OciLayout.create(await clients.scratch('image'))
  await buildRandomImage(layout, 'v1')
  const host = registry.host

  test('skopeo pushes with credentials for the token server, and is refused outside its grant', async () => {
    const credentials = ['--dest-creds', 'alice:alice-pw']
    await clients.skopeo(['copy', ...credentials, `oci:${layout.directory}:v1`, `docker://${host}/team/app:v1`])
    expect(tokens.requests.some((line) => line.includes('repository:team/app:pull,push'))).toBe(true)
    const refused = await clients
      .skopeo(['copy', ...credentials, `oci:${layout.directory}:v1`, `docker://${host}/elsewhere/app:v1`])
      .then(
        () => undefined,
        (error: unknown) => error,
      )
    expect(refused).toBeInstanceOf(CommandError)
  })

  test("containerd's ctr fetches with credentials, getting its token by the OAuth2 password grant", async () => {
    const containerd = await startContainerd()
    try {
      await containerd.ctr(['content', 'fetch', '--plain-http', '--user', 'alice:alice-pw', `${host}/team/app:v1`])
      expect(tokens.requests.some((line) => line.startsWith('POST alice repository:team/app:pull'))).toBe(true)
      const anonymous = await containerd.ctr(['content', 'fetch', '--plain-http', `${host}/team/app:v1`]).then(
        () => 'fetched',
        (error: unknown) => (error instanceof CommandError ? error.result.stderr : String(error)),
      )
      expect(anonymous).toMatch(/401|unauthorized|authoriz/i)
    } finally {
      await containerd.stop()
    }
  })

  test('podman logs in and pulls; skopeo inspects anonymously what the token server grants anyone', async () => {
    await clients.podman(['login', '-u', 'alice', '-p', 'alice-pw', host])
    await clients.podman(['pull', `${host}/team/app:v1`])
    await clients.podman(['push', `${host}/team/app:v1`, `${host}/public/app:v1`])
    const inspected = await clients.skopeo(['inspect', '--no-creds', `docker://${host}/public/app:v1`])
    expect(JSON.parse(inspected.stdout).Architecture).toBe('amd64')
  })
})
