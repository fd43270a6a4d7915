import { describe, expect, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { basicAuthorization } from '../../lib/auth/basic-credentials'
import { anonymousPrincipal } from '../../lib/auth/policy/principal'
import { buildImage, errorCode, pushImage, putManifest } from '../http/harness'
import { authRegistry } from './registry'
import { fixtureConfig, tempDirectory, user } from './support'

const directory = await tempDirectory('flows')
const htpasswd = join(directory, 'htpasswd')
await writeFile(
  htpasswd,
  ['runner', 'admin', 'dev'].map((name) => `${name}:${bcrypt.hashSync(`${name}-pw`, 4)}`).join('\n'),
)
const basic = (name: string, password = `${name}-pw`) => ({
  Authorization: basicAuthorization(name, password),
})

/** blumeops' policy with htpasswd users standing in for its OpenID groups. */
async function blumeops(rootDirectory?: string) {
  const config = await fixtureConfig('blumeops-oidc-apikeys.json')
  return authRegistry({
    auth: { htpasswd: { path: htpasswd }, apikey: true },
    accessControl: {
      ...config.http.accessControl,
      groups: { 'artifact-workloads': { users: ['runner'] }, admins: { users: ['admin'] } },
    },
    ...(rootDirectory && { rootDirectory }),
  })
}

describe('pushes and pulls through the real registry', async () => {
  const r = await blumeops()
  const runner = r.as(basic('runner'))
  const admin = r.as(basic('admin'))

  test('CI pushes a new tag; anonymous pulls it; CI cannot move or delete it; admin can', async () => {
    const image = await pushImage(runner, 'blumeops/app', 'v1')
    const pulled = await r.anonymous.request(`/v2/blumeops/app/manifests/v1`)
    expect(pulled.status).toBe(200)
    expect(new Uint8Array(await pulled.arrayBuffer())).toEqual(image.manifest)

    const other = await buildImage(runner, 'blumeops/app')
    const moved = await putManifest(runner, 'blumeops/app', 'v1', other.manifest)
    expect(moved.status).toBe(403)
    expect(await errorCode(moved)).toBe('DENIED')
    expect((await runner.request('/v2/blumeops/app/manifests/v1', { method: 'DELETE' })).status).toBe(403)
    // Re-pushing the very same manifest under the same tag is still `update`: zot's rule.
    expect((await putManifest(runner, 'blumeops/app', 'v1', image.manifest)).status).toBe(403)
    expect((await putManifest(runner, 'blumeops/app', `${other.digest}?tag=v2`, other.manifest)).status).toBe(201)
    expect((await putManifest(runner, 'blumeops/app', `${other.digest}?tag=v2&tag=v1`, other.manifest)).status).toBe(
      403,
    )

    expect((await putManifest(admin, 'blumeops/app', 'v1', other.manifest)).status).toBe(201)
    expect((await admin.request('/v2/blumeops/app/manifests/v1', { method: 'DELETE' })).status).toBe(202)
  })

  test('anonymous pushes are challenged, anonymous pings too (the docker trap), pulls are not', async () => {
    const ping = await r.anonymous.request('/v2/')
    expect(ping.status).toBe(401)
    expect(ping.headers.get('WWW-Authenticate')).toBe('Basic realm="Authorization Required"')
    expect(ping.headers.get('Docker-Distribution-API-Version')).toBe('registry/2.0')
    const push = await r.anonymous.request('/v2/blumeops/x/blobs/uploads/', { method: 'POST' })
    expect(push.status).toBe(401)
    expect((await r.anonymous.request('/v2/blumeops/app/tags/list')).status).toBe(200)
    expect((await runner.request('/v2/')).status).toBe(200)
  })

  test('an API key made by the CI user pushes like the user; its scopes narrow it', async () => {
    const created = await runner.request('/zot/auth/apikey', {
      method: 'POST',
      body: JSON.stringify({ label: 'ci', scopes: ['blumeops/ci-*:read,create'] }),
    })
    expect(created.status).toBe(201)
    const { apiKey } = (await created.json()) as { apiKey: string }
    const keyed = r.as(basic('runner', apiKey))
    await pushImage(keyed, 'blumeops/ci-tool', 'v1')
    const outside = await keyed.request('/v2/blumeops/other/blobs/uploads/', { method: 'POST' })
    expect(outside.status).toBe(403)
  })

  test('keys live in the registry storage under _zot and survive a restart; _zot is no repository', async () => {
    const created = await admin.request('/zot/auth/apikey', {
      method: 'POST',
      body: '{"label":"persist"}',
    })
    const { apiKey } = (await created.json()) as { apiKey: string }
    expect(await readdir(join(r.rootDirectory, '_zot', 'apikeys'))).toContain('hashes')
    const restarted = await blumeops(r.rootDirectory)
    expect((await restarted.as(basic('admin', apiKey)).request('/v2/')).status).toBe(200)
    const catalog = (await (await restarted.as(basic('admin')).request('/v2/_catalog')).json()) as {
      repositories: string[]
    }
    expect(catalog.repositories.some((name) => name.startsWith('_'))).toBe(false)
  })
})

describe('catalog filtering helper', async () => {
  const r = await authRegistry({
    auth: { htpasswd: { path: htpasswd } },
    accessControl: {
      repositories: {
        '**': { anonymousPolicy: ['read'], defaultPolicy: ['read'] },
        'private/**': { policies: [{ users: ['dev'], actions: ['read'] }] },
      },
    },
  })
  test('keeps what the principal may read', () => {
    const all = ['private/a', 'public/b']
    expect(r.auth.readable(anonymousPrincipal(), all)).toEqual(['public/b'])
    expect(r.auth.readable(user('dev'), all)).toEqual(all)
    expect(r.auth.readable(user('runner'), all)).toEqual(['public/b'])
  })
})
