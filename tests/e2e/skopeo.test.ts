/**
 * @module
 * skopeo against the real server: single images pushed and pulled in OCI and Docker v2s2 form
 * with digests compared, tag listing, and deletion (which resolves a tag and deletes by digest).
 */
import { describe, expect, test } from 'bun:test'
import { CommandError } from '../support/clients'
import {
  dockerReference,
  expectInspectedDigest,
  expectPulledUnchanged,
  expectServedManifest,
  pushLayoutTag,
  useRegistryAndClients,
} from '../support/e2e'
import { buildRandomImage } from '../support/images/images'
import { MediaType, sha256Digest } from '../support/oci-layout'
import { fetchManifest } from '../support/registry-api'
import { againstReference } from '../support/server'

const context = useRegistryAndClients()

describe('skopeo copy', () => {
  test('pushes an OCI image and pulls it back byte for byte', async () => {
    const layout = await context.newLayout('oci-image')
    const image = await buildRandomImage(layout, 'v1', { layerCount: 2 })
    await pushLayoutTag(context, layout, 'v1', 'skopeo/oci', ['--format', 'oci'])

    await expectServedManifest(context.registry, 'skopeo/oci', 'v1', image.manifest)
    await expectServedManifest(context.registry, 'skopeo/oci', image.manifest.digest, image.manifest)
    await expectInspectedDigest(context, 'skopeo/oci', 'v1', image.manifest.digest)
    await expectPulledUnchanged(context, 'skopeo/oci', 'v1', image, layout)
  })

  test('pushes with --format v2s2 and pulls the Docker manifest back unchanged', async () => {
    const layout = await context.newLayout('v2s2-image')
    const image = await buildRandomImage(layout, 'v1')
    const digestFile = `${await context.clients.scratch('v2s2-digest')}/digest`
    await context.clients.skopeo([
      'copy',
      '--format',
      'v2s2',
      '--digestfile',
      digestFile,
      `oci:${layout.directory}:v1`,
      dockerReference(context.registry, 'skopeo/docker', 'v1'),
    ])
    const pushedDigest = (await Bun.file(digestFile).text()).trim()

    const raw = await expectInspectedDigest(context, 'skopeo/docker', 'v1', pushedDigest)
    const manifest = JSON.parse(raw) as { mediaType: string; layers: Array<{ digest: string }> }
    expect(manifest.mediaType).toBe(MediaType.dockerManifest)
    // Converting the manifest must not touch the layers: they are already gzip.
    expect(manifest.layers.map((layer) => layer.digest)).toEqual(image.blobs.slice(1).map((layer) => layer.digest))
    const served = await fetchManifest(context.registry.url, 'skopeo/docker', 'v1')
    expect(served.contentType).toBe(MediaType.dockerManifest)
    expect(served.digest).toBe(pushedDigest)

    const pulled = await context.clients.scratch('v2s2-pull')
    await context.clients.skopeo(['copy', dockerReference(context.registry, 'skopeo/docker', 'v1'), `dir:${pulled}`])
    expect(sha256Digest(await Bun.file(`${pulled}/manifest.json`).bytes())).toBe(pushedDigest)
  })
})

test('skopeo copy from one repository to another (blob mount) keeps every digest', async () => {
  const layout = await context.newLayout('mount')
  const image = await buildRandomImage(layout, 'v1', { layerCount: 2 })
  await pushLayoutTag(context, layout, 'v1', 'skopeo/mount-source')
  await context.clients.skopeo([
    'copy',
    dockerReference(context.registry, 'skopeo/mount-source', 'v1'),
    dockerReference(context.registry, 'skopeo/mount-target', 'v1'),
  ])
  await expectServedManifest(context.registry, 'skopeo/mount-target', 'v1', image.manifest)
  await expectPulledUnchanged(context, 'skopeo/mount-target', 'v1', image, layout)
})

test('skopeo list-tags lists every pushed tag', async () => {
  const layout = await context.newLayout('tags')
  await buildRandomImage(layout, 'base')
  const tags = ['v2', '1.0', 'latest', 'v10', 'a-b_c.d']
  for (const tag of tags) {
    await context.clients.skopeo([
      'copy',
      '--preserve-digests',
      `oci:${layout.directory}:base`,
      dockerReference(context.registry, 'skopeo/tags', tag),
    ])
  }
  const { stdout } = await context.clients.skopeo(['list-tags', `docker://${context.registry.host}/skopeo/tags`])
  const listed = JSON.parse(stdout) as { Repository: string; Tags: string[] }
  expect(listed.Repository).toBe(`${context.registry.host}/skopeo/tags`)
  // docker-registry lists tags unsorted; the spec (and our server) sorts them lexically.
  const sortedTags = [...tags].sort()
  expect(againstReference ? [...listed.Tags].sort() : listed.Tags).toEqual(sortedTags)
})

test('skopeo delete removes the manifest and every tag on it, and nothing else', async () => {
  const layout = await context.newLayout('delete')
  const doomed = await buildRandomImage(layout, 'doomed')
  const kept = await buildRandomImage(layout, 'kept')
  await pushLayoutTag(context, layout, 'doomed', 'skopeo/delete')
  await pushLayoutTag(context, layout, 'kept', 'skopeo/delete')
  await context.clients.skopeo([
    'copy',
    '--preserve-digests',
    `oci:${layout.directory}:doomed`,
    dockerReference(context.registry, 'skopeo/delete', 'alias'),
  ])

  await context.clients.skopeo(['delete', dockerReference(context.registry, 'skopeo/delete', 'doomed')])

  for (const reference of ['doomed', 'alias', doomed.manifest.digest]) {
    expect((await fetchManifest(context.registry.url, 'skopeo/delete', reference)).status).toBe(404)
  }
  const inspectDeleted = context.clients.skopeo([
    'inspect',
    '--raw',
    dockerReference(context.registry, 'skopeo/delete', 'doomed'),
  ])
  await expect(inspectDeleted).rejects.toBeInstanceOf(CommandError)
  await expectServedManifest(context.registry, 'skopeo/delete', 'kept', kept.manifest)
  const { stdout } = await context.clients.skopeo(['list-tags', `docker://${context.registry.host}/skopeo/delete`])
  expect((JSON.parse(stdout) as { Tags: string[] }).Tags).toEqual(['kept'])
})
