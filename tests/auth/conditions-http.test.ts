/**
 * @module
 * zot's policy `conditions` on a real registry (a child process with htpasswd users): each `req`
 * variable grants and denies over HTTP, the 403 carries the condition's message as
 * `detail.reason`, an expression that fails to evaluate denies without saying why, the catalog
 * is judged on its own request, SIGHUP swaps the conditions, and skopeo is refused by one.
 */
import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import { readFile, writeFile } from 'node:fs/promises'
import { createClientEnvironment, CommandError } from '../support/clients'
import { buildRandomImage } from '../support/images/images'
import { OciLayout } from '../support/oci-layout'
import { pushSmallImage, sha256, startSecurityTarget } from '../security/support'

setDefaultTimeout(60_000)

const ALL = ['read', 'create', 'update', 'delete']
const PAST = 'timestamp("2000-01-01T00:00:00Z")'
const only = (users: string[], actions: string[], expression: string, message = '') => ({
  policies: [{ users, actions, conditions: [{ expression, message }] }],
})

const accessControl = {
  repositories: {
    'time/**': {
      policies: [
        { users: ['alice'], actions: ['read'], conditions: [{ expression: `req.time < ${PAST}`, message: 'closed' }] },
        { users: ['bob'], actions: ['read'], conditions: [{ expression: `req.time > ${PAST}` }] },
      ],
    },
    'method/**': only(['alice'], ['read'], 'req.method == "GET"', 'GET only'),
    'immutable/**': only(
      ['alice'],
      ['read', 'create', 'update'],
      'req.action != "update" || req.referenceType == "digest"',
      'tags are immutable',
    ),
    'bydigest/**': only(['alice'], ['read'], 'req.referenceType == "digest" && req.digest == req.reference'),
    'bytag/**': only(['alice'], ['read'], 'req.tag == "stable"', 'only the stable tag'),
    'repo/**': only(['alice'], ['read'], 'req.repository.startsWith("repo/public/")', 'private repository'),
    'agent/**': only(
      ['alice'],
      ALL,
      'req.action == "read" || req.userAgent.startsWith("ci-bot/")',
      'pushes from CI only',
    ),
    'ip/**': {
      policies: [
        { users: ['alice'], actions: ['read'], conditions: [{ expression: 'req.client.ip == "127.0.0.1"' }] },
        {
          users: ['bob'],
          actions: ['read'],
          conditions: [{ expression: 'req.client.ip == "10.9.9.9"', message: 'not from your address' }],
        },
      ],
    },
    'groups/**': {
      policies: [
        {
          groups: ['ops'],
          actions: ['read'],
          conditions: [
            { expression: '"ops" in req.user.groups && req.user.username == "carol"', message: 'carol only' },
          ],
        },
      ],
    },
    'auth/**': only(['alice', 'root'], ['read'], 'req.auth.admin && !req.auth.anonymous', 'admins only'),
    'broken/**': only(['alice'], ['read'], 'req.client.forwardedFor[0] == "10.1.1.1"', 'never shown'),
    'swap/**': only(['alice'], ['read'], 'req.method == "HEAD"', 'before reload'),
    'open/**': only(['alice'], ALL, 'req.method != "DELETE"'),
  },
  adminPolicy: {
    users: ['root'],
    actions: ['create', 'update', 'delete'],
    conditions: [{ expression: 'req.method != "DELETE" || req.repository.startsWith("time/")', message: 'no deletes' }],
  },
  groups: { ops: { users: ['carol', 'dave'] } },
}

const target = await startSecurityTarget({
  users: ['alice', 'bob', 'carol', 'dave', 'root'],
  config: { http: { accessControl } },
})
const as = (user: string, headers: Record<string, string> = {}) => ({ ...target.basic(user), ...headers })
const get = (path: string, user: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  target.request(path, { ...init, headers: as(user, init.headers) })
const reasonOf = async (response: Response): Promise<unknown> =>
  ((await response.json()) as { errors: { detail: { reason?: string } }[] }).errors[0]?.detail.reason
/** alice PUTs a manifest to `/v2/<path>`. */
const putManifest = (path: string, manifest: string) =>
  target.request(`/v2/${path}`, {
    method: 'PUT',
    headers: as('alice', { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' }),
    body: manifest,
  })
/** A 403 whose `detail.reason` is the condition's message (none: undefined). */
async function expectDenied(answer: Promise<Response>, reason: string | undefined): Promise<void> {
  const response = await answer
  expect(response.status).toBe(403)
  expect(await reasonOf(response)).toBe(reason)
}

// root (admin: create, update, delete) pushes one image everywhere.
const pushed = new Map<string, string>()
for (const repository of Object.keys(accessControl.repositories).map((glob) => glob.replace('/**', '/app'))) {
  const result = await pushSmallImage(target, as('root'), repository, 'stable')
  if (result.status !== 201) throw new Error(`setup push to ${repository}: ${result.status}`)
  pushed.set(repository, result.digest)
}
await pushSmallImage(target, as('root'), 'repo/public/app', 'stable')
const digestOf = (repository: string) => pushed.get(repository) ?? ''

describe('each req variable grants and denies over HTTP', () => {
  test('req.time: a window that closed denies with the message, one that opened grants', async () => {
    await expectDenied(get('/v2/time/app/manifests/stable', 'alice'), 'closed')
    expect((await get('/v2/time/app/manifests/stable', 'bob')).status).toBe(200)
  })

  test('req.method: GET passes, HEAD is refused', async () => {
    expect((await get('/v2/method/app/manifests/stable', 'alice')).status).toBe(200)
    expect((await get('/v2/method/app/manifests/stable', 'alice', { method: 'HEAD' })).status).toBe(403)
  })

  test('req.action and req.referenceType: tag immutability, pushes by digest still allowed', async () => {
    expect((await pushSmallImage(target, as('alice'), 'immutable/app', 'v2')).status).toBe(201)
    const moved = await pushSmallImage(target, as('alice'), 'immutable/app', 'v2')
    expect(moved.status).toBe(403)
    // A push by digest that moves an existing tag is judged for the tag too (zot).
    const again = await pushSmallImage(target, as('alice'), 'immutable/app', 'v3')
    expect(again.status).toBe(201)
    await expectDenied(
      putManifest(`immutable/app/manifests/${again.digest}?tag=v2`, again.manifest),
      'tags are immutable',
    )
    expect((await putManifest(`immutable/app/manifests/${again.digest}`, again.manifest)).status).toBe(201)
  })

  test('moving a tag answers 403 with the message', async () => {
    const moved = await pushSmallImage(target, as('alice'), 'immutable/app', 'stable')
    expect(moved.status).toBe(403)
    const response = await putManifest('immutable/app/manifests/stable', moved.manifest)
    expect(await response.json()).toMatchObject({
      errors: [{ code: 'DENIED', detail: { reason: 'tags are immutable' } }],
    })
  })

  test('req.digest and req.tag: by digest only, or one tag only; blobs have no reference', async () => {
    expect((await get(`/v2/bydigest/app/manifests/${digestOf('bydigest/app')}`, 'alice')).status).toBe(200)
    expect((await get('/v2/bydigest/app/manifests/stable', 'alice')).status).toBe(403)
    expect((await get('/v2/bytag/app/manifests/stable', 'alice')).status).toBe(200)
    await expectDenied(get(`/v2/bytag/app/manifests/${digestOf('bytag/app')}`, 'alice'), 'only the stable tag')
    expect((await get('/v2/bytag/app/tags/list', 'alice')).status).toBe(403)
  })

  test('req.repository', async () => {
    expect((await get('/v2/repo/public/app/manifests/stable', 'alice')).status).toBe(200)
    await expectDenied(get('/v2/repo/app/manifests/stable', 'alice'), 'private repository')
  })

  test('req.userAgent: pushes only from the CI user agent', async () => {
    const refused = await pushSmallImage(target, as('alice', { 'User-Agent': 'curl/8' }), 'agent/app', 'v2')
    expect(refused.status).toBe(403)
    const accepted = await pushSmallImage(target, as('alice', { 'User-Agent': 'ci-bot/1.0' }), 'agent/app', 'v2')
    expect(accepted.status).toBe(201)
    expect((await get('/v2/agent/app/manifests/v2', 'alice', { headers: { 'User-Agent': 'curl/8' } })).status).toBe(200)
  })

  test('req.client.ip is the TCP peer; X-Forwarded-For does not change it', async () => {
    expect((await get('/v2/ip/app/manifests/stable', 'alice')).status).toBe(200)
    await expectDenied(
      get('/v2/ip/app/manifests/stable', 'bob', { headers: { 'X-Forwarded-For': '10.9.9.9' } }),
      'not from your address',
    )
  })

  test('req.user.username and req.user.groups (static groups)', async () => {
    expect((await get('/v2/groups/app/manifests/stable', 'carol')).status).toBe(200)
    await expectDenied(get('/v2/groups/app/manifests/stable', 'dave'), 'carol only')
  })

  test('req.auth.admin and req.auth.anonymous', async () => {
    expect((await get('/v2/auth/app/manifests/stable', 'root')).status).toBe(200)
    expect((await get('/v2/auth/app/manifests/stable', 'alice')).status).toBe(403)
    expect((await target.request('/v2/auth/app/manifests/stable')).status).toBe(401)
  })

  test("adminPolicy's conditions gate the admin grant, with their message", async () => {
    await expectDenied(
      get(`/v2/method/app/manifests/${digestOf('method/app')}`, 'root', { method: 'DELETE' }),
      'no deletes',
    )
    const scratch = await pushSmallImage(target, as('root'), 'time/app', 'scratch')
    expect((await get(`/v2/time/app/manifests/${scratch.digest}`, 'root', { method: 'DELETE' })).status).toBe(202)
  })

  test('an expression that fails to evaluate denies, without revealing why; it grants once it evaluates true', async () => {
    await expectDenied(get('/v2/broken/app/manifests/stable', 'alice'), undefined)
    const headers = { 'X-Forwarded-For': '10.1.1.1, 10.0.0.2' }
    expect((await get('/v2/broken/app/manifests/stable', 'alice', { headers })).status).toBe(200)
    expect(target.logs()).toContain('a policy condition failed to evaluate')
  })

  test('a cross-repository mount reads its source only where the conditions let the client read', async () => {
    const layerOf = async (repository: string) => {
      const response = await get(`/v2/${repository}/manifests/stable`, 'alice')
      return ((await response.json()) as { layers: { digest: string }[] }).layers[0]?.digest ?? ''
    }
    const mount = (from: string, digest: string) =>
      get(`/v2/open/mounted/blobs/uploads/?mount=${digest}&from=${from}`, 'alice', { method: 'POST' })
    expect((await mount('repo/public/app', await layerOf('repo/public/app'))).status).toBe(201)
    // repo/app is private to alice: no mount, an ordinary upload session instead (as the spec says).
    expect((await pushSmallImage(target, as('root'), 'repo/app', 'known', 'mount-test-of-the-conditions')).status).toBe(
      201,
    )
    expect(
      (await mount('repo/app', sha256(new TextEncoder().encode('layer mount-test-of-the-conditions')))).status,
    ).toBe(202)
  })

  test('the catalog is judged on its own request', async () => {
    const response = await get('/v2/_catalog', 'alice', { headers: { 'User-Agent': 'curl/8' } })
    const { repositories } = (await response.json()) as { repositories: string[] }
    expect(repositories).toContain('repo/public/app')
    expect(repositories).toContain('agent/app')
    expect(repositories).toContain('method/app')
    expect(repositories).not.toContain('repo/app')
    expect(repositories).not.toContain('time/app')
    expect(repositories).not.toContain('bydigest/app')
  })
})

test('skopeo is refused by a user-agent condition (it shows no detail), and passes another condition', async () => {
  const client = await createClientEnvironment([target.host])
  try {
    const layout = await OciLayout.create(await client.scratch('image'))
    await buildRandomImage(layout, 'v1')
    const copy = (repository: string) =>
      client.skopeo([
        'copy',
        '--dest-creds',
        'alice:alice-pw',
        `oci:${layout.directory}:v1`,
        `docker://${target.host}/${repository}:v1`,
      ])
    const error = await copy('agent/skopeo').then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(CommandError)
    expect((error as CommandError).result.stderr).toMatch(/denied|403/i)
    await copy('open/skopeo')
    expect((await get('/v2/open/skopeo/manifests/v1', 'alice')).status).toBe(200)
  } finally {
    await client.cleanup()
  }
})

test('SIGHUP swaps the conditions; a reload with a broken one keeps the running ones', async () => {
  expect((await get('/v2/swap/app/manifests/stable', 'alice')).status).toBe(403)
  const configPath = (await readFile(`/proc/${target.pid}/cmdline`, 'utf8')).split('\0').filter(Boolean).at(-1) ?? ''
  const config = JSON.parse(await readFile(configPath, 'utf8'))
  const swap = config.http.accessControl.repositories['swap/**'].policies[0]
  swap.conditions = [{ expression: 'req.method == "GET"', message: 'after reload' }]
  await writeFile(configPath, JSON.stringify(config))
  target.kill('SIGHUP')
  await waitFor(async () => (await get('/v2/swap/app/manifests/stable', 'alice')).status === 200)

  swap.conditions = [{ expression: 'req.methd == "GET"', message: 'typo' }]
  await writeFile(configPath, JSON.stringify(config))
  target.kill('SIGHUP')
  await waitFor(async () => target.logs().includes('req.methd'))
  expect(target.logs()).toContain('conditions[0].expression')
  expect((await get('/v2/swap/app/manifests/stable', 'alice')).status).toBe(200)
})

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await Bun.sleep(50)
  }
}
