/**
 * A large layer streams through the cache while it is being fetched: with the upstream slowed
 * down, the client's first byte arrives long before the last one left the upstream (zot blocks
 * until the whole image is copied: #2416, #3359). Ranged requests on a blob being filled work
 * too. Sizes are kept moderate for a shared CI machine; `tests/sync/bench-cold-pull.ts` measures
 * 500 MiB.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { onDemandConfig, removeCacheRoots, startCache, type RunningCache } from './support/cache'
import { pullManifest, pushImage, type PushedImage } from './support/content'
import { startOwnUpstream, type OwnUpstream } from './support/own-upstream'
import { timedBlobPull } from './support/timed-pull'

const LAYER_BYTES = 200 << 20
const UPSTREAM_RATE = 100 << 20

let upstream: OwnUpstream
let cache: RunningCache
let image: PushedImage

beforeAll(async () => {
  upstream = await startOwnUpstream()
  cache = await startCache(onDemandConfig([upstream.url]))
  image = await pushImage(upstream, 'big/layer', { tag: '1', layers: [LAYER_BYTES] })
})

afterAll(async () => {
  await cache.stop()
  await upstream.stop()
  await removeCacheRoots()
})

test('the first byte of a 200 MiB cold layer arrives before the upstream has sent the last', async () => {
  const layer = image.blobs[1]!
  expect((await pullManifest(cache.url, 'big/layer', '1')).status).toBe(200)
  upstream.misbehave.throttleBytesPerSecond = UPSTREAM_RATE
  try {
    const pull = await timedBlobPull(cache.url, 'big/layer', layer.digest)
    expect(pull).toMatchObject({ status: 200, bytes: layer.size, digest: layer.digest })
    // The upstream alone needs ~2 s; the first byte must come in a small fraction of that.
    expect(pull.firstByteMs).toBeLessThan(pull.totalMs / 4)
    console.log(
      `cold 200 MiB at 100 MiB/s upstream: first byte ${pull.firstByteMs.toFixed(0)} ms, total ${pull.totalMs.toFixed(0)} ms`,
    )
  } finally {
    upstream.misbehave.throttleBytesPerSecond = undefined
  }
  // The commit to storage finishes right after the last byte; no second upstream GET is needed.
  const deadline = Date.now() + 10_000
  while (!(await cache.registry.hasBlob('big/layer', layer.digest)) && Date.now() < deadline) await Bun.sleep(20)
  expect(await cache.registry.hasBlob('big/layer', layer.digest)).toBe(true)
  expect(upstream.count('GET', new RegExp(`/blobs/${layer.digest}$`))).toBe(1)
})

test('a range of a blob still being filled is served once the fill has verified it, from one upstream GET', async () => {
  const fresh = await pushImage(upstream, 'big/ranged', { tag: '1', layers: [8 << 20] })
  const layer = fresh.blobs[1]!
  await pullManifest(cache.url, 'big/ranged', '1')
  upstream.misbehave.throttleBytesPerSecond = 16 << 20
  try {
    const full = timedBlobPull(cache.url, 'big/ranged', layer.digest)
    await Bun.sleep(50)
    const ranged = await fetch(`${cache.url}/v2/big/ranged/blobs/${layer.digest}`, {
      headers: { Range: 'bytes=1048576-2097151' },
    })
    expect(ranged.status).toBe(206)
    expect((await ranged.arrayBuffer()).byteLength).toBe(1 << 20)
    expect((await full).digest).toBe(layer.digest)
  } finally {
    upstream.misbehave.throttleBytesPerSecond = undefined
  }
  expect(upstream.count('GET', new RegExp(`/blobs/${layer.digest}$`))).toBe(1)
})
