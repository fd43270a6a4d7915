/**
 * Pull-through against our own registry as the upstream (in-process, loopback): digests equal
 * the upstream's for OCI and Docker content, one upstream GET per blob however many clients,
 * lazy per-platform fetching, corrupt bytes never cached, cached content served at once when the
 * upstream dies, tags revalidated with HEAD at most once per interval (across restarts), upstream
 * tags listed, referrers fetched, and a 404 that names the missing sync rule.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { MediaType } from '../support/oci-layout'
import { onDemandConfig, removeCacheRoots, startCache, type RunningCache } from './support/cache'
import { descriptorOf, pullBlob, pullManifest, pushImage, pushIndex } from './support/content'
import { startOwnUpstream, type OwnUpstream } from './support/own-upstream'

let upstream: OwnUpstream
let cache: RunningCache

beforeAll(async () => {
  upstream = await startOwnUpstream()
  cache = await startCache(
    onDemandConfig([upstream.url], {
      content: [{ prefix: '**', destination: '/mirror' }],
      manifestCheckInterval: '1m',
    }),
  )
})

afterAll(async () => {
  await cache.stop()
  await upstream.stop()
  await removeCacheRoots()
})

const blobGets = (digest: string): number => upstream.count('GET', new RegExp(`/blobs/${digest}$`))

describe('digests', () => {
  test('an OCI image pulled by tag has the upstream digests, manifest and blobs', async () => {
    const image = await pushImage(upstream, 'apps/web', { tag: '1.0' })
    const pulled = await pullManifest(cache.url, 'mirror/apps/web', '1.0')
    expect(pulled.status).toBe(200)
    expect(pulled.digest).toBe(image.digest)
    expect(pulled.bodyDigest).toBe(image.digest)
    expect(pulled.contentType).toBe(MediaType.ociManifest)
    for (const blob of image.blobs)
      expect(await pullBlob(cache.url, 'mirror/apps/web', blob.digest)).toEqual({
        status: 200,
        digest: blob.digest,
        size: blob.size,
      })
  })

  test('Docker v2s2 manifests and lists are stored byte for byte with their media type', async () => {
    const list = await pushIndex(upstream, 'apps/docker', 'v2', ['amd64', 'arm64'], 'docker')
    const pulled = await pullManifest(cache.url, 'mirror/apps/docker', 'v2')
    expect(pulled).toMatchObject({
      status: 200,
      digest: list.digest,
      bodyDigest: list.digest,
      contentType: MediaType.dockerManifestList,
    })
    const child = list.children[1]!
    const childPulled = await pullManifest(cache.url, 'mirror/apps/docker', child.digest)
    expect(childPulled).toMatchObject({
      status: 200,
      digest: child.digest,
      bodyDigest: child.digest,
      contentType: MediaType.dockerManifest,
    })
  })
})

describe('lazy and single-flight', () => {
  test('only the platform a client asks for is fetched', async () => {
    const index = await pushIndex(upstream, 'apps/multi', 'latest', ['amd64', 'arm64', 's390x'])
    const [amd64, arm64] = index.children
    expect((await pullManifest(cache.url, 'mirror/apps/multi', 'latest')).digest).toBe(index.digest)
    expect((await pullManifest(cache.url, 'mirror/apps/multi', arm64!.digest)).status).toBe(200)
    for (const blob of arm64!.blobs)
      expect((await pullBlob(cache.url, 'mirror/apps/multi', blob.digest)).digest).toBe(blob.digest)
    expect(upstream.count('GET', new RegExp(`/manifests/${amd64!.digest}$`))).toBe(0)
    for (const blob of amd64!.blobs) expect(blobGets(blob.digest)).toBe(0)
  })

  test('20 concurrent cold pulls make one upstream GET per blob and one per manifest', async () => {
    const image = await pushImage(upstream, 'apps/herd', {
      tag: 'stable',
      layers: [3 << 20, 1 << 20],
    })
    upstream.misbehave.throttleBytesPerSecond = 16 << 20
    try {
      const pulls = Array.from({ length: 20 }, async () => {
        const manifest = await pullManifest(cache.url, 'mirror/apps/herd', 'stable')
        const blobs = await Promise.all(image.blobs.map((blob) => pullBlob(cache.url, 'mirror/apps/herd', blob.digest)))
        return { manifest: manifest.digest, blobs: blobs.map((blob) => blob.digest) }
      })
      for (const pull of await Promise.all(pulls))
        expect(pull).toEqual({
          manifest: image.digest,
          blobs: image.blobs.map((blob) => blob.digest),
        })
    } finally {
      upstream.misbehave.throttleBytesPerSecond = undefined
    }
    expect(upstream.count('GET', /\/apps\/herd\/manifests\//)).toBe(1)
    for (const blob of image.blobs) expect(blobGets(blob.digest)).toBe(1)
    // No HEAD either: blob sizes come from the manifest fetched through the cache.
    expect(upstream.count('HEAD', /\/apps\/herd\/blobs\//)).toBe(0)
  })

  test('a cold blob GET asks storage once, not once for its size and again to read it', async () => {
    const image = await pushImage(upstream, 'apps/storage-questions', { tag: '1.0' })
    const layer = image.blobs[1]!
    const asked: string[] = []
    const { registry } = cache
    const statBlob = registry.statBlob.bind(registry)
    const openBlob = registry.openBlob.bind(registry)
    registry.statBlob = (repository, digest) => {
      if (digest === layer.digest) asked.push('stat')
      return statBlob(repository, digest)
    }
    registry.openBlob = (repository, digest, range) => {
      if (digest === layer.digest) asked.push('open')
      return openBlob(repository, digest, range)
    }
    try {
      expect((await pullBlob(cache.url, 'mirror/apps/storage-questions', layer.digest)).digest).toBe(layer.digest)
      expect(asked).toEqual(['stat'])
      // Once stored (the fill commits just after the last byte), the next GET reads storage.
      while (!(await statBlob('mirror/apps/storage-questions', layer.digest))) await Bun.sleep(5)
      asked.length = 0
      expect((await pullBlob(cache.url, 'mirror/apps/storage-questions', layer.digest)).digest).toBe(layer.digest)
      expect(asked).toEqual(['stat', 'open'])
      expect(blobGets(layer.digest)).toBe(1)
    } finally {
      registry.statBlob = statBlob
      registry.openBlob = openBlob
    }
  })

  test('a client that disconnects does not cancel the fill', async () => {
    const image = await pushImage(upstream, 'apps/quitter', { tag: '1', layers: [4 << 20] })
    const layer = image.blobs[1]!
    await pullManifest(cache.url, 'mirror/apps/quitter', '1')
    upstream.misbehave.throttleBytesPerSecond = 8 << 20
    try {
      const controller = new AbortController()
      const response = await fetch(`${cache.url}/v2/mirror/apps/quitter/blobs/${layer.digest}`, {
        signal: controller.signal,
      })
      const reader = response.body!.getReader()
      await reader.read()
      controller.abort()
      await reader.cancel().catch(() => {})
      await waitFor(async () => (await cache.registry.hasBlob('mirror/apps/quitter', layer.digest)) === true)
    } finally {
      upstream.misbehave.throttleBytesPerSecond = undefined
    }
    expect(await pullBlob(cache.url, 'mirror/apps/quitter', layer.digest)).toEqual({
      status: 200,
      digest: layer.digest,
      size: layer.size,
    })
    expect(blobGets(layer.digest)).toBe(1)
  })
})

describe('integrity and availability', () => {
  test('corrupt upstream bytes break the transfer and nothing is cached', async () => {
    const image = await pushImage(upstream, 'apps/corrupt', { tag: '1', layers: [256 * 1024] })
    const layer = image.blobs[1]!
    await pullManifest(cache.url, 'mirror/apps/corrupt', '1')
    upstream.misbehave.corruptBlobs = true
    try {
      // The transfer breaks (or, at the very least, never delivers the blob whole).
      const pulled = await pullBlob(cache.url, 'mirror/apps/corrupt', layer.digest).catch(() => undefined)
      expect(pulled?.digest === layer.digest && pulled.status === 200).toBe(false)
    } finally {
      upstream.misbehave.corruptBlobs = undefined
    }
    await Bun.sleep(100)
    expect(await cache.registry.hasBlob('mirror/apps/corrupt', layer.digest)).toBe(false)
    // Logged as JSON lines (what was refused, and that the client's transfer was cut), never
    // printed as a stack trace.
    const warnings = cache.logs.map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(warnings).toContainEqual(
      expect.objectContaining({
        message: 'sync: blob not cached',
        digest: layer.digest,
        error: expect.stringContaining('hashing to'),
      }),
    )
    expect(warnings).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'response body failed; the client connection was cut',
        repository: 'mirror/apps/corrupt',
        digest: layer.digest,
        error: expect.stringContaining('hashing to'),
      }),
    )
    // The next pull fetches again, and gets good bytes.
    expect(await pullBlob(cache.url, 'mirror/apps/corrupt', layer.digest)).toEqual({
      status: 200,
      digest: layer.digest,
      size: layer.size,
    })
  })

  test('with the upstream dead, cached pulls by tag and digest succeed at once', async () => {
    const image = await pushImage(upstream, 'apps/resilient', { tag: 'latest' })
    await pullManifest(cache.url, 'mirror/apps/resilient', 'latest')
    for (const blob of image.blobs) await pullBlob(cache.url, 'mirror/apps/resilient', blob.digest)
    const stale = await startCache(
      onDemandConfig([upstream.url], {
        content: [{ prefix: '**', destination: '/mirror' }],
        manifestCheckInterval: 0,
      }),
      { rootDirectory: cache.rootDirectory, start: false },
    )
    upstream.kill()
    try {
      const started = performance.now()
      for (let i = 0; i < 5; i++) {
        expect((await pullManifest(stale.url, 'mirror/apps/resilient', 'latest')).digest).toBe(image.digest)
        expect((await pullManifest(stale.url, 'mirror/apps/resilient', image.digest)).status).toBe(200)
        for (const blob of image.blobs)
          expect((await pullBlob(stale.url, 'mirror/apps/resilient', blob.digest)).digest).toBe(blob.digest)
      }
      // Five pulls with tag checks against a dead upstream: milliseconds, not timeouts.
      expect(performance.now() - started).toBeLessThan(5000)
      const uncached = await pullManifest(stale.url, 'mirror/apps/never-pulled', 'latest')
      expect(uncached.status).toBe(503)
      expect(uncached.headers.get('Retry-After')).not.toBeNull()
      // One warning per failed check that says what happened: the cached copy was served, and
      // why the upstream could not answer (not the 503's "the content is not cached").
      const checks = stale.logs.filter((line) => line.includes('tag check failed'))
      expect(checks.length).toBeGreaterThan(0)
      for (const line of checks) {
        expect(JSON.parse(line)).toMatchObject({
          level: 'warn',
          message: 'sync: tag check failed upstream; served the cached manifest',
          repository: 'mirror/apps/resilient',
          tag: 'latest',
          upstreams: [expect.stringContaining(upstream.url.replace('http://', ''))],
        })
        expect(line).not.toContain('not cached')
      }
    } finally {
      upstream.start()
      await stale.stop()
    }
  })

  test('a slow upstream does not hold a cached tag: it is served within the stale window', async () => {
    const image = await pushImage(upstream, 'apps/slow', { tag: 'latest' })
    const slowCache = await startCache(onDemandConfig([upstream.url], { manifestCheckInterval: 0 }))
    try {
      await pullManifest(slowCache.url, 'apps/slow', 'latest')
      upstream.misbehave.delayMs = 10_000
      const started = performance.now()
      expect((await pullManifest(slowCache.url, 'apps/slow', 'latest')).digest).toBe(image.digest)
      // Served after the 2 s stale window, long before the upstream's 10 s answer.
      expect(performance.now() - started).toBeLessThan(6000)
    } finally {
      upstream.misbehave.delayMs = undefined
      await slowCache.stop()
    }
  })
})

describe('revalidation', () => {
  test('pulls by digest never contact the upstream once cached', async () => {
    const image = await pushImage(upstream, 'apps/pinned', { tag: '1' })
    await pullManifest(cache.url, 'mirror/apps/pinned', image.digest)
    const before = upstream.requests.length
    for (let i = 0; i < 3; i++)
      expect((await pullManifest(cache.url, 'mirror/apps/pinned', image.digest)).status).toBe(200)
    expect(upstream.requests.length).toBe(before)
  })

  test('a tag is checked with HEAD once per interval, follows a moved tag, and the check time survives a restart', async () => {
    const first = await pushImage(upstream, 'apps/moving', { tag: 'latest' })
    const config = onDemandConfig([upstream.url], { manifestCheckInterval: '400ms' })
    const moving = await startCache(config)
    try {
      expect((await pullManifest(moving.url, 'apps/moving', 'latest')).digest).toBe(first.digest)
      for (let i = 0; i < 3; i++) await pullManifest(moving.url, 'apps/moving', 'latest')
      expect(upstream.count('HEAD', /apps\/moving\/manifests\/latest$/)).toBe(0)
      expect(upstream.count('GET', /apps\/moving\/manifests\/latest$/)).toBe(1)

      const second = await pushImage(upstream, 'apps/moving', { tag: 'latest' })
      await Bun.sleep(450)
      expect((await pullManifest(moving.url, 'apps/moving', 'latest')).digest).toBe(second.digest)
      expect(upstream.count('HEAD', /apps\/moving\/manifests\/latest$/)).toBe(1)
      expect(upstream.count('GET', /apps\/moving\/manifests\/latest$/)).toBe(1)
      expect(upstream.count('GET', new RegExp(`apps/moving/manifests/${second.digest}$`))).toBe(1)
    } finally {
      await moving.stop()
    }
    const restarted = await startCache(
      { registries: [{ ...config.registries[0], manifestCheckInterval: '1h' }] },
      { rootDirectory: moving.rootDirectory },
    )
    try {
      const heads = upstream.count('HEAD', /apps\/moving\/manifests\/latest$/)
      await pullManifest(restarted.url, 'apps/moving', 'latest')
      expect(upstream.count('HEAD', /apps\/moving\/manifests\/latest$/)).toBe(heads)
    } finally {
      await restarted.stop()
    }
  })
  test('a tag pushed to the cache itself is checked once per interval, not on every pull', async () => {
    const image = await pushImage(cache, 'mirror/local/only', { tag: '1' })
    for (let i = 0; i < 3; i++)
      expect((await pullManifest(cache.url, 'mirror/local/only', '1')).digest).toBe(image.digest)
    expect(upstream.count('HEAD', /\/local\/only\/manifests\/1$/)).toBe(1)
  })
})

describe('listings', () => {
  test('tags/list of a cached repository includes the upstream tags', async () => {
    await pushImage(upstream, 'apps/tagged', { tag: 'a' })
    await pushImage(upstream, 'apps/tagged', { tag: 'b' })
    await pullManifest(cache.url, 'mirror/apps/tagged', 'a')
    const response = await fetch(`${cache.url}/v2/mirror/apps/tagged/tags/list`)
    expect(await response.json()).toEqual({ name: 'mirror/apps/tagged', tags: ['a', 'b'] })
    const never = await fetch(`${cache.url}/v2/mirror/apps/web/tags/list`)
    expect(((await never.json()) as { tags: string[] }).tags).toContain('1.0')
  })

  test('referrers of a cached subject are fetched on the referrers request', async () => {
    const subject = await pushImage(upstream, 'apps/signed', { tag: '1' })
    const sbom = await pushImage(upstream, 'apps/signed', {
      subject: descriptorOf(subject),
      artifactType: 'application/spdx+json',
      layers: [100],
    })
    await pullManifest(cache.url, 'mirror/apps/signed', '1')
    const response = await fetch(`${cache.url}/v2/mirror/apps/signed/referrers/${subject.digest}`)
    const index = (await response.json()) as {
      manifests: { digest: string; artifactType?: string }[]
    }
    expect(index.manifests).toEqual([
      expect.objectContaining({ digest: sbom.digest, artifactType: 'application/spdx+json' }),
    ])
    expect((await pullManifest(cache.url, 'mirror/apps/signed', sbom.digest)).bodyDigest).toBe(sbom.digest)
  })

  test('a name no content rule covers gets a 404 that says so', async () => {
    const response = await fetch(`${cache.url}/v2/elsewhere/app/manifests/1`)
    expect(response.status).toBe(404)
    const body = (await response.json()) as {
      errors: { code: string; detail: { description: string } }[]
    }
    expect(body.errors[0]!.code).toBe('MANIFEST_UNKNOWN')
    expect(body.errors[0]!.detail.description).toContain('no sync rule')
    expect(body.errors[0]!.detail.description).toContain('mirror/**')
  })
})

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await Bun.sleep(25)
  }
}
