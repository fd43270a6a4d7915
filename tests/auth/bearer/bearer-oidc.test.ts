/**
 * OIDC workload identity (`http.auth.bearer.oidc`) through a served registry: ID tokens from
 * issuers the tests start (tests/support/counterparts/oidc-issuer.ts, one plain HTTP, one over TLS with its
 * CA configured), checked for signature, issuer, audience and expiry, mapped by CEL to users and
 * groups that `accessControl` authorizes, next to the token server's tokens (`cert`); an issuer
 * that is down at start; skopeo pushing and pulling with an ID token as its registry token.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { CommandError, createClientEnvironment } from '../../support/clients'
import { buildRandomImage } from '../../support/images/images'
import { OciLayout } from '../../support/oci-layout'
import { type OidcIssuer, startOidcIssuer } from '../../support/counterparts/oidc-issuer'
import { freePort, startRegistry } from '../../support/server'
import { startTokenServer } from '../../support/counterparts/token-server'
import { startContainerd } from '../../sync/support/containerd'

setDefaultTimeout(120_000)
const SERVICE = 'zot-test'
const FLUX = 'system:serviceaccount:flux-system:source-controller'

// Kubernetes-like: the service account's namespace in a nested claim, mapped to a group.
const cluster = await startOidcIssuer()
// CI-like, over TLS with a private CA, default mapping (`iss/sub`).
const ci = await startOidcIssuer({ tls: true })
// Down when the registry starts.
const latePort = await freePort()
const lateIssuer = `http://127.0.0.1:${latePort}`
const tokens = await startTokenServer({
  service: SERVICE,
  users: { alice: 'alice-pw' },
  grant: (_user, type, name) => (type === 'repository' && name.startsWith('legacy/') ? ['pull', 'push'] : []),
})

const clusterMapping = {
  variables: [{ name: 'ns', expression: "claims['kubernetes.io'].namespace" }],
  validations: [{ expression: "vars.ns != 'kube-system'", message: 'kube-system may not push' }],
  username: 'claims.sub',
  groups: "['ns-' + vars.ns]",
}
const registry = await startRegistry({
  config: {
    http: {
      auth: {
        bearer: {
          realm: tokens.realm,
          service: SERVICE,
          cert: tokens.cert,
          oidc: [
            { issuer: cluster.issuer, audiences: ['zot', 'https://zot.example'], claimMapping: clusterMapping },
            { issuer: ci.issuer, audiences: ['zot'], certificateAuthorityFile: ci.ca },
            { issuer: lateIssuer, audiences: ['zot'], claimMapping: { username: 'claims.sub' } },
          ],
        },
      },
      accessControl: {
        groups: { builders: { users: [`${ci.issuer}/job-1`] } },
        repositories: {
          'flux/**': { policies: [{ groups: ['ns-flux-system'], actions: ['read', 'create', 'update', 'delete'] }] },
          'ci/**': { policies: [{ groups: ['builders'], actions: ['read', 'create'] }] },
          'late/**': { policies: [{ users: ['late-job'], actions: ['read', 'create'] }] },
        },
      },
    },
    log: { level: 'warn' },
  },
})
afterAll(() => registry.stop())
const url = (path: string) => `${registry.url}${path}`
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` })
const fluxClaims = { sub: FLUX, aud: ['zot'], 'kubernetes.io': { namespace: 'flux-system' } }
const startUpload = (repository: string, token: string) =>
  fetch(url(`/v2/${repository}/blobs/uploads/`), { method: 'POST', headers: bearer(token) })

describe('ID tokens the issuers sign', () => {
  test('a service-account token starts an upload where its namespace group may push', async () => {
    const token = await cluster.sign(fluxClaims)
    expect((await fetch(url('/v2/'), { headers: bearer(token) })).status).toBe(200)
    expect((await startUpload('flux/app', token)).status).toBe(202)
  })

  test('the mapped identity is authorized by accessControl: another repository is 403 DENIED', async () => {
    const token = await cluster.sign(fluxClaims)
    const response = await startUpload('ci/app', token)
    expect(response.status).toBe(403)
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('DENIED')
  })

  test('any configured audience is accepted, in a list or alone', async () => {
    const token = await cluster.sign({ ...fluxClaims, aud: 'https://zot.example' })
    expect((await startUpload('flux/app', token)).status).toBe(202)
  })

  test('the default mapping names the user issuer/subject; accessControl groups apply; TLS with the configured CA', async () => {
    const token = await ci.sign({ sub: 'job-1', aud: 'zot' })
    expect((await startUpload('ci/app', token)).status).toBe(202)
    const other = await ci.sign({ sub: 'job-2', aud: 'zot' })
    expect((await startUpload('ci/app', other)).status).toBe(403)
  })

  test('the catalog lists what accessControl lets the identity read', async () => {
    const token = await cluster.sign(fluxClaims)
    const response = await fetch(url('/v2/_catalog'), { headers: bearer(token) })
    expect(response.status).toBe(200)
    const { repositories } = (await response.json()) as { repositories: string[] }
    expect(repositories.every((name) => name.startsWith('flux/'))).toBe(true)
  })

  test('wrong audience, expired, foreign key, wrong issuer, failed validation and missing claims are 401', async () => {
    const refused = {
      audience: await cluster.sign({ ...fluxClaims, aud: ['another-registry'] }),
      noAudience: await cluster.sign({ sub: FLUX, 'kubernetes.io': { namespace: 'flux-system' } }),
      expired: await cluster.sign(fluxClaims, { expiresIn: '-1m' }),
      forged: await cluster.sign(fluxClaims, { foreignKey: true }),
      issuer: await cluster.sign({ ...fluxClaims, iss: ci.issuer }),
      validation: await cluster.sign({ ...fluxClaims, 'kubernetes.io': { namespace: 'kube-system' } }),
      missingClaim: await cluster.sign({ sub: FLUX, aud: 'zot' }),
    }
    for (const [why, token] of Object.entries(refused)) {
      const response = await startUpload('flux/app', token)
      expect(response.status, why).toBe(401)
      expect(response.headers.get('WWW-Authenticate'), why).toContain('error="invalid_token"')
    }
  })

  test('tokens larger than 12 KiB are refused before any work', async () => {
    const padded = (bytes: number) => cluster.sign({ ...fluxClaims, padding: 'x'.repeat(bytes) })
    expect((await startUpload('flux/app', await padded(8 * 1024))).status).toBe(202)
    expect((await startUpload('flux/app', await padded(10 * 1024))).status).toBe(401)
  })

  test("the issuers' discovery documents are fetched once, not per request", async () => {
    const token = await cluster.sign(fluxClaims)
    const before = cluster.served.discovery
    for (let index = 0; index < 5; index++) await fetch(url('/v2/flux/app/tags/list'), { headers: bearer(token) })
    expect(cluster.served.discovery - before).toBe(0)
    expect(cluster.served.discovery).toBe(1)
  })
})

describe('next to the token server', () => {
  test("the token server's tokens still grant by their access claim", async () => {
    const token = await tokens.token('anyone', ['repository:legacy/app:pull,push'])
    expect((await startUpload('legacy/app', token)).status).toBe(202)
    expect((await startUpload('flux/app', token)).status).toBe(401)
  })

  test('a request without a token is challenged with the realm', async () => {
    const response = await fetch(url('/v2/flux/app/tags/list'))
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toStartWith(`Bearer realm="${tokens.realm}"`)
  })
})

describe('an issuer that is down', () => {
  let lateServer: OidcIssuer | undefined
  afterAll(() => lateServer?.stop())
  test('does not stop the registry; its tokens get 503 with Retry-After until it answers', async () => {
    const late = { sub: 'late-job', aud: 'zot', iss: lateIssuer }
    // Signed by the cluster issuer's key, so not acceptable either way: only the outage matters here.
    const early = await cluster.sign(late)
    const unavailable = await startUpload('late/app', early)
    expect(unavailable.status).toBe(503)
    expect(unavailable.headers.get('Retry-After')).toBe('5')
    const issuer = await startOidcIssuer({ port: latePort, manualStop: true })
    lateServer = issuer
    expect(issuer.issuer).toBe(lateIssuer)
    // A failed discovery is retried after five seconds.
    await Bun.sleep(5_500)
    expect((await startUpload('late/app', await issuer.sign(late))).status).toBe(202)
    expect((await startUpload('late/app', early)).status).toBe(401)
  })

  test('a rotated key is fetched when a token names it (after the 5 s JWKS cooldown); the old key is then refused', async () => {
    const issuer = lateServer
    if (!issuer) throw new Error('the previous test did not start the issuer')
    const late = { sub: 'late-job', aud: 'zot' }
    const old = await issuer.sign(late)
    expect((await startUpload('late/app', old)).status).toBe(202)
    await issuer.rotate()
    const rotated = await issuer.sign(late)
    await Bun.sleep(5_500)
    expect((await startUpload('late/app', rotated)).status).toBe(202)
    expect((await startUpload('late/app', old)).status).toBe(401)
  })
})

describe('an ID token as the registry token of a real client', async () => {
  const clients = await createClientEnvironment([registry.host])
  afterAll(() => clients.cleanup())
  const layout = await OciLayout.create(await clients.scratch('image'))
  await buildRandomImage(layout, 'v1')

  test('skopeo pushes and pulls with a service-account token, and is refused outside its grant', async () => {
    const token = await cluster.sign(fluxClaims)
    const image = `docker://${registry.host}/flux/app:v1`
    await clients.skopeo(['copy', '--dest-registry-token', token, `oci:${layout.directory}:v1`, image])
    const copy = await clients.scratch('pulled')
    await clients.skopeo(['copy', '--src-registry-token', token, image, `oci:${copy}:v1`])
    const inspected = await clients.skopeo(['inspect', '--registry-token', token, image])
    expect(JSON.parse(inspected.stdout).Name).toBe(`${registry.host}/flux/app`)
    const refused = await clients
      .skopeo([
        'copy',
        '--dest-registry-token',
        token,
        `oci:${layout.directory}:v1`,
        `docker://${registry.host}/ci/app:v1`,
      ])
      .then(
        () => undefined,
        (error: unknown) => error,
      )
    expect(refused).toBeInstanceOf(CommandError)
  })
})

describe('workload identity alone, without a realm', async () => {
  const alone = await startRegistry({
    config: {
      http: {
        auth: { bearer: { oidc: [{ issuer: cluster.issuer, audiences: ['zot'] }] } },
        accessControl: {
          repositories: { '**': { policies: [{ users: [`${cluster.issuer}/${FLUX}`], actions: ['read'] }] } },
        },
      },
      log: { level: 'warn' },
    },
  })
  afterAll(() => alone.stop())

  test('a request without a token is 401 without a challenge, as in zot; a token reads', async () => {
    const anonymous = await fetch(`${alone.url}/v2/`)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('WWW-Authenticate')).toBeNull()
    const token = await cluster.sign({ sub: FLUX, aud: 'zot' })
    expect((await fetch(`${alone.url}/v2/flux/app/tags/list`, { headers: bearer(token) })).status).toBe(404)
  })
})

describe("zot's token exchange at /zot/auth/token, forwarding to the token server what no issuer owns", async () => {
  // The realm must be the registry's own URL, whose port is picked at start: a forwarder stands in.
  let target = ''
  const forwarder = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (request) => {
      const { pathname, search } = new URL(request.url)
      return fetch(`${target}${pathname}${search}`, {
        method: request.method,
        headers: request.headers,
        body: request.body,
      })
    },
  })
  afterAll(() => forwarder.stop(true))
  // Records what the registry forwards, then hands it to the real token server.
  const forwarded: { query: URLSearchParams; body: string; authorization: string | null }[] = []
  const recorder = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const body = await request.text()
      forwarded.push({
        query: new URL(request.url).searchParams,
        body,
        authorization: request.headers.get('Authorization'),
      })
      const upstream = new URL(tokens.realm)
      upstream.search = new URL(request.url).search
      return fetch(upstream, {
        method: request.method,
        headers: request.headers,
        ...(request.method === 'POST' && { body }),
      })
    },
  })
  afterAll(() => recorder.stop(true))
  const realm = `http://127.0.0.1:${forwarder.port}/zot/auth/token`
  const exchanging = await startRegistry({
    config: {
      http: {
        auth: {
          bearer: {
            realm,
            service: 'zot-oidc',
            cert: tokens.cert,
            upstreamTokenEndpoint: {
              realm: `http://127.0.0.1:${recorder.port}/token`,
              service: SERVICE,
              allowInsecureHttp: true,
            },
            oidc: [{ issuer: cluster.issuer, audiences: ['zot'] }],
          },
        },
        accessControl: {
          repositories: {
            'flux/**': { policies: [{ users: [`${cluster.issuer}/${FLUX}`], actions: ['read', 'create'] }] },
          },
        },
      },
      log: { level: 'warn' },
    },
  })
  target = exchanging.url
  afterAll(() => exchanging.stop())
  const clients = await createClientEnvironment([exchanging.host])
  afterAll(() => clients.cleanup())
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
  const form = (fields: Record<string, string>) => fetch(realm, { method: 'POST', body: new URLSearchParams(fields) })

  test('an ID token as the Basic password comes back as the token, with its lifetime', async () => {
    const token = await cluster.sign({ sub: FLUX, aud: 'zot' }, { expiresIn: '10m' })
    const response = await fetch(`${realm}?service=zot-oidc&scope=repository:flux/app:pull`, {
      headers: { Authorization: basic('zot', token) },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('Cache-Control')).toBe('no-store')
    const body = (await response.json()) as Record<string, unknown>
    expect(body.token).toBe(token)
    expect(body.access_token).toBe(token)
    expect(body.expires_in).toBeGreaterThan(590)
    expect(body.expires_in).toBeLessThanOrEqual(600)
    expect(body.issued_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  })

  test("a form's id_token is exchanged; a refused token of a configured issuer is 401 Basic and never forwarded", async () => {
    const before = forwarded.length
    expect(
      (await form({ grant_type: 'password', id_token: await cluster.sign({ sub: FLUX, aud: 'zot' }) })).status,
    ).toBe(200)
    const refused = [
      await form({ password: await cluster.sign({ sub: FLUX, aud: 'zot' }, { expiresIn: '-1m' }) }),
      await form({ password: await cluster.sign({ sub: FLUX, aud: 'zot' }, { foreignKey: true }) }),
    ]
    for (const response of refused) {
      expect(response.status).toBe(401)
      expect(response.headers.get('WWW-Authenticate')).toBe(`Basic realm="${realm}"`)
    }
    expect(forwarded.length).toBe(before)
  })

  test('other credentials go to the token server with only service rewritten, in the query and the form', async () => {
    const response = await fetch(`${realm}?service=zot-oidc&scope=repository:legacy/app:pull`, {
      headers: { Authorization: basic('alice', 'alice-pw') },
    })
    expect(response.status).toBe(200)
    const get = forwarded.at(-1)
    expect(get?.query.get('service')).toBe(SERVICE)
    expect(get?.query.get('scope')).toBe('repository:legacy/app:pull')
    expect(get?.authorization).toBe(basic('alice', 'alice-pw'))
    const token = ((await response.json()) as { token: string }).token
    // The token server's token names its own service (`aud`), which the registry accepts as upstreamTokenEndpoint's.
    const pull = await fetch(`${exchanging.url}/v2/legacy/app/tags/list`, { headers: bearer(token) })
    expect(pull.status).toBe(404)

    const posted = await form({ grant_type: 'password', username: 'alice', password: 'alice-pw', service: 'zot-oidc' })
    expect(posted.status).toBe(200)
    expect(new URLSearchParams(forwarded.at(-1)?.body).get('service')).toBe(SERVICE)
    expect(new URLSearchParams(forwarded.at(-1)?.body).get('username')).toBe('alice')
    const wrong = await fetch(realm, { headers: { Authorization: basic('alice', 'wrong') } })
    expect(wrong.status).toBe(401)
  })

  test('a form body over 64 KiB is 413', async () => {
    const response = await form({ password: 'x'.repeat(70_000) })
    expect(response.status).toBe(413)
  })

  test('skopeo and podman log in with an ID token as password, skopeo with a token-server user, and push and pull', async () => {
    const token = await cluster.sign({ sub: FLUX, aud: 'zot' })
    const layout = await OciLayout.create(await clients.scratch('exchange-image'))
    await buildRandomImage(layout, 'v1')
    const image = `${exchanging.host}/flux/app:v1`
    await clients.skopeo(['copy', '--dest-creds', `zot:${token}`, `oci:${layout.directory}:v1`, `docker://${image}`])
    await clients.podman(['login', '-u', 'zot', '-p', token, exchanging.host])
    await clients.podman(['pull', image])
    const refused = await clients.podman(['push', image, `${exchanging.host}/other/app:v1`]).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(refused).toBeInstanceOf(CommandError)
    const legacy = `docker://${exchanging.host}/legacy/app:v1`
    await clients.skopeo(['copy', '--dest-creds', 'alice:alice-pw', `oci:${layout.directory}:v1`, legacy])
    expect(forwarded.some(({ query }) => query.get('scope') === 'repository:legacy/app:pull,push')).toBe(true)
  })

  test("containerd's ctr fetches with the ID token as password, through the exchange; without it, refused", async () => {
    const token = await cluster.sign({ sub: FLUX, aud: 'zot' })
    const containerd = await startContainerd()
    try {
      const image = `${exchanging.host}/flux/app:v1`
      await containerd.ctr(['content', 'fetch', '--plain-http', '--user', `zot:${token}`, image])
      const anonymous = await containerd.ctr(['content', 'fetch', '--plain-http', image]).then(
        () => 'fetched',
        (error: unknown) => (error instanceof CommandError ? error.result.stderr : String(error)),
      )
      expect(anonymous).toMatch(/401|unauthorized|authoriz/i)
    } finally {
      await containerd.stop()
    }
  })

  test('a token server that cannot be reached is 502', async () => {
    recorder.stop(true)
    const response = await fetch(realm, { headers: { Authorization: basic('alice', 'alice-pw') } })
    expect(response.status).toBe(502)
  })
})
