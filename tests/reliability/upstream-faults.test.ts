/**
 * Pull-through under upstream faults (issue 21, items 4-7): a fault proxy in front of Debian's
 * docker-registry stalls headers, stalls bodies, cuts bodies and flips bytes. No fault hangs a
 * tag or a blob (every client gets an answer within a few responseHeaderTimeouts), a broken
 * body is an upstream failure (503, the next URL, the circuit breaker) and never a 500, a ranged
 * GET never sees bytes that were not verified, and a fill killed with kill -9 leaves no spool
 * behind once the registry starts again.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { run } from '../support/clients'
import { sha256Digest } from '../support/oci-layout'
import { startRegistry } from '../support/server'
import { createTestStorage } from '../support/storage-under-test'
import { onDemandConfig, removeCacheRoots, startCache, type RunningCache } from '../sync/support/cache'
import { pullManifest, pushImage, type PushedImage } from '../sync/support/content'
import { startDockerRegistry, type DockerRegistry } from '../sync/support/docker-registry'
import { startFaultProxy, type FaultProxy } from './support/fault-proxy'

const IDLE = '1s'
let upstream: DockerRegistry
let scratch: string
const stops: (() => Promise<void>)[] = []

beforeAll(async () => {
  upstream = await startDockerRegistry()
  scratch = await mkdtemp(join(tmpdir(), 'zot-upstream-faults-'))
})

afterAll(async () => {
  for (const stop of stops.reverse()) await stop()
  await upstream?.stop()
  await removeCacheRoots()
  await rm(scratch, { recursive: true, force: true })
})

async function proxy(): Promise<FaultProxy> {
  const started = await startFaultProxy(upstream.url)
  stops.push(() => started.stop())
  return started
}

async function cache(urls: string[]): Promise<RunningCache> {
  const started = await startCache(onDemandConfig(urls, { responseHeaderTimeout: IDLE }))
  stops.push(() => started.stop())
  return started
}

/** A GET through the cache: status, headers, and the body or the error that broke it. */
async function get(url: string, headers: Record<string, string> = {}) {
  const started = performance.now()
  const response = await fetch(url, { headers })
  let body: Uint8Array | undefined
  let broke: unknown
  try {
    body = new Uint8Array(await response.arrayBuffer())
  } catch (error) {
    broke = error
  }
  return { status: response.status, headers: response.headers, body, broke, ms: performance.now() - started }
}

const manifestUrl = (base: string, repository: string, reference: string) =>
  `${base}/v2/${repository}/manifests/${reference}`
const blobUrl = (base: string, repository: string, digest: string) => `${base}/v2/${repository}/blobs/${digest}`
const ACCEPT = { Accept: 'application/vnd.oci.image.manifest.v1+json' }

/**
 * Through a cache whose first URL stalls the bodies matching `path` after `after` bytes and whose
 * second is the upstream itself, a GET of `url` gets the content of `digest` whole (200), long
 * before the stall could end, and the first URL faulted once.
 */
async function expectFinishedFromSecondUrl(options: {
  path: RegExp
  after: number
  url: (base: string) => string
  digest: string
  headers?: Record<string, string>
}): Promise<void> {
  const faulty = await proxy()
  faulty.rules = [{ method: 'GET', path: options.path, fault: { kind: 'stall-body', after: options.after } }]
  const through = await cache([faulty.url, upstream.url])
  const answer = await get(options.url(through.url), options.headers)
  expect(answer.status).toBe(200)
  expect(sha256Digest(answer.body!)).toBe(options.digest)
  expect(answer.ms).toBeLessThan(10_000)
  expect(faulty.faulted).toBe(1)
}

describe('a stalled manifest body', () => {
  test('answers every waiting client 503 with Retry-After, then the tag pulls once the upstream recovers', async () => {
    const faulty = await proxy()
    const image = await pushImage(upstream, 'stall/manifest', { tag: 'v1' })
    faulty.rules = [{ method: 'GET', path: /\/manifests\//, fault: { kind: 'stall-body', after: 10 } }]
    const through = await cache([faulty.url])
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => get(manifestUrl(through.url, 'stall/manifest', 'v1'), ACCEPT)),
    )
    for (const answer of answers) {
      expect(answer.status).toBe(503)
      expect(Number(answer.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1)
      expect(answer.ms).toBeLessThan(10_000)
    }
    // One upstream GET for the five clients (single flight), and it did not stay in flight.
    expect(faulty.requests.filter((line) => line.startsWith('GET /v2/stall/manifest/manifests/')).length).toBe(1)
    faulty.rules = []
    let last = 0
    for (let attempt = 0; attempt < 40 && last !== 200; attempt++) {
      last = (await pullManifest(through.url, 'stall/manifest', 'v1')).status
      if (last !== 200) await Bun.sleep(500)
    }
    expect(last).toBe(200)
    expect((await pullManifest(through.url, 'stall/manifest', 'v1')).digest).toBe(image.digest)
  })

  test('with a second URL, is answered from it (200) after about responseHeaderTimeout', async () => {
    const image = await pushImage(upstream, 'stall/second', { tag: 'v1' })
    await expectFinishedFromSecondUrl({
      path: /\/manifests\//,
      after: 10,
      url: (base) => manifestUrl(base, 'stall/second', 'v1'),
      digest: image.digest,
      headers: ACCEPT,
    })
  })
})

test('a stalled manifest body of a moved tag serves the cached manifest meanwhile', async () => {
  const faulty = await proxy()
  const first = await pushImage(upstream, 'stall/cached', { tag: 'v1' })
  const through = await startCache(
    onDemandConfig([faulty.url], { responseHeaderTimeout: IDLE, manifestCheckInterval: '0s' }),
  )
  stops.push(() => through.stop())
  expect((await pullManifest(through.url, 'stall/cached', 'v1')).digest).toBe(first.digest)
  await pushImage(upstream, 'stall/cached', { tag: 'v1' })
  faulty.rules = [{ method: 'GET', path: /\/manifests\//, fault: { kind: 'stall-body', after: 10 } }]
  const answer = await get(manifestUrl(through.url, 'stall/cached', 'v1'), ACCEPT)
  expect(answer.status).toBe(200)
  expect(sha256Digest(answer.body!)).toBe(first.digest)
  expect(answer.ms).toBeLessThan(10_000)
})

describe('a manifest body cut mid-stream', () => {
  test('is an upstream failure: 503, not 500, and the circuit breaker counts it', async () => {
    const faulty = await proxy()
    await pushImage(upstream, 'cut/manifest', { tag: 'v1' })
    faulty.rules = [{ method: 'GET', path: /\/manifests\//, fault: { kind: 'truncate', after: 20 } }]
    const through = await cache([faulty.url])
    for (let attempt = 0; attempt < 3; attempt++) {
      const answer = await get(manifestUrl(through.url, 'cut/manifest', 'v1'), ACCEPT)
      expect(answer.status).toBe(503)
      expect(new TextDecoder().decode(answer.body)).toContain('UNAVAILABLE')
    }
    // Three broken bodies in a row open the circuit: the fourth pull does not reach the upstream.
    const before = faulty.requests.length
    expect((await get(manifestUrl(through.url, 'cut/manifest', 'v1'), ACCEPT)).status).toBe(503)
    expect(faulty.requests.length).toBe(before)
  })

  test('with a second URL, is answered from it', async () => {
    const faulty = await proxy()
    const image = await pushImage(upstream, 'cut/second', { tag: 'v1', format: 'docker' })
    faulty.rules = [{ method: 'GET', path: /\/manifests\//, fault: { kind: 'truncate', after: 20 } }]
    const through = await cache([faulty.url, upstream.url])
    const answer = await pullManifest(through.url, 'cut/second', 'v1')
    expect(answer.status).toBe(200)
    expect(answer.bodyDigest).toBe(image.digest)
  })
})

describe('blobs from a faulty upstream', () => {
  let layer: PushedImage['blobs'][number]
  const repository = 'fault/blob'

  beforeAll(async () => {
    const image = await pushImage(upstream, repository, { tag: 'v1', layers: [3 << 20] })
    layer = image.blobs[1]!
  })

  test('stalled headers: 503 with Retry-After within a few seconds', async () => {
    const faulty = await proxy()
    faulty.rules = [{ method: 'GET', path: /\/blobs\//, fault: { kind: 'stall-headers' } }]
    const through = await cache([faulty.url])
    const answer = await get(blobUrl(through.url, repository, layer.digest))
    expect(answer.status).toBe(503)
    expect(answer.headers.get('Retry-After')).not.toBeNull()
    expect(answer.ms).toBeLessThan(10_000)
  })

  test('a stalled body breaks the transfer (no hang), nothing is cached, and the next pull is whole', async () => {
    const faulty = await proxy()
    faulty.rules = [{ method: 'GET', path: /\/blobs\//, fault: { kind: 'stall-body', after: 1 << 20 } }]
    const through = await cache([faulty.url])
    const stalled = await get(blobUrl(through.url, repository, layer.digest))
    expect(stalled.broke ?? stalled.status).toBeDefined()
    expect(stalled.body === undefined || stalled.status !== 200).toBe(true)
    expect(stalled.ms).toBeLessThan(10_000)
    expect(await through.registry.hasBlob(repository, layer.digest)).toBe(false)
    faulty.rules = []
    let whole: Awaited<ReturnType<typeof get>> | undefined
    for (let attempt = 0; attempt < 40 && whole?.status !== 200; attempt++) {
      whole = await get(blobUrl(through.url, repository, layer.digest))
      if (whole.status !== 200) await Bun.sleep(500)
    }
    expect(whole?.status).toBe(200)
    expect(sha256Digest(whole!.body!)).toBe(layer.digest)
  })

  test('a ranged GET (curl -r) never gets bytes of a corrupt fill, and gets the right ones from a good one', async () => {
    const faulty = await proxy()
    faulty.rules = [{ method: 'GET', path: /\/blobs\//, fault: { kind: 'corrupt', at: 1500 } }]
    const through = await cache([faulty.url])
    const output = join(scratch, `range-${crypto.randomUUID()}`)
    const url = blobUrl(through.url, repository, layer.digest)
    const curl = async (): Promise<string> =>
      (await run('curl', ['-s', '-r', '1000-2000', '-o', output, '-w', '%{http_code}', url])).stdout.trim()
    expect(await curl()).toBe('503')
    expect(await through.registry.hasBlob(repository, layer.digest)).toBe(false)
    faulty.rules = []
    let status = ''
    for (let attempt = 0; attempt < 40 && status !== '206'; attempt++) {
      status = await curl()
      if (status !== '206') await Bun.sleep(500)
    }
    expect(status).toBe('206')
    const original = await fetch(blobUrl(upstream.url, repository, layer.digest)).then((r) => r.arrayBuffer())
    expect(new Uint8Array(await readFile(output))).toEqual(new Uint8Array(original).subarray(1000, 2001))
  })

  test('a body cut mid-way is resumed with Range requests: the client gets the whole blob from one fill', async () => {
    const faulty = await proxy()
    // Every response of the proxy breaks after 1 MiB, resumed ones too: three pieces for 3 MiB.
    faulty.rules = [{ method: 'GET', path: /\/blobs\//, fault: { kind: 'truncate', after: 1 << 20 } }]
    const through = await cache([faulty.url])
    const whole = await get(blobUrl(through.url, repository, layer.digest))
    expect(whole.status).toBe(200)
    expect(sha256Digest(whole.body!)).toBe(layer.digest)
    const gets = faulty.requests.filter((line) => line === `GET /v2/${repository}/blobs/${layer.digest}`)
    expect(gets.length).toBe(3)
  })

  test('a body that stalls on the first URL is finished from the second', async () => {
    await expectFinishedFromSecondUrl({
      path: /\/blobs\//,
      after: 1 << 20,
      url: (base) => blobUrl(base, repository, layer.digest),
      digest: layer.digest,
    })
  })
})

test('a spool left by kill -9 during a fill is removed when the registry starts again', async () => {
  const faulty = await proxy()
  const repository = 'fault/killed'
  const image = await pushImage(upstream, repository, { tag: 'v1', layers: [2 << 20] })
  const layer = image.blobs[1]!
  faulty.rules = [{ method: 'GET', path: /\/blobs\//, fault: { kind: 'stall-body', after: 1 << 20 } }]
  const storage = await createTestStorage({ label: 'killed-fill', kind: 'local' })
  stops.push(() => storage.remove())
  const config = {
    extensions: {
      sync: { enable: true, registries: [{ urls: [faulty.url], onDemand: true, responseHeaderTimeout: '60s' }] },
    },
  }
  const spools = join(storage.rootDirectory, '.sync')
  const spoolFiles = async () => (await readdir(spools).catch(() => [])).filter((name) => name.endsWith('.spool'))
  const spoolBytes = async () => {
    const [name] = await spoolFiles()
    return name ? (await stat(join(spools, name)).catch(() => undefined))?.size : undefined
  }
  const first = await startRegistry({ storage, config })
  const pull = fetch(blobUrl(first.url, repository, layer.digest))
    .then((response) => response.arrayBuffer())
    .catch(() => undefined)
  // Killed mid-transfer: the upstream has sent half the layer and stalls.
  for (let attempt = 0; attempt < 100 && (await spoolBytes()) !== 1 << 20; attempt++) await Bun.sleep(50)
  expect(await spoolBytes()).toBe(1 << 20)
  first.kill('SIGKILL')
  await first.exited
  await pull
  await first.stop()
  expect((await spoolFiles()).length).toBe(1)
  const second = await startRegistry({ storage, config })
  stops.push(() => second.stop())
  for (let attempt = 0; attempt < 100 && (await spoolFiles()).length > 0; attempt++) await Bun.sleep(50)
  expect(await spoolFiles()).toEqual([])
})
