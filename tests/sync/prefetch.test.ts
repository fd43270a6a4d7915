/**
 * `prefetch: true` (a zot-bun extension), with Debian's docker-registry as the upstream and our
 * registry served for real (a child process): a manifest GET alone leaves an image that pulls
 * whole once the upstream is stopped; for an index, only the platforms of `platforms` (or, with
 * none, this machine's) are prefetched; a client pulling while prefetch runs shares its fills,
 * one upstream GET per blob (counted in the upstream's access log); a blob past the cache budget
 * is not prefetched; a stop cancels a prefetch that stalls; and the prefetch counters.
 */
import { expect, test } from 'bun:test'
import { startFaultProxy } from '../reliability/support/fault-proxy'
import { startRegistry } from '../support/server'
import { eventually, metric, pullVerified } from './support/cache-budget'
import { pullBlob, pullManifest, pushImage, pushIndex } from './support/content'
import type { DockerRegistry } from './support/docker-registry'
import { upstreamAndCacheStarter, upstreamGets } from './support/upstream-and-cache'

const MiB = 1 << 20
/** Pairs whose cache pulls on demand with prefetch (and serves metrics). */
const upstreamAndCache = upstreamAndCacheStarter({ onDemand: true, prefetch: true }, { metrics: true })

/** Whether the upstream has served every digest (once the cache prefetched them). */
const fetchedAll = (upstream: DockerRegistry, digests: string[]): Promise<boolean> =>
  eventually(async () => digests.every((digest) => upstreamGets(upstream, digest) >= 1))

const HOST_ARCH = process.arch === 'x64' ? 'amd64' : process.arch

test('a manifest GET alone leaves an image that pulls whole after the upstream is stopped', async () => {
  const {
    upstream,
    cache,
    pushed: image,
  } = await upstreamAndCache({}, (upstream) =>
    pushImage(upstream, 'edge/app', { tag: '1.0', layers: [3 * MiB, 64 * 1024, 1 * MiB] }),
  )
  const manifest = await pullManifest(cache.url, 'edge/app', '1.0')
  expect(manifest.status).toBe(200)
  expect(
    await fetchedAll(
      upstream,
      image.blobs.map((blob) => blob.digest),
    ),
  ).toBe(true)
  // Fetched is not yet stored: the counter moves once each fill is in storage.
  expect(await eventually(async () => (await metric(cache.url, 'zot_sync_prefetch_blobs_total')) === 4)).toBe(true)
  const bytes = image.blobs.reduce((sum, blob) => sum + blob.size, 0)
  expect(await metric(cache.url, 'zot_sync_prefetch_bytes_total')).toBe(bytes)

  await upstream.stop()
  await pullVerified(cache.url, 'edge/app', '1.0', image)
  // Every blob was in storage: none was a miss.
  expect(await metric(cache.url, 'zot_sync_cache_misses_total')).toBe(0)
}, 60_000)

test('an index prefetches only the platforms of `platforms`', async () => {
  const {
    upstream,
    cache,
    pushed: index,
  } = await upstreamAndCache({ platforms: ['linux/arm64'] }, (upstream) =>
    pushIndex(upstream, 'multi/app', '1.0', ['amd64', 'arm64', 's390x']),
  )
  const [amd64, arm64, s390x] = index.children
  expect((await pullManifest(cache.url, 'multi/app', '1.0')).status).toBe(200)
  expect(await fetchedAll(upstream, [arm64!.digest, ...arm64!.blobs.map((blob) => blob.digest)])).toBe(true)
  expect(await eventually(async () => (await metric(cache.url, 'zot_sync_prefetch_blobs_total')) === 3)).toBe(true)
  for (const other of [amd64!, s390x!])
    for (const digest of [other.digest, ...other.blobs.map((blob) => blob.digest)])
      expect(upstreamGets(upstream, digest)).toBe(0)

  await upstream.stop()
  await pullVerified(cache.url, 'multi/app', arm64!.digest, arm64!)
}, 60_000)

test("without `platforms`, an index prefetches this machine's platform", async () => {
  const architectures = [...new Set([HOST_ARCH, 'ppc64le', 's390x'])]
  const {
    upstream,
    cache,
    pushed: index,
  } = await upstreamAndCache({}, (upstream) => pushIndex(upstream, 'host/app', '1.0', architectures))
  const [host, ...others] = index.children
  expect((await pullManifest(cache.url, 'host/app', '1.0')).status).toBe(200)
  expect(await fetchedAll(upstream, [host!.digest, ...host!.blobs.map((blob) => blob.digest)])).toBe(true)
  expect(await eventually(async () => (await metric(cache.url, 'zot_sync_prefetch_blobs_total')) === 3)).toBe(true)
  for (const other of others) expect(upstreamGets(upstream, other.digest)).toBe(0)

  await upstream.stop()
  await pullVerified(cache.url, 'host/app', host!.digest, host!)
}, 60_000)

test('a client pulling while prefetch runs shares its fills: one upstream GET per blob', async () => {
  const {
    upstream,
    cache,
    pushed: image,
  } = await upstreamAndCache({}, (upstream) =>
    pushImage(upstream, 'shared/app', { tag: '1.0', layers: [24 * MiB, 16 * MiB, 8 * MiB] }),
  )
  expect((await pullManifest(cache.url, 'shared/app', '1.0')).status).toBe(200)
  // Straight after the manifest, as a client does: prefetch has started (or is about to) the same blobs.
  const pulls = await Promise.all(image.blobs.map((blob) => pullBlob(cache.url, 'shared/app', blob.digest)))
  for (const [i, pulled] of pulls.entries()) {
    expect(pulled.status).toBe(200)
    expect(pulled.digest).toBe(image.blobs[i]!.digest)
  }
  // Whichever started a fill, the other joined it.
  await Bun.sleep(500)
  for (const blob of image.blobs) expect(upstreamGets(upstream, blob.digest)).toBe(1)
}, 60_000)

test('a blob the cache budget has no room for is not prefetched; the others are', async () => {
  const {
    upstream,
    cache,
    pushed: image,
  } = await upstreamAndCache(
    {},
    (upstream) => pushImage(upstream, 'budget/app', { tag: '1.0', layers: [6 * MiB, 64 * 1024] }),
    { cacheMaxBytes: '4MiB' },
  )
  const [config, big, layer] = image.blobs
  expect((await pullManifest(cache.url, 'budget/app', '1.0')).status).toBe(200)
  expect(await eventually(async () => (await metric(cache.url, 'zot_sync_prefetch_blobs_total')) === 2)).toBe(true)
  expect(await metric(cache.url, 'zot_sync_prefetch_bytes_total')).toBe(config!.size + layer!.size)
  expect(upstreamGets(upstream, big!.digest)).toBe(0)
}, 60_000)

test('a stop does not wait for a prefetch: the fill nobody reads is cancelled and the server exits at once', async () => {
  const { upstream: registry, pushed: image } = await upstreamAndCache({}, (upstream) =>
    pushImage(upstream, 'stall/app', { tag: '1.0', layers: [4 * MiB] }),
  )
  const layer = image.blobs[1]!
  // The layer's body stops after 1 MiB and never goes on (nor times out: the timeout is long).
  const proxy = await startFaultProxy(registry.url)
  proxy.rules = [
    { method: 'GET', path: new RegExp(`/blobs/${layer.digest}$`), fault: { kind: 'stall-body', after: MiB } },
  ]
  const cache = await startRegistry({
    config: {
      log: { level: 'debug' },
      extensions: {
        sync: {
          registries: [{ urls: [proxy.url], onDemand: true, prefetch: true, responseHeaderTimeout: '60s' }],
        },
      },
    },
  })
  try {
    expect((await pullManifest(cache.url, 'stall/app', '1.0')).status).toBe(200)
    expect(await eventually(async () => proxy.faulted === 1)).toBe(true)
    const started = performance.now()
    cache.kill('SIGTERM')
    // Exited by itself, well before the 60 s the stalled body could hold it.
    expect(await cache.exited).toBe(0)
    expect(performance.now() - started).toBeLessThan(10_000)
  } finally {
    await cache.stop()
    await proxy.stop()
  }
}, 60_000)
