import { describe, expect, test } from 'bun:test'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setupAuth, type AuthSetupOptions } from '../../lib/auth/setup'
import { UI_CLIENT_HEADER, UI_CLIENT_VALUE } from '../../lib/auth/sessions/ui-client'
import { createLogger } from '../../lib/log/logger'
import type { AuthConfig } from '../../lib/config'
import { createStateStore } from '../../lib/registry/storage/state-store'
import { memoryDriver } from './memory-driver'
import { authConfigOf, fixtureConfig, fixturePath, tempDirectory, testApp } from './support'

const directory = await tempDirectory('setup')
const htpasswd = join(directory, 'htpasswd')
await writeFile(htpasswd, '')

function setup(config: Partial<AuthSetupOptions>, warnings: string[] = []) {
  const logger = createLogger({ level: 'warn', write: (line) => warnings.push(line) })
  return setupAuth({
    tls: false,
    state: createStateStore(memoryDriver()),
    tagExists: async () => false,
    logger,
    ...config,
  })
}

/** A fixture's auth with its files pointed at local copies (as the fixtures README says). */
async function fixtureAuth(
  name: string,
): Promise<{ auth?: AuthConfig; config: Awaited<ReturnType<typeof fixtureConfig>> }> {
  const config = await fixtureConfig(name)
  const auth = structuredClone(config.http.auth)
  if (auth?.htpasswd) auth.htpasswd.path = htpasswd
  for (const provider of Object.values(auth?.openid?.providers ?? {})) {
    if (provider.credentialsFile) provider.credentialsFile = fixturePath('files/oidc-credentials.json')
  }
  return { auth, config }
}

describe('setupAuth on the real-world configs', () => {
  test.each([
    'blumeops-oidc-apikeys.json',
    'lumie-s3-oidc-mirror.json',
    'homelab-s3-htpasswd-oidc.json',
    'handbook-full.json',
  ])('%s builds without contacting anything', async (name) => {
    const { auth, config } = await fixtureAuth(name)
    const built = await setup({
      auth,
      accessControl: config.http.accessControl,
      externalUrl: config.http.externalUrl,
    })
    expect(built.authenticating).toBe(true)
    expect(built.middleware).toHaveLength(2)
  })

  test('an unknown provider kind next to an OIDC provider is reported and skipped', async () => {
    const { auth } = await fixtureAuth('handbook-openid-two-providers.json')
    const providers = auth?.openid?.providers
    const oidc = providers?.oidc
    if (!providers || !oidc) throw new Error('the fixture has an oidc provider')
    providers.keycloak = { ...oidc }
    const warnings: string[] = []
    const built = await setup({ auth }, warnings)
    expect(built.authenticating).toBe(true)
    expect(warnings.join('\n')).toContain('openid.keycloak')
    expect(warnings.join('\n')).not.toContain('openid.github')
  })

  test('a config whose only methods are unsupported refuses to run open', async () => {
    const { auth } = await fixtureAuth('handbook-openid-two-providers.json')
    const oidc = auth?.openid?.providers.oidc
    if (!auth?.openid || !oidc) throw new Error('the fixture has an oidc provider')
    auth.openid.providers = { keycloak: oidc }
    auth.apikey = false
    await expect(setup({ auth })).rejects.toThrow(/openid\.keycloak/)
  })

  test('an LDAP-only config builds without contacting the directory', async () => {
    const { auth } = await fixtureAuth('handbook-ldap.json')
    const warnings: string[] = []
    const built = await setup({ auth }, warnings)
    expect(built.authenticating).toBe(true)
    expect(warnings.join('\n')).not.toContain('ldap')
  })

  test('no auth at all: only authorization, and the ping answers 200', async () => {
    const built = await setup({})
    expect(built.authenticating).toBe(false)
    const app = testApp(built.middleware)
    expect((await app.request('/v2/')).status).toBe(200)
    expect(built.readable(undefined, ['a', 'b'])).toEqual(['a', 'b'])
  })

  test('401s to the zot UI carry no Basic challenge (no browser password dialog)', async () => {
    const built = await setup({ auth: authConfigOf({ htpasswd: { path: htpasswd } }), realm: 'zot' })
    const app = testApp(built.middleware)
    expect((await app.request('/v2/')).headers.get('WWW-Authenticate')).toBe('Basic realm="zot"')
    const ui = await app.request('/v2/', { headers: { [UI_CLIENT_HEADER]: UI_CLIENT_VALUE } })
    expect(ui.status).toBe(401)
    expect(ui.headers.get('WWW-Authenticate')).toBeNull()
  })
})
