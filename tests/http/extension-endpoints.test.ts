/**
 * `/v2/_oci/ext/discover` and `/v2/_zot/ext/mgmt` answer in zot's shapes: the `_zot` endpoints the
 * configuration enables, and the sign-in methods without paths or secrets; mgmt is open to
 * anonymous callers, discover needs what `/v2/_catalog` needs.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import bcrypt from 'bcryptjs'
import { parseConfigText } from '../../lib/config'
import { silentLogger } from '../../lib/log/logger'
import { assemble } from '../../lib/server/assemble'
import { makeSelfSignedCertificate } from '../support/tls/certificates'

const directories: string[] = []
afterAll(() => Promise.all(directories.map((d) => rm(d, { recursive: true, force: true }))))

async function registryWith(config: Record<string, unknown>) {
  const rootDirectory = await mkdtemp(join(tmpdir(), 'zot-ext-endpoints-'))
  directories.push(rootDirectory)
  const htpasswd = join(rootDirectory, 'htpasswd')
  await writeFile(htpasswd, `alice:${bcrypt.hashSync('alice-pw', 4)}\n`)
  const tokenCertificate = {
    cert: join(rootDirectory, 'token.crt'),
    key: join(rootDirectory, 'token.key'),
    commonName: 'token-server',
  }
  await makeSelfSignedCertificate(tokenCertificate)
  const text = JSON.stringify({ storage: { rootDirectory: join(rootDirectory, 'data') }, ...config })
    .replaceAll('HTPASSWD', htpasswd)
    .replaceAll('TOKEN_CERT', tokenCertificate.cert)
  const { config: parsed } = await parseConfigText(text, 'json', 'extension endpoints')
  const { app, runtime } = await assemble(parsed, silentLogger())
  afterAll(() => runtime.close())
  return (path: string, init?: RequestInit) => app.request(`http://registry.test${path}`, init)
}

const alice = { Authorization: `Basic ${btoa('alice:alice-pw')}` }

describe('without search', async () => {
  const request = await registryWith({})

  test('discover lists no extension and mgmt does not exist, as in zot', async () => {
    const discover = await request('/v2/_oci/ext/discover')
    expect(discover.status).toBe(200)
    expect(await discover.json()).toEqual({ extensions: [] })
    const mgmt = await request('/v2/_zot/ext/mgmt')
    expect(mgmt.status).toBe(404)
  })

  test('search and userprefs are 404 by any method, as routes zot never registered', async () => {
    expect((await request('/v2/_zot/ext/search', { method: 'POST', body: '{}' })).status).toBe(404)
    expect((await request('/v2/_zot/ext/userprefs?action=toggleStar&repo=x', { method: 'PUT' })).status).toBe(404)
    expect((await request('/v2/_oci/ext/discover', { method: 'DELETE' })).status).toBe(405)
  })
})

describe('with search, UI and htpasswd, OpenID and API keys', async () => {
  const request = await registryWith({
    http: {
      auth: {
        htpasswd: { path: 'HTPASSWD' },
        openid: {
          providers: {
            oidc: {
              name: 'Corporate SSO',
              issuer: 'http://127.0.0.1:1/',
              clientid: 'zot',
              clientsecret: 'very-secret',
              scopes: ['openid', 'email'],
            },
          },
        },
        apikey: true,
      },
    },
    extensions: { search: { enable: true }, ui: { enable: true } },
  })

  test('mgmt answers anonymous callers with versions and sign-in methods, no paths or secrets', async () => {
    const response = await request('/v2/_zot/ext/mgmt')
    expect(response.status).toBe(200)
    const body = (await response.json()) as Record<string, unknown>
    expect(body.releaseTag).toMatch(/^v2\.1\.\d+$/)
    expect(body).toMatchObject({
      distSpecVersion: '1.1.1',
      http: { auth: { htpasswd: {}, openid: { providers: { oidc: { name: 'Corporate SSO' } } }, apikey: true } },
    })
    expect(typeof body.commit).toBe('string')
    expect(typeof body.binaryType).toBe('string')
    const text = JSON.stringify(body)
    expect(text).not.toContain('very-secret')
    expect(text).not.toContain('"path"')
    expect(text).not.toContain(directories[directories.length - 1])
  })

  test('discover needs authentication like the catalog, then lists search, userprefs and mgmt', async () => {
    expect((await request('/v2/_oci/ext/discover')).status).toBe(401)
    const response = await request('/v2/_oci/ext/discover', { headers: alice })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { extensions: { name: string; url: string; endpoints: string[] }[] }
    expect(body.extensions).toHaveLength(1)
    expect(body.extensions[0]).toMatchObject({
      name: '_zot',
      url: expect.stringContaining('_zot.md'),
      description: 'zot registry extensions',
    })
    expect(body.extensions[0]?.endpoints).toEqual([
      '/v2/_zot/ext/search',
      '/v2/_zot/ext/userprefs',
      '/v2/_zot/ext/mgmt',
    ])
  })

  test('an extension this server does not have is a 404', async () => {
    const response = await request('/v2/_zot/ext/notation', { headers: alice })
    expect(response.status).toBe(404)
  })
})

describe('mgmt with bearer tokens and htpasswd', async () => {
  const request = await registryWith({
    http: {
      auth: {
        htpasswd: { path: 'HTPASSWD' },
        bearer: { realm: 'https://auth.example/token', service: 'registry', cert: 'TOKEN_CERT' },
      },
    },
    extensions: { search: {} },
  })

  test('names the realm and service and the password form, nothing else', async () => {
    const body = (await (await request('/v2/_zot/ext/mgmt')).json()) as { http: unknown }
    expect(body.http).toEqual({
      auth: { htpasswd: {}, bearer: { realm: 'https://auth.example/token', service: 'registry' } },
    })
  })
})
