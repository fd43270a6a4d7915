/**
 * OpenID user names share one name space with htpasswd users, and the default claim naming them
 * is `email`. An IdP account with an unverified address (anyone can type `alice@example.test`
 * at many IdPs) used to log in as that address's owner. Now a name taken from `email` needs
 * `email_verified: true`; a mapping to another claim (`claimMapping.username`) is unaffected.
 * Against the served registry and a real OpenID provider (oidc-provider).
 */
import { describe, expect, test } from 'bun:test'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CookieJar } from '../auth/cookie-jar'
import { browse, startIdentityProvider } from '../auth/openid/identity-provider'
import { tempDirectory } from '../support/temp'
import { startSecurityTarget, writeHtpasswd, type SecurityTarget } from './support'

/** The registry's `externalUrl`: the IdP only knows this origin; requests to it go to the target. */
const REGISTRY = 'http://registry.test'
const idp = await startIdentityProvider([
  { client_id: 'zot', client_secret: 'zot-secret', redirect_uris: [`${REGISTRY}/zot/auth/callback/oidc`] },
])
idp.accounts.set('impostor', { email: 'alice@example.test', email_verified: false })
idp.accounts.set('erin', { email: 'erin@example.test', email_verified: true })
idp.accounts.set('carol', { email: 'carol@example.test', email_verified: true })

const directory = await tempDirectory('openid-email')
const credentialsFile = join(directory, 'oidc.json')
await writeFile(credentialsFile, JSON.stringify({ clientid: 'zot', clientsecret: 'zot-secret' }))

async function target(claimMapping?: { username: string }): Promise<SecurityTarget> {
  return startSecurityTarget({
    users: ['alice@example.test', 'carol@example.test'],
    config: {
      http: {
        externalUrl: REGISTRY,
        auth: {
          openid: {
            providers: {
              oidc: {
                issuer: idp.issuer,
                credentialsFile,
                scopes: ['openid', 'profile', 'email'],
                ...(claimMapping && { claimMapping }),
              },
            },
          },
        },
      },
    },
  })
}

/** Logs in through the IdP like a browser; the callback's answer and the cookies it left. */
async function login(registry: SecurityTarget, account: string) {
  const jar = new CookieJar()
  const { response } = await browse(`${REGISTRY}/zot/auth/login?provider=oidc&callback_ui=/home`, {
    jar,
    registry: (url, init) => fetch(url.replace(REGISTRY, registry.url), init),
    registryOrigin: REGISTRY,
    login: account,
  })
  const session = { Cookie: jar.header(REGISTRY), 'X-ZOT-API-CLIENT': 'zot-ui' }
  const user = jar.get(REGISTRY, 'user')
  return { status: response.status, session, user: user && decodeURIComponent(user) }
}

describe('user names from the email claim (the default mapping)', async () => {
  const registry = await target()

  test('an unverified email names nobody: the login is refused and no session starts', async () => {
    const { status, session, user } = await login(registry, 'impostor')
    expect(status).toBe(401)
    expect(user).toBeUndefined()
    expect((await registry.request('/v2/', { headers: session })).status).toBe(401)
  })

  test('a verified email logs in', async () => {
    const { status, session, user } = await login(registry, 'erin')
    expect(status).toBe(302)
    expect(user).toBe('erin@example.test')
    expect((await registry.request('/v2/', { headers: session })).status).toBe(200)
  })

  test('one name space: the IdP account named carol@example.test is the htpasswd user of that name', async () => {
    const key = await registry.createKey('carol@example.test')
    const { session } = await login(registry, 'carol')
    const listed = (await (await registry.request('/zot/auth/apikey', { headers: session })).json()) as {
      apiKeys: unknown[]
    }
    expect(listed.apiKeys).toHaveLength(1)
    // Gone from htpasswd, carol still exists through the IdP (no directory to ask), so her key
    // stands until revoked or expired.
    await writeHtpasswd(registry.htpasswdPath, ['alice@example.test'])
    await Bun.sleep(1500)
    const withKey = { headers: registry.basic('carol@example.test', key) }
    expect((await registry.request('/v2/', withKey)).status).toBe(200)
  })
})

describe('user names from another claim', async () => {
  const registry = await target({ username: 'preferred_username' })

  test('email verification does not apply: the name is not the email', async () => {
    const { status, user } = await login(registry, 'impostor')
    expect(status).toBe(302)
    expect(user).toBe('impostor')
  })
})
