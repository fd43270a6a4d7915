/**
 * `onlySigned` (docs/zot-compatibility.md 5.1): an image comes through the cache, on demand or by
 * periodic mirroring, only when its upstream holds a cosign or notation signature for it: a
 * referrer with a signature artifact type (through the referrers API, or the tag schema that
 * distribution 2.8 needs) or cosign's legacy `sha256-<hex>.sig` tag. Other referrers (an SBOM) do
 * not count, and an unsigned image is neither served nor stored.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { MediaType, manifestBytes } from '../support/oci-layout'
import { removeCacheRoots, startCache, type RunningCache } from './support/cache'
import {
  descriptorOf,
  pullManifest,
  pushImage,
  pushManifest,
  type PushedImage,
  type PushTarget,
} from './support/content'
import { startDockerRegistry, type DockerRegistry } from './support/docker-registry'
import { startOwnUpstream, type OwnUpstream } from './support/own-upstream'

const NOTATION = 'application/vnd.cncf.notary.signature'
const COSIGN = 'application/vnd.dev.cosign.artifact.sig.v1+json'

const stops: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const stop of stops.reverse()) await stop()
  await removeCacheRoots()
})

async function cacheOf(registry: Record<string, unknown>): Promise<RunningCache> {
  const cache = await startCache({ registries: [{ onlySigned: true, responseHeaderTimeout: '5s', ...registry }] })
  stops.push(() => cache.stop())
  return cache
}

/** A small artifact whose subject is `image` (a signature, or an SBOM). */
const referrerOf = (target: PushTarget, repository: string, image: PushedImage, artifactType: string) =>
  pushImage(target, repository, { subject: descriptorOf(image), artifactType, layers: [64] })

/** cosign's legacy signature: any manifest under the tag `sha256-<hex>.sig`. */
async function legacyCosignSignature(target: PushTarget, repository: string, image: PushedImage): Promise<void> {
  const signature = await pushImage(target, repository, { layers: [32] })
  const tag = `${image.digest.replace(':', '-')}.sig`
  await pushManifest(target, repository, tag, signature.bytes, signature.mediaType)
}

/**
 * What a client without the referrers API (notation, oras) pushes to distribution 2.8 beside the
 * referrer itself: an index of the image's referrers under the tag `sha256-<hex>`.
 */
async function referrersTag(target: PushTarget, repository: string, image: PushedImage, referrer: PushedImage) {
  const index = manifestBytes({
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [
      { ...descriptorOf(referrer), artifactType: JSON.parse(new TextDecoder().decode(referrer.bytes)).artifactType },
    ],
  })
  await pushManifest(target, repository, image.digest.replace(':', '-'), index, MediaType.ociIndex)
}

describe('on demand from distribution 2.8 (no referrers API)', () => {
  let upstream: DockerRegistry
  let cache: RunningCache
  beforeAll(async () => {
    upstream = await startDockerRegistry()
    stops.push(() => upstream.stop())
    cache = await cacheOf({ urls: [upstream.url], onDemand: true })
  })

  test('an image signed with a legacy cosign tag comes through', async () => {
    const image = await pushImage(upstream, 'signed/cosign', { tag: 'v1' })
    await legacyCosignSignature(upstream, 'signed/cosign', image)
    const pulled = await pullManifest(cache.url, 'signed/cosign', 'v1')
    expect(pulled).toMatchObject({ status: 200, digest: image.digest })
    expect(await cache.registry.listTags('signed/cosign')).toContain('v1')
  })

  test('an image with a notation signature listed under the referrers tag comes through', async () => {
    const image = await pushImage(upstream, 'signed/notation', { tag: 'v1' })
    await referrersTag(
      upstream,
      'signed/notation',
      image,
      await referrerOf(upstream, 'signed/notation', image, NOTATION),
    )
    expect(await pullManifest(cache.url, 'signed/notation', 'v1')).toMatchObject({ status: 200, digest: image.digest })
  })

  test('an unsigned image, or one with only an SBOM, is refused and nothing is stored', async () => {
    await pushImage(upstream, 'unsigned/plain', { tag: 'v1' })
    const withSbom = await pushImage(upstream, 'unsigned/sbom', { tag: 'v1' })
    await referrersTag(
      upstream,
      'unsigned/sbom',
      withSbom,
      await referrerOf(upstream, 'unsigned/sbom', withSbom, 'application/spdx+json'),
    )
    for (const repository of ['unsigned/plain', 'unsigned/sbom']) {
      expect((await pullManifest(cache.url, repository, 'v1')).status).toBe(404)
      expect(await cache.registry.listTags(repository).catch(() => [])).toEqual([])
    }
    expect((await pullManifest(cache.url, 'unsigned/sbom', withSbom.digest)).status).toBe(404)
  })
})

describe('periodic mirroring from a registry with the referrers API', () => {
  test('only the signed images are mirrored', async () => {
    const upstream: OwnUpstream = await startOwnUpstream()
    stops.push(() => upstream.stop())
    const notation = await pushImage(upstream, 'mirror/app', { tag: 'notation' })
    await referrerOf(upstream, 'mirror/app', notation, NOTATION)
    const cosign = await pushImage(upstream, 'mirror/app', { tag: 'cosign' })
    await referrerOf(upstream, 'mirror/app', cosign, COSIGN)
    const sbomOnly = await pushImage(upstream, 'mirror/app', { tag: 'sbom' })
    await referrerOf(upstream, 'mirror/app', sbomOnly, 'application/spdx+json')
    await pushImage(upstream, 'mirror/app', { tag: 'unsigned' })

    const cache = await cacheOf({ urls: [upstream.url], pollInterval: '1m', content: [{ prefix: 'mirror/**' }] })
    const deadline = Date.now() + 20_000
    while (!cache.logs.some((line) => line.includes('periodic run done'))) {
      if (Date.now() > deadline) throw new Error(`no periodic run:\n${cache.logs.join('\n')}`)
      await Bun.sleep(25)
    }
    expect((await cache.registry.listTags('mirror/app')).sort()).toEqual(['cosign', 'notation'])
    expect((await pullManifest(cache.url, 'mirror/app', 'notation')).digest).toBe(notation.digest)
  })
})
