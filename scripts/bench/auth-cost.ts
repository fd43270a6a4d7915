/**
 * @module
 * What each login method of issue 18 costs per request, measured in-process on this machine and
 * run by hand: an LDAP login against a local slapd (Debian's; StartTLS and LDAPS) with a cold
 * outcome memory (a directory login: connection, TLS, two binds, one search) and a warm one
 * (credentials seen within the minute), and a bearer token check (RS256 and ES256 signatures,
 * `jose`) with the key of `cert` and with the keys of `awsSecretsManager` (the token's `kid` picks
 * one from the cache, warm; and what a read of the secret costs, through the real SDK against the
 * tests' SigV4-checking endpoint on loopback, paid once per refresh interval). Prints mean, p50
 * and p99 of each. Then the price of the client-certificate terminator
 * (lib/server/client-certificates.ts): a 256 MiB blob pulled with curl over TLS from a registry
 * without `cacert` (Bun.serve terminates TLS) and from one with it (node:tls in front).
 *
 *   bun scripts/bench/auth-cost.ts [--rounds 200] [--only bearer]
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { exportSPKI, generateKeyPair, type JWTHeaderParameters, jwtVerify, SignJWT } from 'jose'
import { awsSecretsManagerKeys } from '../../lib/auth/bearer/aws-secrets-keys'
import { publicKeyOf } from '../../lib/auth/bearer/verification-key'
import { createLdapDirectory, type LdapSettings } from '../../lib/auth/ldap/ldap-directory'
import { ldapPasswordSource } from '../../lib/auth/ldap/ldap-login'
import { makeSelfSignedCertificate } from '../../tests/support/tls/certificates'
import { createTestCa } from '../../tests/support/tls/client-certificates'
import { run } from '../../tests/support/clients'
import { startProcess } from '../../tests/support/process'
import { startSecretsManager } from '../../tests/support/counterparts/secrets-manager'
import { PEOPLE_DN, SEARCH_ACCOUNT, startSlapd } from '../../tests/support/counterparts/slapd'
import { silentLogger } from '../../lib/log/logger'

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '200' }, only: { type: 'string' } },
})
const rounds = Number(values.rounds)
if (values.only !== undefined && values.only !== 'bearer') throw new Error('--only takes "bearer"')
const bearerOnly = values.only === 'bearer'

async function timed(label: string, times: number, run: () => Promise<unknown>): Promise<void> {
  const samples: number[] = []
  for (let index = 0; index < times; index++) {
    const start = Bun.nanoseconds()
    await run()
    samples.push((Bun.nanoseconds() - start) / 1e6)
  }
  samples.sort((a, b) => a - b)
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!.toFixed(3)
  const mean = (samples.reduce((sum, value) => sum + value, 0) / samples.length).toFixed(3)
  console.log(`${label.padEnd(52)} n=${times}  mean ${mean} ms  p50 ${at(0.5)} ms  p99 ${at(0.99)} ms`)
}

async function ldapCost(): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), 'zot-auth-cost-'))
  const slapd = await startSlapd(
    [{ uid: 'alice', password: 'alice-pw' }],
    [{ cn: 'developers', members: ['alice'] }],
    directory,
  )
  try {
    const caCert = await Bun.file(slapd.caCert).text()
    const base: LdapSettings = {
      address: '127.0.0.1',
      insecure: false,
      startTLS: true,
      skipVerify: false,
      caCert,
      baseDN: PEOPLE_DN,
      userAttribute: 'uid',
      userGroupAttribute: 'memberOf',
      subtreeSearch: false,
      ...SEARCH_ACCOUNT,
    }
    const startTls = createLdapDirectory({ ...base, port: slapd.port })
    const ldaps = createLdapDirectory({ ...base, startTLS: false, port: slapd.ldapsPort })
    const plain = createLdapDirectory({ ...base, insecure: true, port: slapd.port })
    await timed('LDAP login, cold (StartTLS)', rounds, () => startTls.login('alice', 'alice-pw'))
    await timed('LDAP login, cold (LDAPS)', rounds, () => ldaps.login('alice', 'alice-pw'))
    await timed('LDAP login, cold (plain LDAP)', rounds, () => plain.login('alice', 'alice-pw'))
    const source = ldapPasswordSource(startTls)
    await source.verify('alice', 'alice-pw')
    await timed('LDAP login, warm (remembered outcome)', rounds * 50, () => source.recall('alice', 'alice-pw'))
  } finally {
    await slapd.stop()
    await rm(directory, { recursive: true, force: true })
  }
}

/** A token check with `cert`'s key and with a Secrets Manager secret's keys, as bearer-auth.ts does each. */
async function bearerCost(): Promise<void> {
  const region = 'us-east-1'
  const endpoint = startSecretsManager(
    { accessKeyId: 'AKIABENCH', secretAccessKey: 'bench-secret', region },
    { stopAfterTests: false },
  )
  Object.assign(process.env, endpoint.env)
  try {
    for (const alg of ['RS256', 'ES256'] as const) {
      const { privateKey, publicKey } = await generateKeyPair(alg)
      const pem = await exportSPKI(publicKey)
      // Four keys, as during a rotation; the token's is the last.
      const others = await Promise.all([1, 2, 3].map(async () => exportSPKI((await generateKeyPair(alg)).publicKey)))
      const secret = Object.fromEntries([...others.map((other, index) => [`old-${index}`, other]), ['current', pem]])
      endpoint.setSecret(`bench/${alg}`, JSON.stringify(secret))
      const access = [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]
      const token = await new SignJWT({ sub: 'ci', access })
        .setProtectedHeader({ alg, kid: 'current' })
        .setAudience('zot')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey)
      const certKey = publicKeyOf(pem)
      const options = { algorithms: [alg] }
      await timed(`bearer token check (${alg}, cert)`, rounds * 50, () => jwtVerify(token, certKey, options))
      const keys = await awsSecretsManagerKeys(
        { region, secretName: `bench/${alg}`, refreshInterval: 3_600_000 },
        silentLogger(),
      )
      await keys.refresh()
      await timed(`bearer token check (${alg}, awsSecretsManager warm)`, rounds * 50, () =>
        jwtVerify(token, (header: JWTHeaderParameters) => keys.keyFor(header.kid), options),
      )
      await timed(`awsSecretsManager read (${alg}, SDK, loopback)`, rounds, () => keys.refresh())
    }
  } finally {
    await endpoint.stop()
  }
}

/** Pull throughput over TLS, with and without client certificates (the terminator). */
async function terminatorCost(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'zot-mtls-cost-'))
  try {
    const ca = await createTestCa(home)
    const client = await ca.issue('client', '/CN=bench')
    const tls = { cert: join(home, 'server.crt'), key: join(home, 'server.key') }
    await makeSelfSignedCertificate({ ...tls, commonName: 'localhost', subjectAltName: 'IP:127.0.0.1' })
    const blob = join(home, 'blob.bin')
    const bytes = randomBytes(256 << 20)
    await writeFile(blob, bytes)
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
    for (const cacert of [undefined, ca.cert]) {
      const port = 20000 + Math.floor(Math.random() * 20000)
      const config = join(home, `config-${port}.json`)
      const http = { address: '127.0.0.1', port: String(port), tls: { ...tls, ...(cacert && { cacert }) } }
      await writeFile(config, JSON.stringify({ storage: { rootDirectory: join(home, `data-${port}`) }, http }))
      const server = await startProcess({
        command: [process.execPath, join(import.meta.dir, '../../cmd/zot.ts'), 'serve', config],
        readyUrl: `https://127.0.0.1:${port}/v2/`,
        insecure: true,
        readyTimeoutMs: 20_000,
      })
      try {
        const curl = ['-s', '-o', '/dev/null', '--cacert', tls.cert, '--cert', client.cert, '--key', client.key]
        const base = `https://127.0.0.1:${port}/v2/bench/blobs`
        await run('curl', [...curl, '-X', 'POST', '--data-binary', `@${blob}`, `${base}/uploads/?digest=${digest}`])
        const label = cacert ? 'with cacert (node:tls terminator)' : 'without cacert (Bun.serve TLS)'
        await timed(`256 MiB blob GET over TLS, ${label}`, 5, () => run('curl', [...curl, `${base}/${digest}`]))
      } finally {
        await server.stop()
      }
    }
  } finally {
    await rm(home, { recursive: true, force: true })
  }
}
if (!bearerOnly) await ldapCost()
await bearerCost()
if (!bearerOnly) await terminatorCost()
