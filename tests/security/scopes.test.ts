/**
 * API-key scopes were enforced only when `accessControl` existed: in zot's most common setup
 * (htpasswd + API keys, no policies) a key scoped `readonly/**:read` pushed over, deleted and
 * listed everything, scraped `/metrics` (every repository's name) and listed its owner's other
 * keys. Scopes now narrow every decision in every configuration; a scoped key cannot scrape
 * metrics or list keys; an unscoped key is still as strong as its owner.
 */
import { describe, expect, test } from 'bun:test'
import { pushSmallImage, startSecurityTarget, type SecurityTarget } from './support'

const METRICS = { extensions: { metrics: { enable: true, prometheus: { path: '/metrics' } } } }
const EVERYTHING = ['read', 'create', 'update', 'delete']
const CONFIGURATIONS: [string, Record<string, unknown>][] = [
  ['without accessControl', METRICS],
  [
    'with accessControl',
    {
      ...METRICS,
      http: {
        accessControl: {
          repositories: { '**': { defaultPolicy: EVERYTHING } },
          metrics: { users: ['bob'] },
        },
      },
    },
  ],
]

const catalog = async (target: SecurityTarget, headers: Record<string, string>) =>
  ((await (await target.request('/v2/_catalog', { headers })).json()) as { repositories: string[] }).repositories

describe.each(CONFIGURATIONS)('a key scoped readonly/**:read, %s', async (_, config) => {
  const target = await startSecurityTarget({ config })
  const bob = target.basic('bob')
  const pushed = await Promise.all([
    pushSmallImage(target, bob, 'readonly/app', 'v1'),
    pushSmallImage(target, bob, 'other/app', 'v1'),
  ])
  const scoped = target.basic('bob', await target.createKey('bob', ['readonly/**:read']))
  const unscoped = target.basic('bob', await target.createKey('bob'))

  test('the owner pushed both repositories', () => {
    expect(pushed.map((push) => push.status)).toEqual([201, 201])
  })

  test('reads inside its scope, and nothing else', async () => {
    expect((await target.request('/v2/readonly/app/manifests/v1', { headers: scoped })).status).toBe(200)
    expect((await target.request('/v2/readonly/app/tags/list', { headers: scoped })).status).toBe(200)
    expect((await target.request('/v2/other/app/manifests/v1', { headers: scoped })).status).toBe(403)
    expect((await target.request('/v2/other/app/tags/list', { headers: scoped })).status).toBe(403)
  })

  test('cannot push or delete, inside its scope or out of it', async () => {
    for (const repository of ['readonly/app', 'other/app', 'new/app']) {
      expect((await pushSmallImage(target, scoped, repository, 'v2')).status).toBe(403)
    }
    for (const repository of ['readonly/app', 'other/app']) {
      const response = await target.request(`/v2/${repository}/manifests/v1`, {
        method: 'DELETE',
        headers: scoped,
      })
      expect(response.status).toBe(403)
    }
    expect((await target.request('/v2/other/app/manifests/v1', { headers: unscoped })).status).toBe(200)
  })

  test('a scope with create pushes inside it only', async () => {
    const ci = target.basic('bob', await target.createKey('bob', ['ci/**:read,create']))
    expect((await pushSmallImage(target, ci, 'ci/app', 'v1')).status).toBe(201)
    expect((await pushSmallImage(target, ci, 'other/app', 'v4')).status).toBe(403)
  })

  test('sees only its scope in the catalog; its owner sees everything', async () => {
    expect(await catalog(target, scoped)).toEqual(['readonly/app'])
    expect(await catalog(target, bob)).toEqual(expect.arrayContaining(['other/app', 'readonly/app']))
  })

  test('cannot scrape metrics, which name every repository; its owner can', async () => {
    const refused = await target.request('/metrics', { headers: scoped })
    expect(refused.status).toBe(403)
    expect(await refused.text()).not.toContain('other/app')
    expect((await target.request('/metrics', { headers: bob })).status).toBe(200)
    expect((await target.request('/metrics', { headers: unscoped })).status).toBe(200)
  })

  test("cannot list its owner's keys; an unscoped key can", async () => {
    const refused = await target.request('/zot/auth/apikey', { headers: scoped })
    expect(refused.status).toBe(403)
    expect(await refused.text()).not.toContain('readonly/**')
    const listed = await target.request('/zot/auth/apikey', { headers: unscoped })
    expect(listed.status).toBe(200)
    expect(((await listed.json()) as { apiKeys: unknown[] }).apiKeys.length).toBeGreaterThanOrEqual(2)
  })

  test('an unscoped key still does everything its owner may', async () => {
    expect((await pushSmallImage(target, unscoped, 'other/app', 'v3')).status).toBe(201)
    const deleted = await target.request(`/v2/other/app/manifests/${pushed[1]?.digest}`, {
      method: 'DELETE',
      headers: unscoped,
    })
    expect(deleted.status).toBe(202)
    expect(await catalog(target, unscoped)).toEqual(await catalog(target, bob))
  })
})
