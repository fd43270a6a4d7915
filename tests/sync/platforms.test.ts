/**
 * `platforms` on a sync registry entry (zot 2.1), with Debian's docker-registry as the upstream
 * and our registry served for real (a child process): periodic sync copies only the wanted
 * platforms' manifests and blobs of a multi-arch index (counted in the upstream's access log) and
 * keeps the index byte for byte; on demand, a child of another platform answers 404 saying why,
 * without asking the upstream, and the wanted ones pull. With the upstream stopped, the mirrored
 * platform still pulls whole.
 */
import { expect, test } from 'bun:test'
import { eventually, pullVerified } from './support/cache-budget'
import { pullManifest, pushIndex } from './support/content'
import { upstreamAndCacheStarter, upstreamGets } from './support/upstream-and-cache'

const upstreamAndCache = upstreamAndCacheStarter()

test('periodic sync copies only the platforms asked for, and keeps the index as the upstream has it', async () => {
  const {
    upstream,
    cache,
    pushed: index,
  } = await upstreamAndCache(
    { pollInterval: '1h', content: [{ prefix: 'multi/**', destination: '/m' }], platforms: ['linux/arm64', 's390x'] },
    (upstream) => pushIndex(upstream, 'multi/app', '1.0', ['amd64', 'arm64', 's390x']),
  )
  const [amd64, arm64, s390x] = index.children
  expect(await eventually(async () => cache.logs().includes('periodic run done'))).toBe(true)

  for (const wanted of [arm64!, s390x!]) {
    for (const digest of [wanted.digest, ...wanted.blobs.map((blob) => blob.digest)])
      expect(upstreamGets(upstream, digest)).toBe(1)
  }
  for (const digest of [amd64!.digest, ...amd64!.blobs.map((blob) => blob.digest)])
    expect(upstreamGets(upstream, digest)).toBe(0)

  await upstream.stop()
  const pulled = await pullManifest(cache.url, 'm/multi/app', '1.0')
  expect(pulled.status).toBe(200)
  expect(pulled.bodyDigest).toBe(index.digest)
  await pullVerified(cache.url, 'm/multi/app', arm64!.digest, arm64!)
  await pullVerified(cache.url, 'm/multi/app', s390x!.digest, s390x!)
  expect((await pullManifest(cache.url, 'm/multi/app', amd64!.digest)).status).toBe(404)
}, 60_000)

test('on demand, a child of a platform not asked for is a 404 saying why, and the upstream is not asked', async () => {
  const {
    upstream,
    cache,
    pushed: index,
  } = await upstreamAndCache(
    { onDemand: true, content: [{ prefix: '**', destination: '/up' }], platforms: ['linux/arm64'] },
    (upstream) => pushIndex(upstream, 'team/app', '2.0', ['amd64', 'arm64'], 'docker'),
  )
  const [amd64, arm64] = index.children

  const listed = await pullManifest(cache.url, 'up/team/app', '2.0')
  expect(listed.status).toBe(200)
  expect(listed.bodyDigest).toBe(index.digest)

  const refused = await fetch(`${cache.url}/v2/up/team/app/manifests/${amd64!.digest}`, {
    headers: { Accept: amd64!.mediaType },
  })
  expect(refused.status).toBe(404)
  const body = (await refused.json()) as { errors: { code: string; detail: { description: string } }[] }
  expect(body.errors[0]!.code).toBe('MANIFEST_UNKNOWN')
  expect(body.errors[0]!.detail.description).toContain('linux/amd64 is not among the platforms this registry syncs')
  expect(upstreamGets(upstream, amd64!.digest)).toBe(0)

  await pullVerified(cache.url, 'up/team/app', arm64!.digest, arm64!)
  await upstream.stop()
  await pullVerified(cache.url, 'up/team/app', arm64!.digest, arm64!)
}, 60_000)
