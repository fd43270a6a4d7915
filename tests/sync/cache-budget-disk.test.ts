/**
 * A pull-through cache on a disk that is nearly full (issue 19 part 2), on a real small
 * filesystem: a 32 MiB tmpfs mounted over the storage root (spools included) of a registry
 * served as a child process, Debian's docker-registry as the upstream, `cacheMinFreeBytes` set
 * and no byte budget. A pull that would cut into the free space evicts the least recently pulled
 * cached image first; when evicting everything cached could not make room, nothing is evicted
 * and the client still gets its image, straight from the upstream, verified and not stored, with
 * one log line and a metric. Pushed content is never touched, and a push that does not fit is a 503.
 */
import { expect, test } from 'bun:test'
import { sha256Digest } from '../support/oci-layout'
import {
  holdsBlob,
  holdsImage,
  holdsImageSoon,
  metric,
  pullVerified,
  useSmallDiskScenario,
} from './support/cache-budget'
import { randomBytes, type PushedImage } from './support/content'

const MiB = 1 << 20
const scenario = useSmallDiskScenario({
  label: 'cache-disk',
  bytes: 32 * MiB,
  budget: { cacheMinFreeBytes: '2MiB' },
  upstreamLayers: { 'small/s1': 4 * MiB, 'small/s2': 4 * MiB, 'small/x': 6 * MiB, 'small/z': 16 * MiB },
  mineLayer: 4 * MiB,
})

const image = (name: string): PushedImage => scenario().images.get(`small/${name}`)!
const freeBytes = () => scenario().disk.freeBytes()
const fillUntil = (name: string, left: number) => scenario().disk.fillUntil(name, left)

test('a pull that would cut into the free space evicts the least recently pulled cached image first', async () => {
  const { cache } = scenario().disk
  const { mine } = scenario()
  await pullVerified(cache.url, 'small/s1', 'v1', image('s1'))
  await pullVerified(cache.url, 'small/s2', 'v1', image('s2'))
  await fillUntil('filler-1', 7 * MiB)

  // x's 6 MiB layer plus the 2 MiB to keep free (and headroom) do not fit in 7 MiB: s1 goes.
  await pullVerified(cache.url, 'small/x', 'v1', image('x'))
  expect(await holdsImageSoon(cache.rootDirectory, 'small/x', image('x'))).toBe(true)
  expect(await holdsImage(cache.rootDirectory, 'small/s1', image('s1'))).toBe(false)
  expect(await holdsImageSoon(cache.rootDirectory, 'small/s2', image('s2'))).toBe(true)
  expect(await holdsImageSoon(cache.rootDirectory, 'mine/app', mine)).toBe(true)
  expect(await metric(cache.url, 'zot_sync_cache_evictions_total')).toBe(1)
  expect(await metric(cache.url, 'zot_sync_cache_passthrough_total')).toBe(0)
  expect(await freeBytes()).toBeGreaterThanOrEqual(2 * MiB)
}, 60_000)

test('when nothing can make room the pull is served straight through, verified and not stored', async () => {
  const { cache } = scenario().disk
  const { mine } = scenario()
  await fillUntil('filler-2', 1.5 * MiB)
  const z = image('z')
  const layer = z.blobs[1]!.digest

  // 16 MiB never fits, whatever is evicted: the client gets it from the upstream all the same.
  await pullVerified(cache.url, 'small/z', 'v1', z)
  expect(await holdsBlob(cache.rootDirectory, 'small/z', layer)).toBe(false)
  expect(await holdsBlob(cache.rootDirectory, 'small/z', z.digest)).toBe(true)
  expect(await metric(cache.url, 'zot_sync_cache_passthrough_total')).toBe(1)
  // Evicting x could not have made room for it, so x stays cached.
  expect(await holdsImageSoon(cache.rootDirectory, 'small/x', image('x'))).toBe(true)
  expect(await holdsImageSoon(cache.rootDirectory, 'mine/app', mine)).toBe(true)

  // Said once, not once per blob: a second pull is served the same way without a new line.
  await pullVerified(cache.url, 'small/z', 'v1', z)
  expect(await metric(cache.url, 'zot_sync_cache_passthrough_total')).toBe(2)
  const said = cache
    .logs()
    .split('\n')
    .filter((line) => line.includes('no room to cache'))
  expect(said).toHaveLength(1)
  expect(said[0]).toContain(layer)
  expect(await freeBytes()).toBeGreaterThan(0)
}, 60_000)

test('a push that does not fit is a 503 UNAVAILABLE, and cached content stays pullable', async () => {
  const { cache } = scenario().disk
  const { mine } = scenario()
  await fillUntil('filler-3', 1 * MiB)
  const data = randomBytes(4 * MiB)
  const response = await fetch(`${cache.url}/v2/mine/big/blobs/uploads/?digest=${sha256Digest(data)}`, {
    method: 'POST',
    body: data,
  })
  expect(response.status).toBe(503)
  expect(((await response.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('UNAVAILABLE')
  await pullVerified(cache.url, 'small/x', 'v1', image('x'))
  await pullVerified(cache.url, 'mine/app', 'v1', mine)
}, 60_000)
