/**
 * `storage.maxRepos` on the served registry: writes that would create a repository beyond the
 * limit (manifest PUT, upload, mount) get 429 TOOMANYREQUESTS naming the limit; existing
 * repositories take pushes as before; concurrent creations cannot overshoot.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { pushSmallImage, sha256 } from '../security/support'
import { type RunningRegistry, startRegistry } from '../support/server'

const running: RunningRegistry[] = []
afterAll(() => Promise.all(running.map((registry) => registry.stop())))

async function withQuota(maxRepos: number) {
  const registry = await startRegistry({ config: { storage: { maxRepos } } })
  running.push(registry)
  const request = (path: string, init?: RequestInit) => fetch(`${registry.url}${path}`, init)
  return {
    registry,
    request,
    push: (repository: string, tag = 'v1') => pushSmallImage({ request }, {}, repository, tag),
  }
}

describe('a limit of two repositories', async () => {
  const { request, push } = await withQuota(2)

  test('the third repository is refused with the limit; the first two keep taking pushes', async () => {
    expect((await push('one')).status).toBe(201)
    expect((await push('two')).status).toBe(201)
    const blob = new TextEncoder().encode('third')
    const refused = await request(`/v2/three/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob })
    expect(refused.status).toBe(429)
    const body = (await refused.json()) as { errors: { code: string; detail: { limit: string } }[] }
    expect(body.errors[0]?.code).toBe('TOOMANYREQUESTS')
    expect(body.errors[0]?.detail.limit).toBe('2')
    const mount = await request(`/v2/three/blobs/uploads/?mount=${sha256(blob)}&from=one`, { method: 'POST' })
    expect(mount.status).toBe(429)
    expect((await push('one', 'v2')).status).toBe(201)
    const catalog = (await (await request('/v2/_catalog')).json()) as { repositories: string[] }
    expect(catalog.repositories).toEqual(['one', 'two'])
  })
})

describe('concurrent pushes to new names', async () => {
  const { request, push } = await withQuota(3)

  test('admit exactly as many as the limit leaves', async () => {
    expect((await push('first')).status).toBe(201)
    const statuses = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map(async (name) => (await push(name)).status))
    expect(statuses.filter((status) => status === 201)).toHaveLength(2)
    expect(statuses.filter((status) => status === 429)).toHaveLength(4)
    const catalog = (await (await request('/v2/_catalog')).json()) as { repositories: string[] }
    expect(catalog.repositories).toHaveLength(3)
  })
})
