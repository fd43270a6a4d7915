/**
 * Client certificates (`http.tls.cacert`, `http.auth.mtls`) on the served registry, with curl:
 * a certificate signed by the CA identifies its user for accessControl, one signed by anybody
 * else fails the handshake, a client without one goes on with Basic credentials (zot's
 * `VerifyClientCertIfGiven`), and blobs stream through the TLS terminator intact.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { createHash, randomBytes } from 'node:crypto'
import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeHtpasswd } from '../security/support'
import { makeSelfSignedCertificate } from '../support/tls/certificates'
import { createTestCa, type ClientCertificate } from '../support/tls/client-certificates'
import { CommandError, createClientEnvironment, run } from '../support/clients'
import { buildRandomImage } from '../support/images/images'
import { OciLayout } from '../support/oci-layout'
import { startProcess } from '../support/process'
import { REPOSITORY_ROOT } from '../support/paths'
import { freePort } from '../support/server'
import { tempDirectory } from '../support/temp'

setDefaultTimeout(60_000)
const directory = await tempDirectory('mtls')
const ca = await createTestCa(directory)
const server = { cert: join(directory, 'server.crt'), key: join(directory, 'server.key') }
await makeSelfSignedCertificate({ ...server, commonName: 'localhost', subjectAltName: 'IP:127.0.0.1,DNS:localhost' })
const alice = await ca.issue('alice', '/O=Example/CN=alice', 'URI:spiffe://example.org/workload/builder')
const bob = await ca.issue('bob', '/CN=bob')
const mallory = { cert: join(directory, 'mallory.crt'), key: join(directory, 'mallory.key') }
await makeSelfSignedCertificate({ ...mallory, commonName: 'alice' })
const htpasswd = join(directory, 'htpasswd')
await writeHtpasswd(htpasswd, ['hank'])

const port = await freePort()
const config = {
  storage: { rootDirectory: join(directory, 'data') },
  http: {
    address: '127.0.0.1',
    port: String(port),
    tls: { ...server, cacert: ca.cert },
    auth: { htpasswd: { path: htpasswd }, mtls: { identityAttributes: ['CommonName'] } },
    accessControl: {
      repositories: {
        '**': { policies: [{ users: ['alice'], actions: ['read', 'create'] }], defaultPolicy: ['read'] },
      },
    },
  },
  log: { level: 'warn' },
}
await writeFile(join(directory, 'config.json'), JSON.stringify(config))
const registry = await startProcess({
  command: [process.execPath, join(REPOSITORY_ROOT, 'cmd/zot.ts'), 'serve', join(directory, 'config.json')],
  readyUrl: `https://127.0.0.1:${port}/v2/`,
  insecure: true,
  readyTimeoutMs: 20_000,
})
afterAll(() => registry.stop())
const base = `https://127.0.0.1:${port}`

/** curl's status code for a request, with or without a client certificate. */
async function curl(path: string, client?: ClientCertificate, extra: string[] = []): Promise<string> {
  const identity = client ? ['--cert', client.cert, '--key', client.key] : []
  const args = [
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '--cacert',
    server.cert,
    ...identity,
    ...extra,
    `${base}${path}`,
  ]
  return run('curl', args).then(
    (result) => result.stdout,
    (error: unknown) => (error instanceof CommandError ? `failed ${error.exitCode}` : String(error)),
  )
}

describe('client certificates', () => {
  test("a CA-signed certificate's CommonName is the user: alice may push, bob may only read", async () => {
    expect(await curl('/v2/', alice)).toBe('200')
    expect(await curl('/v2/team/app/blobs/uploads/', alice, ['-X', 'POST'])).toBe('202')
    expect(await curl('/v2/team/app/tags/list', bob)).toBe('404')
    expect(await curl('/v2/team/app/blobs/uploads/', bob, ['-X', 'POST'])).toBe('403')
  })

  test('a certificate from another CA fails the handshake, whatever its name', async () => {
    expect(await curl('/v2/', mallory)).toStartWith('failed')
  })

  test('a client without a certificate goes on anonymously or with Basic credentials', async () => {
    expect(await curl('/v2/team/app/tags/list')).toBe('401')
    expect(await curl('/v2/team/app/tags/list', undefined, ['-u', 'hank:hank-pw'])).toBe('404')
    expect(await curl('/v2/team/app/blobs/uploads/', undefined, ['-u', 'hank:hank-pw', '-X', 'POST'])).toBe('403')
  })

  test('a 32 MiB blob streams through the terminator intact', async () => {
    const blob = join(directory, 'blob.bin')
    const bytes = randomBytes(32 << 20)
    await writeFile(blob, bytes)
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
    const push = ['-X', 'POST', '-H', 'Content-Type: application/octet-stream', '--data-binary', `@${blob}`]
    expect(await curl(`/v2/team/big/blobs/uploads/?digest=${digest}`, alice, push)).toBe('201')
    const pulled = await run('sh', [
      '-c',
      `curl -s --cacert ${server.cert} --cert ${alice.cert} --key ${alice.key} ${base}/v2/team/big/blobs/${digest} | sha256sum`,
    ])
    expect(`sha256:${pulled.stdout.split(' ')[0]}`).toBe(digest)
  })
})

describe('skopeo with --cert-dir', async () => {
  const clients = await createClientEnvironment([])
  afterAll(() => clients.cleanup())
  const layout = await OciLayout.create(await clients.scratch('image'))
  await buildRandomImage(layout, 'v1')
  /** A containers-style certificate directory: the server's CA as *.crt, the client pair as *.cert/*.key. */
  async function certDir(name: string, client: ClientCertificate): Promise<string> {
    const path = join(directory, `certs.d-${name}`)
    await mkdir(path)
    await copyFile(server.cert, join(path, 'server-ca.crt'))
    await copyFile(client.cert, join(path, 'client.cert'))
    await copyFile(client.key, join(path, 'client.key'))
    return path
  }
  const target = `docker://127.0.0.1:${port}/team/skopeo:v1`

  test('alice pushes with her certificate; bob is denied the push and may inspect it', async () => {
    const source = `oci:${layout.directory}:v1`
    await clients.skopeo(['copy', '--dest-cert-dir', await certDir('alice', alice), source, target])
    const bobs = await certDir('bob', bob)
    const refused = await clients
      .skopeo(['copy', '--dest-cert-dir', bobs, source, `docker://127.0.0.1:${port}/team/other:v1`])
      .then(
        () => '',
        (error: unknown) => (error instanceof CommandError ? error.result.stderr : String(error)),
      )
    expect(refused).toMatch(/denied/i)
    const inspected = await clients.skopeo(['inspect', '--cert-dir', bobs, target])
    expect(JSON.parse(inspected.stdout).Architecture).toBe('amd64')
  })
})

describe('certificate renewal', () => {
  test('a replaced server certificate is served after SIGHUP, client certificates still checked', async () => {
    const renewed = { cert: join(directory, 'renewed.crt'), key: join(directory, 'renewed.key') }
    await makeSelfSignedCertificate({ ...renewed, commonName: 'renewed', subjectAltName: 'IP:127.0.0.1' })
    await copyFile(renewed.key, server.key)
    await copyFile(renewed.cert, server.cert)
    registry.kill('SIGHUP')
    const deadline = Date.now() + 10_000
    let status = ''
    while (Date.now() < deadline && status !== '200') {
      status = await curl('/v2/', alice)
      await Bun.sleep(100)
    }
    expect(status).toBe('200')
    expect(await curl('/v2/', mallory)).toStartWith('failed')
    expect(await curl('/v2/team/app/blobs/uploads/', bob, ['-X', 'POST'])).toBe('403')
  })
})
