/**
 * A pull-through cache whose disk is full to the last byte, with no budget key (zot's config as
 * it is): an 8 MiB tmpfs under the storage root of a registry served as a child process, Debian's
 * docker-registry upstream. The pull still gets its image: the manifest storage refuses is served
 * from memory and the blobs straight from the upstream, verified; nothing is stored and nothing
 * evicted, and the log says so once each. Once there is room again, the next pull caches it.
 */
import { expect, test } from 'bun:test'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { holdsBlob, holdsImageSoon, metric, pullVerified, useSmallDiskScenario } from './support/cache-budget'

const MiB = 1 << 20
const scenario = useSmallDiskScenario({
  label: 'cache-full-disk',
  bytes: 8 * MiB,
  budget: {},
  upstreamLayers: { 'full/app': 1 * MiB },
  mineLayer: 2 * MiB,
})

test('on a disk full to the last byte the pull is served from memory and the upstream, nothing stored', async () => {
  const { disk, mine } = scenario()
  const { cache } = disk
  const image = scenario().images.get('full/app')!
  await disk.fillUntil('filler', 0)
  expect(await disk.freeBytes()).toBe(0)

  await pullVerified(cache.url, 'full/app', 'v1', image)
  await pullVerified(cache.url, 'full/app', 'v1', image)
  for (const digest of [image.digest, ...image.blobs.map((blob) => blob.digest)])
    expect(await holdsBlob(cache.rootDirectory, 'full/app', digest)).toBe(false)
  expect(await metric(cache.url, 'zot_sync_cache_passthrough_total')).toBe(4)
  expect(await metric(cache.url, 'zot_sync_cache_evictions_total')).toBe(0)
  const logs = cache.logs().split('\n')
  expect(logs.filter((line) => line.includes('no room to store manifests'))).toHaveLength(1)
  expect(logs.filter((line) => line.includes('no room to cache'))).toHaveLength(1)
  await pullVerified(cache.url, 'mine/app', 'v1', mine)
}, 60_000)

test('once there is room again the next pull caches the image', async () => {
  const { cache } = scenario().disk
  const image = scenario().images.get('full/app')!
  await rm(join(cache.rootDirectory, 'filler'))
  await pullVerified(cache.url, 'full/app', 'v1', image)
  expect(await holdsImageSoon(cache.rootDirectory, 'full/app', image)).toBe(true)
  expect(await metric(cache.url, 'zot_sync_cache_passthrough_total')).toBe(4)
}, 60_000)
