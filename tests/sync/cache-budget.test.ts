/**
 * The cache budget (issue 19 part 2) against Debian's docker-registry as the upstream, with our
 * registry served for real (a child process): pulled-through images past `cacheMaxBytes` are
 * evicted least recently pulled first, down to `cacheLowWatermark`, whole (manifest and blobs);
 * the recently pulled stay; pushed content (an image pushed here, and a cached image a client
 * re-pushed) is never evicted; pulls racing evictions complete with the right bytes, containerd's
 * included; metrics count it all.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startRegistry, type RunningRegistry } from '../support/server'
import {
  cacheConfig,
  eventually,
  failuresLogged,
  holdsBlob,
  holdsImage,
  holdsImageSoon,
  metric,
  pullVerified,
} from './support/cache-budget'
import { pullManifest, pushImage, pushIndex, pushManifest, type PushedImage } from './support/content'
import { mirrorOnly, startContainerd } from './support/containerd'
import { startDockerRegistry, type DockerRegistry } from './support/docker-registry'

const MiB = 1 << 20
const stops: (() => Promise<void>)[] = []
let upstream: DockerRegistry

beforeAll(async () => {
  upstream = await startDockerRegistry()
  stops.push(() => upstream.stop())
}, 30_000)

afterAll(async () => {
  for (const stop of stops.reverse()) await stop()
})

async function startCache(budget: Record<string, unknown>): Promise<RunningRegistry> {
  const cache = await startRegistry({ config: cacheConfig(upstream.url, budget) })
  stops.push(() => cache.stop())
  return cache
}

describe('least recently pulled eviction', () => {
  const images = new Map<string, PushedImage>()
  let cache: RunningRegistry
  let mine: PushedImage

  beforeAll(async () => {
    for (const name of ['a', 'b', 'c', 'd'])
      images.set(name, await pushImage(upstream, `lru/${name}`, { tag: 'v1', layers: [4 * MiB] }))
    cache = await startCache({ cacheMaxBytes: '10MiB', cacheLowWatermark: '9MiB' })
    mine = await pushImage(cache, 'mine/app', { tag: 'v1', layers: [4 * MiB] })
  }, 60_000)

  const image = (name: string): PushedImage => images.get(name)!

  test('past the budget the least recently pulled image goes; recent, pushed and re-pushed ones stay', async () => {
    await pullVerified(cache.url, 'lru/a', 'v1', image('a'))
    await pullVerified(cache.url, 'lru/b', 'v1', image('b'))
    // A client pushes the cached manifest under a tag of its own: b is pushed content now.
    await pushManifest(cache, 'lru/b', 'keep', image('b').bytes, image('b').mediaType)
    await pullVerified(cache.url, 'lru/c', 'v1', image('c'))
    // a is pulled again: c is now the least recently pulled cached image.
    await pullVerified(cache.url, 'lru/a', 'v1', image('a'))
    await pullVerified(cache.url, 'lru/d', 'v1', image('d'))

    // a, c and d are cached (about 12 MiB > 10 MiB): c goes, and that is enough (8 MiB <= 9 MiB).
    expect(await eventually(async () => !(await holdsImage(cache.rootDirectory, 'lru/c', image('c'))))).toBe(true)
    for (const blob of [image('c').digest, ...image('c').blobs.map((b) => b.digest)])
      expect(await holdsBlob(cache.rootDirectory, 'lru/c', blob)).toBe(false)
    expect(await holdsImageSoon(cache.rootDirectory, 'lru/a', image('a'))).toBe(true)
    expect(await holdsImageSoon(cache.rootDirectory, 'lru/d', image('d'))).toBe(true)
    expect(await holdsImageSoon(cache.rootDirectory, 'lru/b', image('b'))).toBe(true)
    expect(await holdsImageSoon(cache.rootDirectory, 'mine/app', mine)).toBe(true)

    expect(await metric(cache.url, 'zot_sync_cache_evictions_total')).toBe(1)
    const cached = await metric(cache.url, 'zot_sync_cache_bytes')
    expect(cached).toBeGreaterThan(7 * MiB)
    expect(cached).toBeLessThanOrEqual(9 * MiB)
    expect(await metric(cache.url, 'zot_sync_cache_max_bytes')).toBe(10 * MiB)
    expect(await metric(cache.url, 'zot_sync_cache_evicted_bytes_total')).toBeGreaterThan(4 * MiB)
    // Each image's config and layer was fetched once (8 misses) and a's again from storage (2 hits).
    expect(await metric(cache.url, 'zot_sync_cache_misses_total')).toBe(8)
    expect(await metric(cache.url, 'zot_sync_cache_hits_total')).toBe(2)
    expect(await metric(cache.url, 'zot_sync_cache_upstream_bytes_total')).toBeGreaterThan(16 * MiB)
    expect(await metric(cache.url, 'zot_sync_cache_passthrough_total')).toBe(0)
  }, 60_000)

  test('an evicted image is pulled through again', async () => {
    await pullVerified(cache.url, 'lru/c', 'v1', image('c'))
    expect(await holdsImageSoon(cache.rootDirectory, 'lru/c', image('c'))).toBe(true)
    expect(await holdsImageSoon(cache.rootDirectory, 'mine/app', mine)).toBe(true)
    expect(await holdsImageSoon(cache.rootDirectory, 'lru/b', image('b'))).toBe(true)
  }, 30_000)
})

describe('a multi-platform image', () => {
  test('goes whole: the index, the platform manifest pulled by digest and its blobs', async () => {
    const tool = await pushIndex(upstream, 'multi/tool', 'v1', ['amd64', 'arm64'])
    const amd64 = tool.children[0]!
    const big = await pushImage(upstream, 'multi/big', { tag: 'v1', layers: [1020 * 1024] })
    const cache = await startCache({ cacheMaxBytes: '1MiB', cacheLowWatermark: '1023KiB' })
    expect((await pullManifest(cache.url, 'multi/tool', 'v1')).bodyDigest).toBe(tool.digest)
    await pullVerified(cache.url, 'multi/tool', amd64.digest, amd64)
    expect(await holdsImageSoon(cache.rootDirectory, 'multi/tool', amd64)).toBe(true)

    // The tool's few KiB and big's 1020 KiB are over 1 MiB: the tool, pulled first, goes whole.
    await pullVerified(cache.url, 'multi/big', 'v1', big)
    const toolDigests = [tool.digest, amd64.digest, ...amd64.blobs.map((blob) => blob.digest)]
    expect(
      await eventually(async () => {
        for (const digest of toolDigests) if (await holdsBlob(cache.rootDirectory, 'multi/tool', digest)) return false
        return true
      }),
    ).toBe(true)
    expect(await holdsImageSoon(cache.rootDirectory, 'multi/big', big)).toBe(true)
    expect(await metric(cache.url, 'zot_sync_cache_evictions_total')).toBe(1)
  }, 60_000)
})

describe('pulls racing evictions', () => {
  test('concurrent pulls of more images than fit all get the right bytes while images are evicted', async () => {
    const names = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5']
    const images = new Map<string, PushedImage>()
    for (const name of names)
      images.set(name, await pushImage(upstream, `race/${name}`, { tag: 'v1', layers: [2 * MiB, 1 * MiB] }))
    const cache = await startCache({ cacheMaxBytes: '7MiB', cacheLowWatermark: '4MiB' })
    const failures: string[] = []
    const puller = async (seed: number) => {
      for (let round = 0; round < 12; round++) {
        const name = names[(seed * 5 + round * 7) % names.length]!
        await pullVerified(cache.url, `race/${name}`, 'v1', images.get(name)!).catch((error: unknown) =>
          failures.push(String(error)),
        )
      }
    }
    await Promise.all([puller(0), puller(1), puller(2), puller(3)])
    expect(failures, failuresLogged(cache)).toEqual([])
    expect(await eventually(async () => ((await metric(cache.url, 'zot_sync_cache_evictions_total')) ?? 0) >= 2)).toBe(
      true,
    )
    // Once the passes settle, the cache is back within its budget.
    expect(
      await eventually(async () => ((await metric(cache.url, 'zot_sync_cache_bytes')) ?? Infinity) <= 7 * MiB),
    ).toBe(true)
  }, 120_000)
})

describe('containerd while eviction runs', () => {
  test('ctr fetches every image through the cache, never from the upstream, while they are evicted', async () => {
    const containerd = await startContainerd()
    stops.push(() => containerd.stop())
    const names = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5']
    const images = new Map<string, PushedImage>()
    for (const name of names)
      images.set(name, await pushImage(upstream, `ctrd/${name}`, { tag: 'v1', layers: [2 * MiB, 1 * MiB] }))
    const cache = await startCache({ cacheMaxBytes: '7MiB', cacheLowWatermark: '4MiB' })
    await containerd.writeHosts(upstream.host, mirrorOnly(upstream.url, cache.url))
    // Two HTTP clients cycle through the same images meanwhile, keeping the cache over budget.
    let fetching = true
    const failures: string[] = []
    const churn = async (offset: number) => {
      for (let round = offset; fetching; round++) {
        const name = names[round % names.length]!
        await pullVerified(cache.url, `ctrd/${name}`, 'v1', images.get(name)!).catch((error: unknown) =>
          failures.push(String(error)),
        )
      }
    }
    const churning = Promise.all([churn(0), churn(3)])
    try {
      for (const name of names) await containerd.fetch(`${upstream.host}/ctrd/${name}:v1`)
    } finally {
      fetching = false
      await churning
    }
    expect(failures, failuresLogged(cache)).toEqual([])
    const stored = await containerd.contentDigests()
    for (const image of images.values())
      for (const digest of [image.digest, ...image.blobs.map((blob) => blob.digest)]) expect(stored).toContain(digest)
    // containerd never fell back to the upstream: every byte came through the cache.
    const direct = upstream.accessLog().filter((line) => line.includes('/ctrd/') && line.includes('containerd'))
    expect(direct, failuresLogged(cache)).toEqual([])
    // Evictions began meanwhile; each finishes once the reads before it had time to open their files.
    const evicted = async () => ((await metric(cache.url, 'zot_sync_cache_evictions_total')) ?? 0) > 0
    expect(await eventually(evicted)).toBe(true)
  }, 120_000)
})
