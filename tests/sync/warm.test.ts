/**
 * `zot sync warm CONFIG IMAGE...` against a running `zot serve` (a child process) caching Debian's
 * docker-registry: images named as a containerd user writes them (upstream host and path, or the
 * local name) are in the cache afterwards, so they pull whole with the upstream stopped; a bad
 * name fails clearly with exit 1 while the others are warmed; `--platform` picks the children of
 * an index; credentials come from --username and --password-stdin; a server on HTTPS is trusted
 * by the certificate its config names; a server that is not running gets a message saying so.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startProcess } from '../support/process'
import { freePort, startRegistry, type RunningRegistry } from '../support/server'
import { makeSelfSignedCertificate } from '../support/tls/certificates'
import { ZOT_CLI, runToEnd, runZot, type Finished } from '../support/zot-cli'
import { pullVerified } from './support/cache-budget'
import { pullManifest, pushImage, pushIndex } from './support/content'
import { startDockerRegistry, type DockerRegistry } from './support/docker-registry'

const MiB = 1 << 20
const stops: (() => Promise<void>)[] = []
let scratch: string

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'zot-sync-warm-'))
})

afterAll(async () => {
  for (const stop of stops.reverse()) await stop()
  await rm(scratch, { recursive: true, force: true })
})

interface Scenario {
  upstream: DockerRegistry
  cache: RunningRegistry
  /** The config file `zot sync warm` reads: the one the cache runs with. */
  configPath: string
}

/** An upstream, a cache syncing it on demand under /up, and the cache's config in a file. */
async function scenario(extra: Record<string, unknown> = {}): Promise<Scenario> {
  const upstream = await startDockerRegistry()
  stops.push(() => upstream.stop())
  const config = {
    log: { level: 'debug' },
    ...extra,
    extensions: {
      sync: {
        registries: [
          {
            urls: [upstream.url],
            onDemand: true,
            content: [{ prefix: '**', destination: '/up' }],
            responseHeaderTimeout: '5s',
          },
        ],
      },
    },
  }
  const cache = await startRegistry({ config })
  stops.push(() => cache.stop())
  const configPath = join(scratch, `config-${cache.port}.json`)
  await writeFile(
    configPath,
    JSON.stringify({
      ...config,
      storage: cache.storage.config,
      http: { ...(extra.http as object | undefined), address: '127.0.0.1', port: String(cache.port) },
    }),
  )
  return { upstream, cache, configPath }
}

/** Starts a scenario before the describe's tests; the accessor throws until it started. */
function useScenario(extra?: () => Promise<Record<string, unknown>>): () => Scenario {
  let started: Scenario | undefined
  beforeAll(async () => {
    started = await scenario(await extra?.())
  }, 30_000)
  return () => {
    if (!started) throw new Error('the warm scenario did not start')
    return started
  }
}

describe('warming a running server', () => {
  const current = useScenario()

  test('two images warmed (one named by its upstream host, one by its local name) pull with the upstream stopped', async () => {
    const s = current()
    const single = await pushImage(s.upstream, 'team/api', { tag: '1.0', layers: [2 * MiB, 512 * 1024] })
    const index = await pushIndex(s.upstream, 'team/web', '2.0', ['amd64', 'arm64'])
    const [amd64, arm64] = index.children

    const run = await runZot(
      'sync',
      'warm',
      s.configPath,
      `${s.upstream.host}/team/api:1.0`,
      'up/team/web:2.0',
      '--platform',
      'linux/arm64',
    )
    expect(run.err).toBe('')
    expect(run.code).toBe(0)
    expect(run.out).toContain(`warmed ${s.upstream.host}/team/api:1.0 ${single.digest} (3 blobs`)
    expect(run.out).toContain(`warmed up/team/web:2.0 ${index.digest} linux/arm64 (3 blobs`)
    expect(run.out).toMatch(/^warmed 2 of 2 images \(6 blobs, [\d.]+ MiB\) in [\d.]+s$/m)

    await s.upstream.stop()
    await pullVerified(s.cache.url, 'up/team/api', '1.0', single)
    expect((await pullManifest(s.cache.url, 'up/team/web', '2.0')).bodyDigest).toBe(index.digest)
    await pullVerified(s.cache.url, 'up/team/web', arm64!.digest, arm64!)
    // Only the platform asked for was warmed.
    expect((await pullManifest(s.cache.url, 'up/team/web', amd64!.digest)).status).toBe(503)
  }, 60_000)
})

describe('a bad image among good ones', () => {
  const current = useScenario()

  test('fails clearly with exit 1, and the others are still warmed', async () => {
    const s = current()
    const good = await pushImage(s.upstream, 'team/good', { tag: '1.0' })
    const run = await runZot(
      'sync',
      'warm',
      s.configPath,
      'up/team/missing:1.0',
      'up/team/good:1.0',
      'up/Team:bad tag',
      '--json',
    )
    expect(run.code).toBe(1)
    const report = JSON.parse(run.out) as {
      images: { image: string; digest?: string; error?: string }[]
      warmed: number
      failed: number
    }
    expect(report.warmed).toBe(1)
    expect(report.failed).toBe(2)
    const [missing, warmed, malformed] = report.images
    expect(missing!.error).toMatch(/^404 MANIFEST_UNKNOWN/)
    expect(missing!.error).toContain(`${s.upstream.url}/team/missing`)
    expect(warmed!.error).toBeUndefined()
    expect(warmed!.digest).toBe(good.digest)
    expect(malformed!.error).toContain('bad tag is not a valid tag')

    await s.upstream.stop()
    await pullVerified(s.cache.url, 'up/team/good', '1.0', good)
  }, 60_000)

  test('without --json the failures are named on stderr with their reasons, and in the summary', async () => {
    const s = current()
    const run = await runZot('sync', 'warm', s.configPath, 'up/team/gone:1.0', 'not a name')
    expect(run.code).toBe(1)
    expect(run.err).toContain('zot sync warm: up/team/gone:1.0 failed: ')
    expect(run.err).toContain('zot sync warm: not a name failed: not a name is not a valid repository name')
    expect(run.out).toContain('warmed 0 of 2 images (0 blobs, 0 B) in ')
    expect(run.out).toContain('; failed: up/team/gone:1.0, not a name')
  }, 30_000)
})

describe('a server with htpasswd', () => {
  const current = useScenario(async () => {
    const htpasswd = join(scratch, 'htpasswd')
    await writeFile(htpasswd, `warmer:${await Bun.password.hash('s3cret', { algorithm: 'bcrypt', cost: 4 })}\n`)
    return { http: { auth: { htpasswd: { path: htpasswd } } } }
  })

  /** `zot sync warm CONFIG up/team/private:1.0` as `warmer` with `password` on stdin. */
  const warmWithPassword = (configPath: string, password: string): Promise<Finished> =>
    runToEnd(
      [
        process.execPath,
        ZOT_CLI,
        'sync',
        'warm',
        configPath,
        'up/team/private:1.0',
        '--username',
        'warmer',
        '--password-stdin',
      ],
      { stdin: `${password}\n` },
    )

  test('warms with --username and --password-stdin; without them, says credentials are needed', async () => {
    const s = current()
    const image = await pushImage(s.upstream, 'team/private', { tag: '1.0' })
    const anonymous = await runZot('sync', 'warm', s.configPath, 'up/team/private:1.0')
    expect(anonymous.code).toBe(1)
    expect(anonymous.err).toContain('--username NAME --password-stdin')

    const wrong = await warmWithPassword(s.configPath, 'nope')
    expect(wrong.code).toBe(1)
    expect(wrong.err).toContain('refused the credentials')

    const run = await warmWithPassword(s.configPath, 's3cret')
    expect(run.err).toBe('')
    expect(run.code).toBe(0)
    await s.upstream.stop()
    const headers = { Authorization: `Basic ${Buffer.from('warmer:s3cret').toString('base64')}` }
    const manifest = await fetch(`${s.cache.url}/v2/up/team/private/manifests/1.0`, {
      headers: { ...headers, Accept: image.mediaType },
    })
    expect(manifest.status).toBe(200)
    for (const blob of image.blobs) {
      const response = await fetch(`${s.cache.url}/v2/up/team/private/blobs/${blob.digest}`, { headers })
      expect(response.status).toBe(200)
      expect(new Bun.CryptoHasher('sha256').update(await response.arrayBuffer()).digest('hex')).toBe(
        blob.digest.slice('sha256:'.length),
      )
    }
  }, 60_000)
})

describe('a server on HTTPS with a self-signed certificate', () => {
  test('is reached over https, trusting the certificate the config names', async () => {
    const upstream = await startDockerRegistry()
    stops.push(() => upstream.stop())
    const image = await pushImage(upstream, 'team/tls', { tag: '1.0' })
    const tls = { cert: join(scratch, 'server.crt'), key: join(scratch, 'server.key') }
    await makeSelfSignedCertificate({ ...tls, commonName: '127.0.0.1', subjectAltName: 'IP:127.0.0.1' })
    const port = await freePort()
    const configPath = join(scratch, 'tls.json')
    await writeFile(
      configPath,
      JSON.stringify({
        storage: { rootDirectory: join(scratch, 'tls-root') },
        http: { address: '127.0.0.1', port: String(port), tls },
        extensions: { sync: { registries: [{ urls: [upstream.url], onDemand: true, responseHeaderTimeout: '5s' }] } },
      }),
    )
    const server = await startProcess({
      command: [process.execPath, ZOT_CLI, 'serve', configPath],
      readyUrl: `https://127.0.0.1:${port}/v2/`,
      insecure: true,
      readyTimeoutMs: 20_000,
    })
    stops.push(() => server.stop())

    const run = await runZot('sync', 'warm', configPath, 'team/tls:1.0')
    expect(run.err).toBe('')
    expect(run.code).toBe(0)
    expect(run.out).toContain(`warmed team/tls:1.0 ${image.digest} (3 blobs`)
  }, 60_000)
})

test('a server that is not running: the message says to start it', async () => {
  const configPath = join(scratch, 'down.json')
  const root = join(scratch, 'down-root')
  // A port nothing listens on: bound and released.
  const listener = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const { port } = listener
  listener.stop(true)
  await writeFile(
    configPath,
    JSON.stringify({ storage: { rootDirectory: root }, http: { address: '127.0.0.1', port: String(port) } }),
  )
  const run = await runZot('sync', 'warm', configPath, 'library/alpine:3')
  expect(run.code).toBe(1)
  expect(run.err).toContain(`zot sync warm: cannot reach http://127.0.0.1:${port}`)
  expect(run.err).toContain('Is `zot serve CONFIG` running')
  expect(run.out).toBe('')
}, 30_000)
