/**
 * Bearer tokens checked with keys from AWS Secrets Manager (`http.auth.bearer.awsSecretsManager`)
 * through served registries and a Secrets Manager endpoint the tests start
 * (tests/support/counterparts/secrets-manager.ts), which answers only requests that the real SDK
 * signed (SigV4) with the configured region and the credentials of the registry's environment.
 * The token's `kid` picks the key; key rotation by the refresh interval and by an unknown `kid`
 * (bounded); one read for many concurrent requests; the last good keys while the endpoint is down
 * or the secret malformed; 503 when no key was ever read (missing, binary or unreadable secret);
 * skopeo following the challenge.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { exportJWK, exportSPKI, type GenerateKeyPairResult, generateKeyPair, SignJWT } from 'jose'
import { CommandError, createClientEnvironment } from '../../support/clients'
import { startSecretsManager } from '../../support/counterparts/secrets-manager'
import { startTokenServer, type TokenSigner } from '../../support/counterparts/token-server'
import { buildRandomImage } from '../../support/images/images'
import { OciLayout } from '../../support/oci-layout'
import { type RunningRegistry, startRegistry } from '../../support/server'

setDefaultTimeout(120_000)
const SERVICE = 'zot-asm'
const REGION = 'eu-central-1'
const credentials = { accessKeyId: 'AKIAZOTBUNTEST', secretAccessKey: 'zot/bun+secret-key', region: REGION }
const endpoint = startSecretsManager(credentials)

interface Key {
  kid: string
  alg: string
  pair: GenerateKeyPairResult
}
const makeKey = async (kid: string, alg: string): Promise<Key> => ({ kid, alg, pair: await generateKeyPair(alg) })
// The three forms zot accepts as a secret's values: SPKI PEM, a one-key JWKS, and PEM of another type.
const keyA = await makeKey('key-a', 'ES256')
const keyB = await makeKey('key-b', 'EdDSA')
const keyC = await makeKey('key-c', 'RS256')
const keyD = await makeKey('key-d', 'ES256')
const secretValueOf = async ({ kid, pair }: Key) =>
  kid === 'key-b' ? JSON.stringify({ keys: [await exportJWK(pair.publicKey)] }) : exportSPKI(pair.publicKey)
const secretOf = async (...keys: Key[]) =>
  JSON.stringify(Object.fromEntries(await Promise.all(keys.map(async (key) => [key.kid, await secretValueOf(key)]))))

const LONG = 'zot/keys-long'
const SHORT = 'zot/keys-short'
const BINARY = 'zot/keys-binary'
endpoint.setSecret(LONG, await secretOf(keyA))
endpoint.setSecret(SHORT, await secretOf(keyA))
endpoint.setSecret(BINARY, await secretOf(keyA), { binary: true })

let signer: TokenSigner = { alg: keyA.alg, kid: keyA.kid, privateKey: keyA.pair.privateKey }
const tokens = await startTokenServer({
  service: SERVICE,
  users: { alice: 'alice-pw' },
  grant: (user, type, name) =>
    user === 'alice' && type === 'repository' && name.startsWith('team/') ? ['pull', 'push'] : [],
  signer: () => signer,
})

const PULL = [{ type: 'repository', name: 'team/app', actions: ['pull'] }]
const PUSH = [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]

/** A token signed by `key`, naming `kid` in its header (the key's own by default, none with null). */
function tokenBy(key: Key, access = PULL, kid: string | null = key.kid): Promise<string> {
  return new SignJWT({ sub: 'alice', access, aud: SERVICE })
    .setProtectedHeader(kid === null ? { alg: key.alg } : { alg: key.alg, kid })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key.pair.privateKey)
}

async function serve(secretName: string, refreshInterval: string, env = endpoint.env): Promise<RunningRegistry> {
  const registry = await startRegistry({
    config: {
      http: {
        auth: {
          bearer: {
            realm: tokens.realm,
            service: SERVICE,
            awsSecretsManager: { region: REGION, secretName, refreshInterval },
          },
        },
      },
      log: { level: 'info' },
    },
    env,
  })
  afterAll(() => registry.stop())
  return registry
}

/** The status of a tag list of team/app with `token`. */
const pullStatus = async (registry: RunningRegistry, token: string) =>
  (await fetch(`${registry.url}/v2/team/app/tags/list`, { headers: { Authorization: `Bearer ${token}` } })).status

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(20)
  }
}

/** Log lines of `registry` that carry `message`, parsed. */
const logged = (registry: RunningRegistry, message: string) =>
  registry
    .logs()
    .split('\n')
    .filter((line) => line.includes(message))
    .map((line) => JSON.parse(line) as Record<string, unknown>)

/** The last log line carrying `message`, once there are `count` (the child's output comes later than its answers). */
async function lastLogged(registry: RunningRegistry, message: string, count = 1) {
  await until(`${count} log lines "${message}"`, () => logged(registry, message).length >= count)
  return logged(registry, message).at(-1)
}

describe('keys cached for an hour (kid selection, early refresh, scopes, real clients)', async () => {
  const registry = await serve(LONG, '1h')
  // The first read starts with the server, before any token.
  await until('the first read', () => endpoint.reads(LONG) === 1)

  test('serve takes the key as implemented: no warning, and the challenge is the bearer one', async () => {
    expect(registry.logs()).not.toMatch(/not (supported|implemented) yet/)
    expect(logged(registry, 'bearer token keys come from AWS Secrets Manager')[0]).toMatchObject({
      region: REGION,
      secretName: LONG,
    })
    const response = await fetch(`${registry.url}/v2/team/app/tags/list`)
    expect(response.status).toBe(401)
    expect(response.headers.get('WWW-Authenticate')).toBe(
      `Bearer realm="${tokens.realm}",service="${SERVICE}",scope="repository:team/app:pull"`,
    )
  })

  test('a token signed by the key its kid names passes, from the cached keys', async () => {
    expect(await pullStatus(registry, await tokenBy(keyA))).toBe(404)
    expect(await pullStatus(registry, await tokenBy(keyA))).toBe(404)
    expect(endpoint.reads(LONG)).toBe(1)
  })

  test('no kid, an unknown kid, or a kid naming another key than the signer are invalid tokens', async () => {
    const before = endpoint.reads(LONG)
    const refused = [
      await tokenBy(keyA, PULL, null),
      await tokenBy(keyA, PULL, 'key-unknown'),
      await tokenBy(keyD, PULL, 'key-a'),
    ]
    for (const token of refused) {
      const response = await fetch(`${registry.url}/v2/team/app/tags/list`, {
        headers: { Authorization: `Bearer ${token}` },
      })
      expect(response.status).toBe(401)
      expect(response.headers.get('WWW-Authenticate')).toContain('error="invalid_token"')
    }
    // The unknown kid may read early once (if the last read is 5 s old), never more.
    expect(endpoint.reads(LONG) - before).toBeLessThanOrEqual(1)
    await lastLogged(registry, 'bearer token refused', refused.length)
    const reasons = logged(registry, 'bearer token refused').map((line) => String(line.reason))
    expect(reasons.some((reason) => reason.includes("no 'kid' header"))).toBe(true)
    expect(reasons.some((reason) => reason.includes('no key with kid "key-unknown"'))).toBe(true)
  })

  test('a rotated-in key passes at once by one early read; random kids then read nothing', async () => {
    endpoint.setSecret(LONG, await secretOf(keyA, keyB))
    // Early reads are at most one per 5 s, counted from the last read.
    await Bun.sleep(5_200)
    const before = endpoint.reads(LONG)
    expect(await pullStatus(registry, await tokenBy(keyB))).toBe(404)
    expect(endpoint.reads(LONG)).toBe(before + 1)
    const storm = await Promise.all(
      Array.from({ length: 40 }, async () => pullStatus(registry, await tokenBy(keyD, PULL, randomUUID()))),
    )
    expect(storm.every((status) => status === 401)).toBe(true)
    expect(await pullStatus(registry, await tokenBy(keyB))).toBe(404)
    expect(endpoint.reads(LONG)).toBe(before + 1)
  })

  test('the access claim maps to actions as with cert: a pull-only token cannot push', async () => {
    const post = (token: string) =>
      fetch(`${registry.url}/v2/team/app/blobs/uploads/`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
      })
    const denied = await post(await tokenBy(keyB, PULL))
    expect(denied.status).toBe(401)
    expect(denied.headers.get('WWW-Authenticate')).toContain('error="insufficient_scope"')
    expect((await post(await tokenBy(keyB, PUSH))).status).toBe(202)
  })

  describe('skopeo follows the challenge to the token server', async () => {
    const clients = await createClientEnvironment([registry.host])
    afterAll(() => clients.cleanup())
    const layout = await OciLayout.create(await clients.scratch('image'))
    await buildRandomImage(layout, 'v1')
    const creds = 'alice:alice-pw'

    test('pushes with tokens of key-a, reads back with tokens of key-b, and is refused outside its grant', async () => {
      await clients.skopeo([
        'copy',
        '--dest-creds',
        creds,
        `oci:${layout.directory}:v1`,
        `docker://${registry.host}/team/app:v1`,
      ])
      expect(tokens.requests.some((line) => line.includes('alice repository:team/app:pull,push'))).toBe(true)
      signer = { alg: keyB.alg, kid: keyB.kid, privateKey: keyB.pair.privateKey }
      const inspected = await clients.skopeo(['inspect', '--creds', creds, `docker://${registry.host}/team/app:v1`])
      expect(JSON.parse(inspected.stdout).Architecture).toBe('amd64')
      const refused = await clients
        .skopeo(['copy', '--dest-creds', creds, `oci:${layout.directory}:v1`, `docker://${registry.host}/other/app:v1`])
        .then(
          () => undefined,
          (error: unknown) => error,
        )
      expect(refused).toBeInstanceOf(CommandError)
    })
  })
})

describe('keys refreshed every 2 s (one read for many, revocation, outage, malformed secret)', async () => {
  const registry = await serve(SHORT, '2s')
  await until('the first read', () => endpoint.reads(SHORT) === 1)
  const waitOutRefresh = () => Bun.sleep(2_200)

  test('many requests after the keys expire wait for one read', async () => {
    expect(await pullStatus(registry, await tokenBy(keyA))).toBe(404)
    await waitOutRefresh()
    const before = endpoint.reads(SHORT)
    endpoint.delayMs = 300
    try {
      const token = await tokenBy(keyA)
      const statuses = await Promise.all(Array.from({ length: 25 }, () => pullStatus(registry, token)))
      expect(statuses.every((status) => status === 404)).toBe(true)
    } finally {
      endpoint.delayMs = 0
    }
    expect(endpoint.reads(SHORT)).toBe(before + 1)
  })

  test('a key removed from the secret stops passing after the refresh interval; the new one passes', async () => {
    endpoint.setSecret(SHORT, await secretOf(keyC))
    expect(await pullStatus(registry, await tokenBy(keyA))).toBe(404)
    await waitOutRefresh()
    expect(await pullStatus(registry, await tokenBy(keyA))).toBe(401)
    expect(await pullStatus(registry, await tokenBy(keyC))).toBe(404)
  })

  test('while the endpoint is down the last good keys are used, and a read after it is back picks up changes', async () => {
    await endpoint.stop()
    try {
      await waitOutRefresh()
      expect(await pullStatus(registry, await tokenBy(keyC))).toBe(404)
      const warning = await lastLogged(registry, 'keeping the last good keys')
      expect(warning).toMatchObject({ level: 'warn', secretName: SHORT })
      expect(String(warning?.lastGoodKeysUntil)).toMatch(/^\d{4}-/)
    } finally {
      endpoint.start()
    }
    endpoint.setSecret(SHORT, await secretOf(keyC, keyD))
    // Past the first retry's backoff (1 s), the next token reads again.
    await Bun.sleep(1_100)
    expect(await pullStatus(registry, await tokenBy(keyD))).toBe(404)
  })

  test('a malformed secret is logged with what is wrong and the fix; the last good keys stay', async () => {
    const before = endpoint.reads(SHORT)
    endpoint.setSecret(SHORT, 'keys: not json')
    await waitOutRefresh()
    expect(await pullStatus(registry, await tokenBy(keyC))).toBe(404)
    expect(endpoint.reads(SHORT)).toBe(before + 1)
    const error = await lastLogged(registry, 'cannot use the AWS Secrets Manager secret')
    expect(error).toMatchObject({ level: 'error', secretName: SHORT })
    expect(String(error?.error)).toStartWith('the secret is malformed: it is not JSON')
    expect(String(error?.fix)).toContain('JSON object from key id')

    // One bad entry among good ones: skipped and named, the others serve.
    endpoint.setSecret(SHORT, JSON.stringify({ ...JSON.parse(await secretOf(keyC)), 'key-typo': 'MFkwEwYHKoZIzj0CAQ' }))
    await Bun.sleep(1_100)
    expect(await pullStatus(registry, await tokenBy(keyC))).toBe(404)
    const skipped = await lastLogged(registry, 'a key in the AWS Secrets Manager secret is unusable')
    expect(skipped).toMatchObject({ level: 'error', secretName: SHORT, kid: '"key-typo"', reason: 'no PEM data found' })
    expect(await pullStatus(registry, await tokenBy(keyD))).toBe(401)
  })
})

describe('no key ever read: 503 with Retry-After, and the log says why', () => {
  const cases = [
    {
      name: 'a secret that does not exist',
      secretName: 'zot/absent',
      env: endpoint.env,
      cause: 'ResourceNotFoundException',
    },
    {
      name: 'a secret stored as binary',
      secretName: BINARY,
      env: endpoint.env,
      cause: 'the secret is malformed: it holds binary data (SecretBinary), not a SecretString',
    },
    {
      name: 'credentials the endpoint does not accept',
      secretName: SHORT,
      env: { ...endpoint.env, AWS_SECRET_ACCESS_KEY: 'not-the-secret-key' },
      cause: 'InvalidSignatureException',
    },
  ]
  for (const { name, secretName, env, cause } of cases) {
    test(name, async () => {
      const refusedBefore = endpoint.refused.length
      const registry = await serve(secretName, '1m', env)
      const response = await fetch(`${registry.url}/v2/team/app/tags/list`, {
        headers: { Authorization: `Bearer ${await tokenBy(keyC)}` },
      })
      expect(response.status).toBe(503)
      expect(response.headers.get('Retry-After')).toBe('5')
      const body = (await response.json()) as { errors: { code: string; detail?: { description?: string } }[] }
      expect(body.errors[0]?.code).toBe('UNAVAILABLE')
      const error = await lastLogged(registry, 'cannot use the AWS Secrets Manager secret')
      expect(error).toMatchObject({ level: 'error', secretName })
      expect(String(error?.error)).toStartWith(cause)
      // Requests without a token still get the challenge: no key is needed to ask for one.
      expect((await fetch(`${registry.url}/v2/`)).status).toBe(401)
      if (cause === 'InvalidSignatureException') {
        expect(endpoint.refused.slice(refusedBefore).some((line) => line.startsWith(cause))).toBe(true)
      }
    })
  }
})
