/**
 * containerd as the mirror client, the way Kubernetes nodes use a pull-through cache: one
 * `_default` hosts.toml entry routed by `?ns=`, and zot's documented per-host setup
 * (`override_path` with the destination in the mirror URL). The upstream is docker-registry on
 * loopback, which is also every hosts.toml `server`, so a fallback never leaves the machine; its
 * access log proves which requests reached it directly and which came through the cache.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { onDemandConfig, removeCacheRoots, startCache, type RunningCache } from './support/cache'
import { pushImage, pushIndex } from './support/content'
import { mirrorOnly, startContainerd, type Containerd } from './support/containerd'
import { startDockerRegistry, type DockerRegistry } from './support/docker-registry'

const CACHE_USER_AGENT = /zot-bun-sync/

let upstream: DockerRegistry
let cache: RunningCache
let containerd: Containerd

beforeAll(async () => {
  upstream = await startDockerRegistry()
  cache = await startCache(onDemandConfig([upstream.url], { content: [{ prefix: '**', destination: '/mirror' }] }))
  containerd = await startContainerd()
})

afterAll(async () => {
  await containerd?.stop()
  await cache?.stop()
  await upstream?.stop()
  await removeCacheRoots()
})

test('a _default mirror entry routed by ?ns= pulls through the cache with upstream digests', async () => {
  const index = await pushIndex(upstream, 'org/tool', '2', ['amd64', 'arm64'])
  const amd64 = index.children[0]!
  await containerd.writeHosts('_default', mirrorOnly(upstream.url, cache.url))
  await containerd.fetch(`${upstream.host}/org/tool:2`)

  const stored = await containerd.contentDigests()
  for (const digest of [index.digest, amd64.digest, ...amd64.blobs.map((blob) => blob.digest)])
    expect(stored).toContain(digest)
  // Cached under the entry's destination; only the platform containerd asked for was fetched.
  expect((await cache.registry.resolveManifest('mirror/org/tool', '2')).digest).toBe(index.digest)
  expect(await cache.registry.hasBlob('mirror/org/tool', index.children[1]!.blobs[1]!.digest)).toBe(false)
  // Every upstream request came from the cache: containerd never had to fall back.
  const upstreamHits = upstream.accessLog().filter((line) => line.includes('/org/tool/'))
  expect(upstreamHits.length).toBeGreaterThan(0)
  expect(upstreamHits.filter((line) => line.includes('containerd'))).toEqual([])
  expect(upstreamHits.some((line) => CACHE_USER_AGENT.test(line))).toBe(true)
  expect(cache.logs.some((line) => line.includes('blob not cached'))).toBe(false)
})

test("zot's per-host setup (override_path with the destination in the URL) works alongside", async () => {
  const image = await pushImage(upstream, 'library/app', { tag: '1.0' })
  await containerd.writeHosts(upstream.host, mirrorOnly(upstream.url, `${cache.url}/v2/mirror`, true))
  await containerd.fetch(`${upstream.host}/library/app:1.0`)
  const stored = await containerd.contentDigests()
  for (const digest of [image.digest, ...image.blobs.map((blob) => blob.digest)]) expect(stored).toContain(digest)
  expect((await cache.registry.resolveManifest('mirror/library/app', '1.0')).digest).toBe(image.digest)
  expect(upstream.accessLog().filter((line) => line.includes('/library/app/') && line.includes('containerd'))).toEqual(
    [],
  )
})

test('a namespace the cache does not serve is a 404, and containerd falls back to the (loopback) server', async () => {
  const direct = await startDockerRegistry()
  try {
    const image = await pushImage(direct, 'solo/app', { tag: '1' })
    await containerd.writeHosts(direct.host, mirrorOnly(direct.url, cache.url))
    await containerd.fetch(`${direct.host}/solo/app:1`)
    expect(await containerd.contentDigests()).toContain(image.digest)
    expect(
      direct.accessLog().some((line) => line.startsWith('GET /v2/solo/app/manifests/') && line.includes('containerd')),
    ).toBe(true)
  } finally {
    await direct.stop()
  }
})
