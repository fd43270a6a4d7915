/**
 * Periodic mirroring from our own registry: only repositories a rule covers, only tags the
 * filters allow (regex, excludeRegex, semver), everything eagerly (all platforms, all blobs),
 * referrers and legacy signature tags along with their image, moved tags re-copied on the next
 * run, and an upstream without a catalog mirrored by the plain names in its rules.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { removeCacheRoots, startCache, type RunningCache } from './support/cache'
import { descriptorOf, pushImage, pushIndex, pushManifest } from './support/content'
import { startOwnUpstream, type OwnUpstream } from './support/own-upstream'

let upstream: OwnUpstream
const caches: RunningCache[] = []

beforeAll(async () => {
  upstream = await startOwnUpstream()
})

afterAll(async () => {
  for (const cache of caches) await cache.stop()
  await upstream.stop()
  await removeCacheRoots()
})

async function mirror(content: Record<string, unknown>[], pollInterval = '1m'): Promise<RunningCache> {
  const cache = await startCache({
    registries: [{ urls: [upstream.url], pollInterval, content, responseHeaderTimeout: '5s' }],
  })
  caches.push(cache)
  return cache
}

async function runsDone(cache: RunningCache, count: number): Promise<void> {
  const deadline = Date.now() + 20_000
  while (cache.logs.filter((line) => line.includes('periodic run done')).length < count) {
    if (Date.now() > deadline)
      throw new Error(`periodic sync did not finish ${count} run(s):\n${cache.logs.join('\n')}`)
    await Bun.sleep(25)
  }
}

const localTags = (cache: RunningCache, repository: string): Promise<string[]> =>
  cache.registry.listTags(repository).catch(() => [])

test('only covered repositories and filtered tags are mirrored, with every platform, blob and signature', async () => {
  const versions = ['1.20.0', '1.21.0', '1.21.0-alpine', 'latest', '2.0.0']
  const images = new Map<string, Awaited<ReturnType<typeof pushImage>>>()
  for (const tag of versions) images.set(tag, await pushImage(upstream, 'filtered/web', { tag }))
  const index = await pushIndex(upstream, 'filtered/web', '1.22.0', ['amd64', 'arm64'])
  for (const tag of ['v1.0.0', 'latest', 'nightly-2024']) await pushImage(upstream, 'filtered/semver', { tag })
  await pushImage(upstream, 'unrelated/app', { tag: '1.0.0' })
  const signed = images.get('1.21.0')!
  const sbom = await pushImage(upstream, 'filtered/web', {
    subject: descriptorOf(signed),
    artifactType: 'application/spdx+json',
    layers: [64],
  })
  const legacySignature = await pushImage(upstream, 'filtered/web', { layers: [32] })
  await pushManifest(
    upstream,
    'filtered/web',
    `${signed.digest.replace(':', '-')}.sig`,
    legacySignature.bytes,
    legacySignature.mediaType,
  )

  const cache = await mirror([
    {
      prefix: 'filtered/web',
      destination: '/m',
      tags: { regex: '^1\\.', excludeRegex: '-alpine$' },
    },
    { prefix: 'filtered/semver', destination: '/m', tags: { semver: true } },
  ])
  await runsDone(cache, 1)

  expect(await localTags(cache, 'm/filtered/web')).toEqual([
    '1.20.0',
    '1.21.0',
    '1.22.0',
    `${signed.digest.replace(':', '-')}.sig`,
  ])
  expect(await localTags(cache, 'm/filtered/semver')).toEqual(['v1.0.0'])
  expect(await cache.registry.catalog.list()).not.toContain('m/unrelated/app')
  for (const blob of signed.blobs) expect(await cache.registry.hasBlob('m/filtered/web', blob.digest)).toBe(true)
  for (const child of index.children)
    for (const blob of child.blobs) expect(await cache.registry.hasBlob('m/filtered/web', blob.digest)).toBe(true)
  const referrers = await cache.registry.listReferrers('m/filtered/web', signed.digest)
  expect(referrers.map((referrer) => referrer.digest)).toEqual([sbom.digest])
})

test('a moved tag is copied again on the next run; unchanged tags cost one HEAD', async () => {
  await pushImage(upstream, 'moving/app', { tag: '1.0' })
  const cache = await mirror([{ prefix: 'moving/**' }], '300ms')
  await runsDone(cache, 1)
  const moved = await pushImage(upstream, 'moving/app', { tag: '1.0' })
  await runsDone(cache, 3)
  expect((await cache.registry.resolveManifest('moving/app', '1.0')).digest).toBe(moved.digest)
  expect(upstream.count('GET', new RegExp(`/moving/app/manifests/${moved.digest}$`))).toBe(1)
})

test('an upstream without a catalog is mirrored by the plain repository names of its rules', async () => {
  await pushImage(upstream, 'nocatalog/app', { tag: '3.0' })
  upstream.misbehave.statusByPath = [[/\/_catalog$/, 404]]
  try {
    const cache = await mirror([{ prefix: 'nocatalog/app', destination: '/hub' }])
    await runsDone(cache, 1)
    expect(await localTags(cache, 'hub/nocatalog/app')).toEqual(['3.0'])
  } finally {
    upstream.misbehave.statusByPath = undefined
  }
})
