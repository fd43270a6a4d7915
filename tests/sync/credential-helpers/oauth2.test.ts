/**
 * `credentialHelper: "oauth2"`: zot's three grants against a token endpoint that checks each
 * form and assertion (tests/support/counterparts/oauth2-token-endpoint.ts), its access token the
 * password of a private docker-registry; `zot serve` pulls through with the token as password
 * (username `<token>` by default). client_credentials with an assertion minted from a
 * `signingFile` (fresh `jti` each time) and a client secret file, jwt-bearer with a pre-signed
 * `assertionFile`, token exchange with audience; one token for many pulls, refreshed before it
 * expires; a refused exchange logged with its cause and fix; RSA (PKCS#1) and Ed25519 signing
 * keys. And the client_credentials form accepted by a real OpenID provider (oidc-provider),
 * which checks the client assertion itself.
 */
import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPairSync } from 'node:crypto'
import { decodeJwt, exportJWK, exportPKCS8, generateKeyPair, jwtVerify, SignJWT } from 'jose'
import { oauth2Helper } from '../../../lib/sync/upstream/credential-helpers/oauth2'
import { assertion } from '../../../lib/sync/upstream/credential-helpers/oauth2-assertion'
import { startOAuth2TokenEndpoint } from '../../support/counterparts/oauth2-token-endpoint'
import { tempDirectory } from '../../support/temp'
import { holdBackProviderWarnings } from '../../auth/openid/provider-warnings'
import { digestsOf, eventually, logLines, pullTag, skopeoPull, startHelperCache, startPrivateUpstream } from './support'

setDefaultTimeout(120_000)
const ACCESS_TOKEN = 'oauth2-access-token-for-the-registry'
const CLIENT_ID = 'zot-sync'
const keys = await generateKeyPair('ES256', { extractable: true })
const directory = await tempDirectory('oauth2-helper')
const file = async (name: string, content: string) => {
  const path = join(directory, name)
  await writeFile(path, content)
  return path
}
const keyFile = await file('signing.key', await exportPKCS8(keys.privateKey))
const secretFile = await file('client-secret', 'the-client-secret\n')
const signingFile = await file('signing.json', JSON.stringify({ privateKeyFile: keyFile, algorithm: 'ES256' }))
const preSigned = await new SignJWT({})
  .setProtectedHeader({ alg: 'ES256' })
  .setIssuer('https://cluster.example')
  .setSubject('system:serviceaccount:zot:sync')
  .setIssuedAt()
  .setExpirationTime('1h')
  .sign(keys.privateKey)
const assertionFile = await file('assertion.jwt', `${preSigned}\n`)
const endpoint = startOAuth2TokenEndpoint(
  {
    publicKey: keys.publicKey,
    clientId: CLIENT_ID,
    clientSecret: 'the-client-secret',
    scope: 'repository:pull',
    audience: '//sts.example/pools/p/providers/zot',
  },
  ACCESS_TOKEN,
)
const { upstream, images } = await startPrivateUpstream('<token>', ACCESS_TOKEN)
const robot = await startPrivateUpstream('robot', ACCESS_TOKEN, 1)

const common = {
  tokenURL: endpoint.url,
  clientID: CLIENT_ID,
  clientSecretFile: secretFile,
  scopes: ['repository:pull'],
}

describe('oauth2 credential helper', () => {
  test('client_credentials with a signingFile: one exchange for many pulls, skopeo pulls through', async () => {
    const before = endpoint.issued.length
    const cache = await startHelperCache(
      upstream.url,
      {
        credentialHelper: 'oauth2',
        oauth2CredentialHelper: { ...common, signingFile, grantType: 'client_credentials' },
      },
      {},
    )
    const statuses = await Promise.all(Array.from({ length: 9 }, (_, index) => pullTag(cache, String((index % 3) + 1))))
    expect(statuses).toEqual(Array(9).fill(200))
    expect(await skopeoPull(cache, 'app:3')).toEqual(digestsOf(images[2]!))
    expect(endpoint.issued.slice(before)).toEqual([{ grantType: 'client_credentials', at: expect.any(Number) }])
    expect(endpoint.refused).toEqual([])
  })

  test('jwt-bearer with an assertionFile and a username; the token is refreshed before it expires', async () => {
    endpoint.lifetimeSeconds = 6
    const before = endpoint.issued.length
    const cache = await startHelperCache(
      robot.upstream.url,
      {
        credentialHelper: 'oauth2',
        oauth2CredentialHelper: {
          ...common,
          assertionFile,
          grantType: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
          username: 'robot',
        },
      },
      {},
    )
    expect(await pullTag(cache, '1')).toBe(200)
    // 6 s tokens are refreshed from 3 s on (half their lifetime, the minute zot keeps being longer).
    await Bun.sleep(3_500)
    expect(await pullTag(cache, '1')).toBe(200)
    expect(await eventually(() => endpoint.issued.length - before >= 2)).toBe(true)
    expect(endpoint.issued.slice(before).every((issued) => issued.grantType.endsWith(':jwt-bearer'))).toBe(true)
    expect(await pullTag(cache, '1')).toBe(200)
    endpoint.lifetimeSeconds = 3600
  })

  test('token exchange with an audience', async () => {
    const before = endpoint.issued.length
    const cache = await startHelperCache(
      upstream.url,
      {
        credentialHelper: 'oauth2',
        oauth2CredentialHelper: {
          ...common,
          assertionFile,
          grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
          audience: '//sts.example/pools/p/providers/zot',
        },
      },
      {},
    )
    expect(await pullTag(cache, '2')).toBe(200)
    expect(endpoint.issued.slice(before).map((issued) => issued.grantType)).toEqual([
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ])
  })

  test('a refused exchange is logged with the endpoint’s answer and a fix; pulls of misses fail', async () => {
    const wrongSecret = await file('wrong-secret', 'not-the-secret')
    const cache = await startHelperCache(
      upstream.url,
      {
        credentialHelper: 'oauth2',
        oauth2CredentialHelper: { ...common, clientSecretFile: wrongSecret, signingFile },
      },
      {},
    )
    expect(await pullTag(cache, '1')).not.toBe(200)
    expect(await eventually(() => logLines(cache, 'the oauth2 credential helper failed').length > 0)).toBe(true)
    const line = logLines(cache, 'the oauth2 credential helper failed')[0]!
    expect(line).toMatchObject({ level: 'error', credentialHelper: 'oauth2' })
    expect(String(line.error)).toContain('answered 400')
    expect(String(line.error)).toContain('wrong client secret')
    expect(String(line.fix)).toContain('clientID')
  })

  test('signingFile: PKCS#1 RSA and Ed25519 keys sign single-use assertions with zot’s claims', async () => {
    for (const [algorithm, type, encoding] of [
      ['RS256', 'rsa', 'pkcs1'],
      ['EdDSA', 'ed25519', 'pkcs8'],
    ] as const) {
      const pair = generateKeyPairSync(type as 'rsa', { modulusLength: 2048 })
      const pem = pair.privateKey.export({ type: encoding, format: 'pem' }).toString()
      const signing = await file(
        `signing-${algorithm}.json`,
        JSON.stringify({ privateKeyFile: await file(`${algorithm}.pem`, pem), algorithm, keyId: 'k1' }),
      )
      const source = { signingFile: signing, clientID: CLIENT_ID, tokenURL: 'https://idp.example/token' }
      const [one, two] = [await assertion(source), await assertion(source)]
      const { payload, protectedHeader } = await jwtVerify(one!, pair.publicKey, {
        issuer: CLIENT_ID,
        subject: CLIENT_ID,
        audience: 'https://idp.example/token',
      })
      expect(protectedHeader).toMatchObject({ alg: algorithm, kid: 'k1' })
      expect(payload.exp! - payload.iat!).toBe(300)
      expect(payload.jti).not.toBe(decodeJwt(two!).jti)
    }
    const badAlgorithm = await file('signing-bad.json', JSON.stringify({ privateKeyFile: keyFile, algorithm: 'HS256' }))
    await expect(assertion({ signingFile: badAlgorithm })).rejects.toThrow('unsupported algorithm "HS256"')
  })

  test('client_credentials with a private_key_jwt client assertion is accepted by oidc-provider', async () => {
    holdBackProviderWarnings()
    const { default: Provider } = await import('oidc-provider')
    const { createServer } = await import('node:http')
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    const issuer = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: CLIENT_ID,
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          scope: 'registry:pull',
          jwks: { keys: [{ ...(await exportJWK(keys.publicKey)), use: 'sig' }] },
        },
      ],
      scopes: ['registry:pull'],
      features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
      ttl: { ClientCredentials: 600 },
    })
    server.on('request', provider.callback())
    try {
      const helper = oauth2Helper({
        tokenURL: `${issuer}/token`,
        clientID: CLIENT_ID,
        signingFile,
        scopes: ['registry:pull'],
      })
      const first = await helper.fetch('registry.example')
      expect(first.username).toBe('<token>')
      expect(first.expiresAt).toBeGreaterThan(Date.now() + 590_000)
      const stored = await provider.ClientCredentials.find(first.password)
      expect(stored?.clientId).toBe(CLIENT_ID)
      expect(stored?.scope).toBe('registry:pull')
      // A second exchange mints a new assertion (oidc-provider refuses a replayed jti).
      const second = await helper.fetch('registry.example')
      expect(second.password).not.toBe(first.password)
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
