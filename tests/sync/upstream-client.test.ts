/**
 * The upstream HTTP client against small loopback servers: Authorization dropped on a
 * cross-origin redirect (a CDN), tokens reused per scope, retries with back-off, failover to the
 * next URL, a header timeout, and 429/Retry-After and dead upstreams tripping the circuit
 * breaker so later requests fail at once instead of waiting.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { silentLogger } from '../../lib/log/logger'
import { resolveRegistry } from '../../lib/sync/config'
import { UpstreamClient } from '../../lib/sync/upstream/upstream-client'
import { isUpstreamError } from '../../lib/sync/upstream/upstream-error'
import { testSyncConfig } from '../support/config'

type Handler = (request: Request, url: URL) => Response | Promise<Response>
const servers: { stop(force?: boolean): unknown }[] = []
afterAll(() => servers.forEach((server) => server.stop(true)))

function serve(handler: Handler): { url: string; seen: Request[] } {
  const seen: Request[] = []
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (request) => (seen.push(request), handler(request, new URL(request.url))),
  })
  servers.push(server)
  return { url: `http://127.0.0.1:${server.port}`, seen }
}

/** A client for one `registries[]` entry, written as in a config file. */
function client(
  entry: { urls: string[]; [key: string]: unknown },
  credentials?: { username: string; password: string },
): UpstreamClient {
  const [registry] = testSyncConfig({ registries: [{ responseHeaderTimeout: '2s', ...entry }] }).registries
  return new UpstreamClient({
    registry: resolveRegistry(registry!, 0),
    credentials: async () => credentials,
    tls: Promise.resolve({ rejectUnauthorized: true }),
    logger: silentLogger(),
  })
}

const get = (path: string, scope?: string) => ({
  method: 'GET' as const,
  path,
  ...(scope && { scope }),
})

describe('authentication and redirects', () => {
  test('a Bearer token is fetched once per scope and never sent to another origin', async () => {
    const cdn = serve(() => new Response('layer-bytes'))
    const tokenRequests: string[] = []
    const registry = serve((request, url) => {
      if (url.pathname === '/token') {
        tokenRequests.push(`${request.headers.get('Authorization') ?? 'anonymous'} ${url.searchParams.get('scope')}`)
        return Response.json({ token: 'T1', expires_in: 300 })
      }
      if (request.headers.get('Authorization') !== 'Bearer T1') {
        return new Response(null, {
          status: 401,
          headers: { 'WWW-Authenticate': `Bearer realm="${url.origin}/token",service="test"` },
        })
      }
      return new Response(null, { status: 307, headers: { Location: `${cdn.url}/blob?sig=1` } })
    })
    const upstream = client({ urls: [registry.url] }, { username: 'u', password: 'p' })
    for (let i = 0; i < 3; i++) {
      const response = await upstream.send(get('/v2/app/blobs/sha256:x', 'repository:app:pull'))
      expect(await response.text()).toBe('layer-bytes')
    }
    expect(tokenRequests).toEqual([`Basic ${btoa('u:p')} repository:app:pull`])
    expect(cdn.seen.map((request) => request.headers.get('Authorization'))).toEqual([null, null, null])
    // One 401 to learn the challenge, then the token goes along up front.
    expect(registry.seen.filter((request) => new URL(request.url).pathname !== '/token').length).toBe(4)
  })
  test('a redirect target that challenges gets a token from its own realm, for its own scope', async () => {
    const issued: string[] = []
    const storage = serve((request, url) => {
      if (url.pathname === '/token') {
        issued.push(url.searchParams.get('scope') ?? '')
        return Response.json({ token: `S-${url.searchParams.get('scope')}` })
      }
      const name = url.pathname.split('/')[3]
      const scope = `repository:mirror/${name}:pull`
      if (request.headers.get('Authorization') !== `Bearer S-${scope}`) {
        const challenge = `Bearer realm="${url.origin}/token",service="storage",scope="${scope}"`
        return new Response(null, { status: 401, headers: { 'WWW-Authenticate': challenge } })
      }
      return new Response(`manifest of ${name}`)
    })
    const front = serve((_request, url) => {
      const name = url.pathname.split('/')[2]
      return new Response(null, {
        status: 302,
        headers: { Location: `${storage.url}/v2/mirror/${name}/manifests/1` },
      })
    })
    const upstream = client({ urls: [front.url] })
    for (const name of ['pause', 'etcd', 'pause']) {
      const response = await upstream.send(get(`/v2/${name}/manifests/1`, `repository:${name}:pull`))
      expect(await response.text()).toBe(`manifest of ${name}`)
    }
    expect(issued).toEqual(['repository:mirror/pause:pull', 'repository:mirror/etcd:pull'])
  })
})

describe('availability', () => {
  test('retries with back-off, then fails over to the next URL', async () => {
    let failures = 2
    const flaky = serve(() => (failures-- > 0 ? new Response(null, { status: 503 }) : new Response('ok')))
    expect(
      await (await client({ urls: [flaky.url], maxRetries: 2, retryDelay: '10ms' }).send(get('/v2/'))).text(),
    ).toBe('ok')
    expect(flaky.seen.length).toBe(3)

    const mirror = serve(() => new Response('from mirror'))
    const dead = 'http://127.0.0.1:1'
    expect(await (await client({ urls: [dead, mirror.url] }).send(get('/v2/'))).text()).toBe('from mirror')
  })

  test('no response headers within responseHeaderTimeout is a quick failure', async () => {
    const stuck = serve(async () => {
      await Bun.sleep(10_000)
      return new Response('late')
    })
    const started = performance.now()
    const error = await client({ urls: [stuck.url], responseHeaderTimeout: '200ms' })
      .send(get('/v2/'))
      .catch((e: unknown) => e)
    expect(isUpstreamError(error, 'unavailable')).toBe(true)
    expect(performance.now() - started).toBeLessThan(5000)
  })

  test('429 with Retry-After opens the circuit: later requests fail without reaching the upstream', async () => {
    const limited = serve(() => new Response(null, { status: 429, headers: { 'Retry-After': '30' } }))
    const upstream = client({ urls: [limited.url] })
    const first = await upstream.send(get('/v2/')).catch((e: unknown) => e)
    expect(isUpstreamError(first, 'unavailable') && first.retryAfter).toBe(30_000)
    const second = await upstream.send(get('/v2/')).catch((e: unknown) => e)
    expect(isUpstreamError(second, 'unavailable')).toBe(true)
    expect(limited.seen.length).toBe(1)
    expect(upstream.unavailableFor()).toBeGreaterThan(25_000)
  })

  test('a dead upstream costs three refused connections, then nothing until the cool-down ends', async () => {
    let attempts = 0
    const counting = serve(() => (attempts++, new Response(null, { status: 502 })))
    const upstream = client({ urls: [counting.url] })
    for (let i = 0; i < 10; i++) await upstream.send(get('/v2/')).catch(() => {})
    expect(attempts).toBe(3)
  })
})

describe('limits', () => {
  test('reqConcurrent caps requests in flight and reqPerSec spaces them', async () => {
    let inFlight = 0
    let peak = 0
    const slow = serve(async () => {
      peak = Math.max(peak, ++inFlight)
      await Bun.sleep(50)
      inFlight--
      return new Response('ok')
    })
    const concurrent = client({ urls: [slow.url], reqConcurrent: 2 })
    await Promise.all(Array.from({ length: 8 }, () => concurrent.send(get('/v2/')).then((response) => response.text())))
    expect(peak).toBe(2)

    const paced = client({ urls: [slow.url], reqPerSec: 20 })
    const started = performance.now()
    await Promise.all(Array.from({ length: 6 }, () => paced.send(get('/v2/')).then((response) => response.text())))
    // Six starts 50 ms apart: the last starts after at least 250 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(240)
  })
})
