/**
 * `http.ratelimit` on the served registry: a client beyond `rate` (or a method's rate) gets 429
 * TOOMANYREQUESTS with `Retry-After`, another client is not affected, health probes never are,
 * and the bucket refills.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { type RunningRegistry, startRegistry } from '../support/server'

const running: RunningRegistry[] = []
afterAll(() => Promise.all(running.map((registry) => registry.stop())))

async function limited(ratelimit: Record<string, unknown>): Promise<RunningRegistry> {
  const registry = await startRegistry({ config: { http: { ratelimit } } })
  running.push(registry)
  // The readiness poll's GET /v2/ took tokens from this client's bucket: let it refill.
  await Bun.sleep(1_100)
  return registry
}

const statuses = async (count: number, request: () => Promise<Response>): Promise<number[]> => {
  const seen: number[] = []
  for (let i = 0; i < count; i++) {
    const response = await request()
    await response.arrayBuffer()
    seen.push(response.status)
  }
  return seen
}

/** A GET of `/v2/` from another loopback address (Linux routes all of 127/8 to lo). */
async function curlFrom(source: string, url: string): Promise<number> {
  const curl = Bun.spawn(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--interface', source, url])
  return Number(await new Response(curl.stdout).text())
}

describe('a global rate', async () => {
  const registry = await limited({ rate: 5 })

  test('a burst beyond it is refused with the spec body and Retry-After, then the bucket refills', async () => {
    const first = await statuses(20, () => fetch(`${registry.url}/v2/`))
    expect(first.slice(0, 5)).toEqual([200, 200, 200, 200, 200])
    expect(first).toContain(429)
    const refused = await fetch(`${registry.url}/v2/`)
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1)
    const body = (await refused.json()) as { errors: { code: string }[] }
    expect(body.errors[0]?.code).toBe('TOOMANYREQUESTS')
    await Bun.sleep(1_100)
    expect((await fetch(`${registry.url}/v2/`)).status).toBe(200)
  })

  test('health probes are never limited, and another client has its own bucket', async () => {
    await statuses(10, () => fetch(`${registry.url}/v2/`))
    expect(await statuses(10, () => fetch(`${registry.url}/livez`))).toEqual(Array(10).fill(200))
    expect(await curlFrom('127.0.0.2', `${registry.url}/v2/`)).toBe(200)
  })
})

describe('a per-method rate', async () => {
  const registry = await limited({ methods: [{ method: 'GET', rate: 2 }] })

  test('limits that method only', async () => {
    const gets = await statuses(8, () => fetch(`${registry.url}/v2/`))
    expect(gets.slice(0, 2)).toEqual([200, 200])
    expect(gets).toContain(429)
    const heads = await statuses(8, () => fetch(`${registry.url}/v2/`, { method: 'HEAD' }))
    expect(heads).toEqual(Array(8).fill(200))
  })
})
