/**
 * @module
 * buildah pushes what it built (in its default OCI format and as Docker v2s2) and podman pulls it:
 * the digest buildah reports is the one the registry serves and the one podman records.
 */
import { expect, test } from 'bun:test'
import { buildahImage, buildahPushDigest } from '../support/images/buildah-images'
import { dockerReference, expectInspectedDigest, useRegistryAndClients } from '../support/e2e'
import { MediaType } from '../support/oci-layout'
import { fetchManifest } from '../support/registry-api'

const context = useRegistryAndClients()

const FORMATS = [
  { format: 'oci', mediaType: MediaType.ociManifest },
  { format: 'v2s2', mediaType: MediaType.dockerManifest },
] as const

for (const { format, mediaType } of FORMATS) {
  test(`buildah push --format ${format}, then podman pull records the registry digest`, async () => {
    const image = await buildahImage(context.clients, `podman-${format}`)
    const repository = `buildah/${format}`
    const pushedDigest = await buildahPushDigest(context.clients, [
      'push',
      '--format',
      format,
      image,
      dockerReference(context.registry, repository, 'v1'),
    ])
    const served = await fetchManifest(context.registry.url, repository, 'v1')
    expect(served.status).toBe(200)
    expect(served.digest).toBe(pushedDigest)
    expect(served.contentType).toBe(mediaType)
    await expectInspectedDigest(context, repository, 'v1', pushedDigest)

    // Remove buildah's local copy so podman really pulls from the registry.
    await context.clients.buildah(['rmi', image])
    const pulledName = `${context.registry.host}/${repository}:v1`
    await context.clients.podman(['pull', pulledName])
    const { stdout } = await context.clients.podman([
      'image',
      'inspect',
      '--format',
      '{{json .RepoDigests}}',
      pulledName,
    ])
    expect(JSON.parse(stdout) as string[]).toContain(`${context.registry.host}/${repository}@${pushedDigest}`)
  })
}
