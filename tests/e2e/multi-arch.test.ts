/**
 * @module
 * Multi-platform images: `buildah manifest push --all` as an OCI index and as a Docker v2s2
 * manifest list, pulled back with `skopeo copy --all`; and a hand-built OCI index pushed and
 * pulled with every digest preserved.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { buildahManifestList, buildahPushDigest } from '../support/images/buildah-images'
import {
  E2E_TIMEOUT_MS,
  dockerReference,
  expectInspectedDigest,
  expectPulledUnchanged,
  expectServedManifest,
  pushLayoutTag,
  useRegistryAndClients,
} from '../support/e2e'
import { buildMultiPlatformIndex } from '../support/images/images'
import { hexOf, MediaType, sha256Digest } from '../support/oci-layout'

const context = useRegistryAndClients()
const ARCHITECTURES = ['amd64', 'arm64']

interface ManifestList {
  mediaType: string
  manifests: Array<{ digest: string; platform: { architecture: string } }>
}

describe('buildah manifest push --all', () => {
  let listName = ''
  beforeAll(async () => {
    listName = await buildahManifestList(context.clients, 'multi', ARCHITECTURES)
  }, E2E_TIMEOUT_MS)

  for (const { format, mediaType } of [
    { format: 'oci', mediaType: MediaType.ociIndex },
    { format: 'v2s2', mediaType: MediaType.dockerManifestList },
  ]) {
    test(`--format ${format}: served as pushed, skopeo copy --all pulls it unchanged`, async () => {
      const repository = `multi/${format}`
      const pushedDigest = await buildahPushDigest(context.clients, [
        'manifest',
        'push',
        '--all',
        '--format',
        format,
        listName,
        dockerReference(context.registry, repository, 'v1'),
      ])
      const list = JSON.parse(await expectInspectedDigest(context, repository, 'v1', pushedDigest)) as ManifestList
      expect(list.mediaType).toBe(mediaType)
      expect(list.manifests.map((child) => child.platform.architecture).sort()).toEqual(ARCHITECTURES)
      for (const child of list.manifests) {
        await expectInspectedDigest(context, repository, child.digest, child.digest)
      }

      // dir: keeps every manifest as served (an oci: destination would convert v2s2 to OCI).
      const pulled = await context.clients.scratch(`multi-${format}-pull`)
      await context.clients.skopeo([
        'copy',
        '--all',
        dockerReference(context.registry, repository, 'v1'),
        `dir:${pulled}`,
      ])
      expect(sha256Digest(await Bun.file(join(pulled, 'manifest.json')).bytes())).toBe(pushedDigest)
      for (const child of list.manifests) {
        const childBytes = await Bun.file(join(pulled, `${hexOf(child.digest)}.manifest.json`)).bytes()
        expect(sha256Digest(childBytes)).toBe(child.digest)
      }
    })
  }
})

test('a hand-built OCI index round-trips with skopeo copy --all --preserve-digests', async () => {
  const layout = await context.newLayout('index')
  const platforms = ARCHITECTURES.map((architecture) => ({ os: 'linux', architecture }))
  const index = await buildMultiPlatformIndex(layout, 'v1', platforms)
  await pushLayoutTag(context, layout, 'v1', 'multi/layout', ['--all'])
  await expectServedManifest(context.registry, 'multi/layout', 'v1', index.manifest)
  await expectPulledUnchanged(context, 'multi/layout', 'v1', index, layout, ['--all'])
})
