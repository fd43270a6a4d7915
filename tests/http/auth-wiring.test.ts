/**
 * The assembled registry enforces `http.auth` and `http.accessControl` on the distribution API:
 * challenges, grants, catalog filtering and cross-repository mounts.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import bcrypt from 'bcryptjs'
import { parseConfigText } from '../../lib/config'
import { silentLogger } from '../../lib/log/logger'
import { digestOf } from '../../lib/oci/digest'
import { assemble } from '../../lib/server/assemble'
import { createTestStorage, type TestStorage } from '../support/storage-under-test'

const directories: string[] = []
const storages: TestStorage[] = []
afterAll(async () => {
  await Promise.all(directories.map((d) => rm(d, { recursive: true, force: true })))
  await Promise.all(storages.map((storage) => storage.remove()))
})

const basic = (user: string, password: string) => ({ Authorization: `Basic ${btoa(`${user}:${password}`)}` })

describe('auth on the distribution API', async () => {
  const rootDirectory = await mkdtemp(join(tmpdir(), 'zot-auth-wiring-'))
  directories.push(rootDirectory)
  const storage = await createTestStorage({ label: 'http-auth' })
  storages.push(storage)
  const htpasswd = join(rootDirectory, 'htpasswd')
  await writeFile(
    htpasswd,
    `${['alice', 'bob', 'carol'].map((user) => `${user}:${bcrypt.hashSync(`${user}-pw`, 4)}`).join('\n')}\n`,
  )
  const { config } = await parseConfigText(
    JSON.stringify({
      storage: storage.config,
      http: {
        realm: 'test-realm',
        auth: { htpasswd: { path: htpasswd } },
        accessControl: {
          repositories: {
            'public/**': {
              anonymousPolicy: ['read'],
              defaultPolicy: ['read'],
              policies: [{ users: ['alice'], actions: ['read', 'create', 'update', 'delete'] }],
            },
            'private/**': { policies: [{ users: ['alice'], actions: ['read', 'create'] }] },
            'scratch/**': { policies: [{ users: ['carol'], actions: ['read', 'create'] }] },
          },
        },
      },
      log: { level: 'error' },
    }),
    'json',
    'auth wiring',
  )
  const { app } = await assemble(config, silentLogger())
  const request = (path: string, init?: RequestInit) => app.request(`http://registry.test${path}`, init)
  const blob = new TextEncoder().encode('auth blob')
  const digest = digestOf(blob)
  const push = (repository: string, headers: Record<string, string>) =>
    request(`/v2/${repository}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: blob, headers })

  test('anonymous pushes are challenged with Basic and the realm', async () => {
    const response = await push('public/app', {})
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toBe('Basic realm="test-realm"')
  })

  test('a granted user pushes; a wrong password is 401 even where anonymous reads are allowed', async () => {
    expect((await push('public/app', basic('alice', 'alice-pw'))).status).toBe(201)
    expect((await push('private/secret', basic('alice', 'alice-pw'))).status).toBe(201)
    expect((await request(`/v2/public/app/blobs/${digest}`, { headers: basic('alice', 'wrong') })).status).toBe(401)
  })

  test('an authenticated user without the right gets 403 DENIED', async () => {
    const response = await push('public/app', basic('bob', 'bob-pw'))
    expect(response.status).toBe(403)
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('DENIED')
  })

  test('anonymous pulls work where anonymousPolicy allows them, and nowhere else', async () => {
    expect((await request(`/v2/public/app/blobs/${digest}`)).status).toBe(200)
    expect((await request(`/v2/private/secret/blobs/${digest}`)).status).toBe(401)
  })

  test('GET /v2/ challenges anonymous clients so docker sends its stored credentials', async () => {
    expect((await request('/v2/')).status).toBe(401)
    expect((await request('/v2/', { headers: basic('bob', 'bob-pw') })).status).toBe(200)
  })

  test('the catalog lists only readable repositories', async () => {
    const catalog = async (headers: Record<string, string>) =>
      ((await (await request('/v2/_catalog', { headers })).json()) as { repositories: string[] }).repositories
    expect(await catalog(basic('alice', 'alice-pw'))).toEqual(['private/secret', 'public/app'])
    expect(await catalog(basic('bob', 'bob-pw'))).toEqual(['public/app'])
  })

  test('a mount only copies from a repository the client may read', async () => {
    const mounted = await request(`/v2/public/other/blobs/uploads/?mount=${digest}&from=private/secret`, {
      method: 'POST',
      headers: basic('alice', 'alice-pw'),
    })
    expect(mounted.status).toBe(201)
    // carol may push to scratch/ but not read private/: she gets a plain session, not the blob.
    const refused = await request(`/v2/scratch/mine/blobs/uploads/?mount=${digest}&from=private/secret`, {
      method: 'POST',
      headers: basic('carol', 'carol-pw'),
    })
    expect(refused.status).toBe(202)
    expect(
      (await request(`/v2/scratch/mine/blobs/${digest}`, { method: 'HEAD', headers: basic('carol', 'carol-pw') }))
        .status,
    ).toBe(404)
  })
})
