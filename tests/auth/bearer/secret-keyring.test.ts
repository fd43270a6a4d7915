/**
 * The AWS Secrets Manager key set and its refresh policy, in-process with a clock the test moves
 * (the served behaviour is in bearer-aws-secrets.test.ts; these are the cases that take an hour or
 * need exact counts): the secret's format and bounds, the last good keys' hour, the backoff of
 * failed reads, one read for concurrent callers.
 */
import { describe, expect, test } from 'bun:test'
import { generateKeyPairSync } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MAX_SECRET_BYTES, MAX_SECRET_KEYS, parseSecretKeys } from '../../../lib/auth/bearer/secret-keys'
import { KEEP_LAST_GOOD_MS, type SecretKeyring, secretKeyring } from '../../../lib/auth/bearer/secret-keyring'
import { TokenKeysUnavailableError } from '../../../lib/auth/bearer/verification-key'
import { createLogger } from '../../../lib/log/logger'
import { makeSelfSignedCertificate } from '../../support/tls/certificates'
import { tempDirectory } from '../../support/temp'

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey
const ed = generateKeyPairSync('ed25519').publicKey
const spki = ec.export({ type: 'spki', format: 'pem' }).toString()
const directory = await tempDirectory('secret-keyring')
const files = { key: join(directory, 'key.pem'), cert: join(directory, 'cert.pem') }
await makeSelfSignedCertificate({ ...files, commonName: 'token-server' })
const certificate = await readFile(files.cert, 'utf8')

describe('the secret: a JSON object from kid to key', () => {
  test('PEM public keys, certificates and one-key JWKS are read; a __proto__ kid is just a kid', () => {
    const jwks = JSON.stringify({ keys: [ed.export({ format: 'jwk' })] })
    const secret = `{"ec": ${JSON.stringify(spki)}, "cert": ${JSON.stringify(certificate)}, "ed": ${JSON.stringify(jwks)}, "__proto__": ${JSON.stringify(spki)}}`
    const { keys, skipped } = parseSecretKeys(secret)
    expect([...keys.keys()].sort()).toEqual(['__proto__', 'cert', 'ec', 'ed'])
    expect(keys.get('ec')?.equals(ec)).toBe(true)
    expect(keys.get('cert')?.asymmetricKeyType).toBe('rsa')
    expect(keys.get('ed')?.equals(ed)).toBe(true)
    expect(skipped).toEqual([])
  })

  test('unusable entries are skipped with why; the others stay', () => {
    const secret = JSON.stringify({ good: spki, typo: 'MFkwEwYH', number: 42, ['k'.repeat(257)]: spki, '': spki })
    const { keys, skipped } = parseSecretKeys(secret)
    expect([...keys.keys()]).toEqual(['good'])
    expect(skipped.map(({ reason }) => reason)).toEqual([
      'no PEM data found',
      'the value must be a string: a PEM key or certificate, or a JWKS as text',
      'a key id must be 1 to 256 characters',
      'a key id must be 1 to 256 characters',
    ])
  })

  test('a secret that is not a key set at all says what is wrong', () => {
    expect(() => parseSecretKeys('not json')).toThrow(/^it is not JSON/)
    expect(() => parseSecretKeys(JSON.stringify([spki]))).toThrow('it must be a JSON object from key id')
    expect(() => parseSecretKeys('{}')).toThrow('it holds no usable key')
    expect(() => parseSecretKeys(JSON.stringify({ a: 'x' }))).toThrow('it holds no usable key ("a": no PEM data found)')
    const big = JSON.stringify({ a: spki, padding: 'x'.repeat(MAX_SECRET_BYTES) })
    expect(() => parseSecretKeys(big)).toThrow(`more than the ${MAX_SECRET_BYTES} read`)
    const many = Object.fromEntries(Array.from({ length: MAX_SECRET_KEYS + 1 }, (_, index) => [`k${index}`, 'x']))
    expect(() => parseSecretKeys(JSON.stringify(many))).toThrow(`more than the ${MAX_SECRET_KEYS} accepted`)
  })
})

/** A keyring over a secret the test sets, a clock it moves, and a count of reads. */
function fixture(refreshMs = 60_000) {
  const state = { time: 1_000_000, secret: JSON.stringify({ a: spki }) as string | Error, reads: 0 }
  const lines: Record<string, unknown>[] = []
  const logger = createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) })
  const keyring: SecretKeyring = secretKeyring({
    secretName: 'zot/keys',
    refreshMs,
    logger,
    now: () => state.time,
    async read() {
      state.reads++
      await Bun.sleep(1)
      if (state.secret instanceof Error) throw state.secret
      return state.secret
    },
  })
  /** Moves the clock by `ms`, checks a token of kid `a`, and says how many reads there were. */
  const readsAfter = async (ms: number) => {
    state.time += ms
    await keyring.keyFor('a')
    return state.reads
  }
  return { state, keyring, lines, readsAfter }
}

describe('when the secret is read', () => {
  test('tokens without a string kid are refused without reading', async () => {
    const { state, keyring } = fixture()
    await expect(keyring.keyFor(undefined)).rejects.toThrow("the token has no 'kid' header")
    await expect(keyring.keyFor(7)).rejects.toThrow("'kid' header is not a non-empty string")
    expect(state.reads).toBe(0)
  })

  test('concurrent callers share one read; the keys are cached for the interval', async () => {
    const { state, keyring, readsAfter } = fixture()
    const keys = await Promise.all(Array.from({ length: 50 }, () => keyring.keyFor('a')))
    expect(keys.every((key) => key.equals(ec))).toBe(true)
    expect(state.reads).toBe(1)
    expect(await readsAfter(59_999)).toBe(1)
    expect(await readsAfter(1)).toBe(2)
  })

  test('a refresh interval of 0 is a minute, as in zot', async () => {
    const { readsAfter } = fixture(0)
    expect(await readsAfter(0)).toBe(1)
    expect(await readsAfter(59_999)).toBe(1)
    expect(await readsAfter(1)).toBe(2)
  })

  test('failed reads back off (1 s, 2 s, ...) and keep the last good keys for an hour past their refresh', async () => {
    const { state, keyring, lines, readsAfter } = fixture()
    await keyring.keyFor('a')
    state.secret = new Error('connect ECONNREFUSED')
    // Past the refresh time: the read fails, the token still passes with the last good key.
    expect(await readsAfter(60_000)).toBe(2)
    expect(await readsAfter(999)).toBe(2)
    expect(await readsAfter(1)).toBe(3)
    expect(await readsAfter(1_999)).toBe(3)
    expect(
      lines.filter((line) => line.message === 'cannot read the AWS Secrets Manager secret; keeping the last good keys'),
    ).toHaveLength(2)
    expect(lines.at(-1)).toMatchObject({
      level: 'warn',
      secretName: 'zot/keys',
      error: 'Error: connect ECONNREFUSED',
      retryInMs: 2_000,
    })

    state.time = 1_000_000 + 60_000 + KEEP_LAST_GOOD_MS
    await expect(keyring.keyFor('a')).rejects.toBeInstanceOf(TokenKeysUnavailableError)
    await expect(keyring.keyFor('a')).rejects.toThrow('could not be read (Error: connect ECONNREFUSED)')
    expect(lines.some((line) => String(line.message).startsWith('the last good bearer token keys are too old'))).toBe(
      true,
    )

    state.secret = JSON.stringify({ a: spki })
    state.time += 30_000
    expect((await keyring.keyFor('a')).equals(ec)).toBe(true)
  })

  test('with no key ever read, tokens meet TokenKeysUnavailableError at once during the backoff', async () => {
    const { state, keyring } = fixture()
    state.secret = new Error('ResourceNotFoundException')
    await expect(keyring.keyFor('a')).rejects.toBeInstanceOf(TokenKeysUnavailableError)
    await expect(keyring.keyFor('a')).rejects.toBeInstanceOf(TokenKeysUnavailableError)
    expect(state.reads).toBe(1)
  })

  test('unknown kids read early at most once per 5 s, and a rotated-in kid is found', async () => {
    const { state, keyring } = fixture()
    await keyring.keyFor('a')
    state.secret = JSON.stringify({ a: spki, b: spki })
    await expect(keyring.keyFor('b')).rejects.toThrow('no key with kid "b"')
    expect(state.reads).toBe(1)
    state.time += 5_000
    const storm = await Promise.allSettled(Array.from({ length: 20 }, (_, index) => keyring.keyFor(`random-${index}`)))
    expect(storm.every((outcome) => outcome.status === 'rejected')).toBe(true)
    expect(state.reads).toBe(2)
    expect((await keyring.keyFor('b')).equals(ec)).toBe(true)
    expect(state.reads).toBe(2)
  })
})
