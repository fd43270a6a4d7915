import { describe, expect, test } from 'bun:test'
import { digestOf } from '../../lib/oci/digest'
import { MediaType } from '../../lib/oci/media-types'
import { buildImage, bytes, errorCode, makeHarness, pushBlob, pushImage, putManifest } from './harness'

describe('manifests: push and pull', async () => {
  const h = await makeHarness()

  test('PUT by tag answers 201 with Location and digest; GET by tag and digest return the same bytes', async () => {
    const image = await buildImage(h, 'm/app', { layers: 2 })
    const put = await putManifest(h, 'm/app', 'v1', image.manifest)
    expect(put.status).toBe(201)
    expect(put.headers.get('Location')).toBe(`/v2/m/app/manifests/${image.digest}`)
    expect(put.headers.get('Docker-Content-Digest')).toBe(image.digest)
    for (const reference of ['v1', image.digest]) {
      const get = await h.request(`/v2/m/app/manifests/${reference}`)
      expect(get.status).toBe(200)
      expect(get.headers.get('Content-Type')).toBe(MediaType.ociManifest)
      expect(get.headers.get('Docker-Content-Digest')).toBe(image.digest)
      expect(new Uint8Array(await get.arrayBuffer())).toEqual(image.manifest)
      const head = await h.request(`/v2/m/app/manifests/${reference}`, { method: 'HEAD' })
      expect(head.status).toBe(200)
      expect(head.headers.get('Content-Length')).toBe(String(image.manifest.length))
    }
  })

  test('GET ignores Accept: the stored media type is returned, never converted', async () => {
    const image = await pushImage(h, 'm/accept', 'v1')
    const get = await h.request('/v2/m/accept/manifests/v1', { headers: { Accept: MediaType.dockerManifest } })
    expect(get.headers.get('Content-Type')).toBe(MediaType.ociManifest)
    expect(get.headers.get('Docker-Content-Digest')).toBe(image.digest)
  })

  test('a manifest with no layers is accepted', async () => {
    const image = await buildImage(h, 'm/nolayers', { layers: 0 })
    expect((await putManifest(h, 'm/nolayers', 'v1', image.manifest)).status).toBe(201)
  })

  test('PUT by digest stores it untagged; a mismatching digest is DIGEST_INVALID', async () => {
    const image = await buildImage(h, 'm/bydigest')
    expect((await putManifest(h, 'm/bydigest', image.digest, image.manifest)).status).toBe(201)
    expect((await h.request(`/v2/m/bydigest/manifests/${image.digest}`)).status).toBe(200)
    expect(await (await h.request('/v2/m/bydigest/tags/list')).json()).toEqual({ name: 'm/bydigest', tags: [] })
    const wrong = await putManifest(h, 'm/bydigest', `sha256:${'a'.repeat(64)}`, image.manifest)
    expect(wrong.status).toBe(400)
    expect(await errorCode(wrong)).toBe('DIGEST_INVALID')
  })

  test('?tag= on a digest push adds tags and echoes OCI-Tag', async () => {
    const image = await buildImage(h, 'm/qtags')
    const put = await h.request(`/v2/m/qtags/manifests/${image.digest}?tag=a&tag=b`, {
      method: 'PUT',
      body: image.manifest,
      headers: { 'Content-Type': MediaType.ociManifest },
    })
    expect(put.status).toBe(201)
    expect(put.headers.get('OCI-Tag')).toBe('a, b')
    expect(((await (await h.request('/v2/m/qtags/tags/list')).json()) as { tags: string[] }).tags).toEqual(['a', 'b'])
  })

  test('missing and malformed references', async () => {
    await pushImage(h, 'm/missing', 'v1')
    const missing = await h.request('/v2/m/missing/manifests/v2')
    expect(missing.status).toBe(404)
    expect(await errorCode(missing)).toBe('MANIFEST_UNKNOWN')
    expect((await h.request(`/v2/m/missing/manifests/sha256:${'b'.repeat(64)}`, { method: 'HEAD' })).status).toBe(404)
    const unknownRepo = await h.request('/v2/m/never/manifests/v1')
    expect(unknownRepo.status).toBe(404)
    expect(await errorCode(unknownRepo)).toBe('NAME_UNKNOWN')
    // A reference that is neither a tag nor a digest names nothing: reads are 404 (zot,
    // distribution and the OCI conformance suite's `.INVALID_MANIFEST_NAME`); a push is 400.
    for (const reference of ['.INVALID_MANIFEST_NAME', 'sha256:totallywrong', 't'.repeat(129)]) {
      for (const method of ['GET', 'HEAD']) {
        const read = await h.request(`/v2/m/missing/manifests/${reference}`, { method })
        expect(read.status).toBe(404)
        if (method === 'GET') expect(await errorCode(read)).toBe('MANIFEST_UNKNOWN')
      }
    }
    const image = await buildImage(h, 'm/missing')
    const badPush = await putManifest(h, 'm/missing', '.INVALID_MANIFEST_NAME', image.manifest)
    expect(badPush.status).toBe(400)
    expect(await errorCode(badPush)).toBe('MANIFEST_INVALID')
    const badDigestPush = await putManifest(h, 'm/missing', 'sha256:totallywrong', image.manifest)
    expect(badDigestPush.status).toBe(400)
    expect(await errorCode(badDigestPush)).toBe('DIGEST_INVALID')
  })

  test('pushing a tag again moves it; the old manifest stays reachable by digest', async () => {
    const first = await pushImage(h, 'm/move', 'latest')
    const second = await pushImage(h, 'm/move', 'latest')
    expect((await h.request('/v2/m/move/manifests/latest')).headers.get('Docker-Content-Digest')).toBe(second.digest)
    expect((await h.request(`/v2/m/move/manifests/${first.digest}`)).status).toBe(200)
  })

  test('a subject answers OCI-Subject', async () => {
    const subject = await pushImage(h, 'm/subject', 'v1')
    const referrer = await buildImage(h, 'm/subject', {
      extra: {
        artifactType: 'application/vnd.example.sig',
        subject: { mediaType: MediaType.ociManifest, digest: subject.digest, size: subject.manifest.length },
      },
    })
    const put = await putManifest(h, 'm/subject', referrer.digest, referrer.manifest)
    expect(put.status).toBe(201)
    expect(put.headers.get('OCI-Subject')).toBe(subject.digest)
  })

  test('a subject that does not exist (yet) is accepted', async () => {
    const referrer = await buildImage(h, 'm/subject', {
      extra: { subject: { mediaType: MediaType.ociManifest, digest: `sha256:${'c'.repeat(64)}`, size: 10 } },
    })
    expect((await putManifest(h, 'm/subject', referrer.digest, referrer.manifest)).status).toBe(201)
  })
})

describe('manifests: validation', async () => {
  const h = await makeHarness()
  const config = await pushBlob(h, 'v/app', bytes('{}'))
  const manifestWith = (fields: Record<string, unknown>) =>
    bytes(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 },
        layers: [],
        ...fields,
      }),
    )

  test('a missing layer is MANIFEST_BLOB_UNKNOWN and nothing is recorded', async () => {
    const manifest = manifestWith({
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${'d'.repeat(64)}`, size: 5 }],
    })
    const put = await putManifest(h, 'v/app', 'broken', manifest)
    expect(put.status).toBe(400)
    expect(await errorCode(put)).toBe('MANIFEST_BLOB_UNKNOWN')
    expect((await h.request('/v2/v/app/manifests/broken')).status).toBe(404)
    expect((await h.request(`/v2/v/app/blobs/${digestOf(manifest)}`, { method: 'HEAD' })).status).toBe(404)
  })

  test('a missing config is MANIFEST_BLOB_UNKNOWN', async () => {
    const manifest = manifestWith({
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'e'.repeat(64)}`, size: 2 },
    })
    expect(await errorCode(await putManifest(h, 'v/app', 'noconfig', manifest))).toBe('MANIFEST_BLOB_UNKNOWN')
  })

  test.each([
    ['not JSON', bytes('{nope')],
    ['not an object', bytes('[1]')],
    ['schemaVersion 1', bytes(JSON.stringify({ schemaVersion: 1, config: {} }))],
    ['no config', bytes(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, layers: [] }))],
    [
      'bad layer digest',
      bytes(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ociManifest,
          config: { mediaType: 'x', digest: 'sha256:00', size: 1 },
          layers: [],
        }),
      ),
    ],
    [
      'negative size',
      bytes(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ociManifest,
          config: { mediaType: 'x', digest: `sha256:${'0'.repeat(64)}`, size: -1 },
          layers: [],
        }),
      ),
    ],
  ])('%s is MANIFEST_INVALID (400)', async (_name, body) => {
    const put = await putManifest(h, 'v/app', 'bad', body)
    expect(put.status).toBe(400)
    expect(await errorCode(put)).toBe('MANIFEST_INVALID')
  })

  test('a body mediaType that disagrees with Content-Type is MANIFEST_INVALID', async () => {
    const put = await putManifest(h, 'v/app', 'mismatch', manifestWith({}), MediaType.dockerManifest)
    expect(put.status).toBe(400)
    expect(await errorCode(put)).toBe('MANIFEST_INVALID')
  })

  test('Docker schema 1 is refused with 415', async () => {
    const put = await putManifest(
      h,
      'v/app',
      'schema1',
      bytes(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v1+json' })),
      'application/vnd.docker.distribution.manifest.v1+json',
    )
    expect(put.status).toBe(415)
  })

  test('a manifest over 4 MiB is refused with 413 without buffering it', async () => {
    const huge = manifestWith({ annotations: { pad: 'x'.repeat(4 * 1024 * 1024) } })
    const put = await putManifest(h, 'v/app', 'huge', huge)
    expect(put.status).toBe(413)
    expect(await errorCode(put)).toBe('SIZE_INVALID')
  })

  test('without Content-Type the body mediaType decides', async () => {
    const manifest = manifestWith({})
    const put = await h.request('/v2/v/app/manifests/notype', { method: 'PUT', body: manifest })
    expect(put.status).toBe(201)
    expect((await h.request('/v2/v/app/manifests/notype')).headers.get('Content-Type')).toBe(MediaType.ociManifest)
  })
})

describe('indexes and Docker manifests', async () => {
  const h = await makeHarness()

  test('a Docker v2s2 manifest is stored byte for byte (whitespace and key order kept)', async () => {
    const config = await pushBlob(h, 'd/app', bytes('{"architecture":"arm64"}'))
    const layer = await pushBlob(h, 'd/app', bytes('layer'))
    const text = `{\n   "schemaVersion": 2,\n   "mediaType": "${MediaType.dockerManifest}",\n   "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 24, "digest": "${config}"},\n   "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 5, "digest": "${layer}"}]\n}`
    const manifest = bytes(text)
    expect((await putManifest(h, 'd/app', 'v1', manifest, MediaType.dockerManifest)).status).toBe(201)
    const get = await h.request('/v2/d/app/manifests/v1')
    expect(get.headers.get('Content-Type')).toBe(MediaType.dockerManifest)
    expect(await get.text()).toBe(text)
    expect(get.headers.get('Docker-Content-Digest')).toBe(digestOf(manifest))
  })

  for (const [kind, indexType, childType] of [
    ['OCI index', MediaType.ociIndex, MediaType.ociManifest],
    ['Docker manifest list', MediaType.dockerManifestList, MediaType.ociManifest],
  ] as const) {
    test(`${kind}: children must exist; then the index and its children are served`, async () => {
      const repository = `idx/${indexType.includes('docker') ? 'docker' : 'oci'}`
      const amd = await buildImage(h, repository)
      const arm = await buildImage(h, repository)
      const index = bytes(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: indexType,
          manifests: [
            {
              mediaType: childType,
              digest: amd.digest,
              size: amd.manifest.length,
              platform: { architecture: 'amd64', os: 'linux' },
            },
            {
              mediaType: childType,
              digest: arm.digest,
              size: arm.manifest.length,
              platform: { architecture: 'arm64', os: 'linux' },
            },
          ],
        }),
      )
      const early = await putManifest(h, repository, 'multi', index, indexType)
      expect(early.status).toBe(400)
      expect(await errorCode(early)).toBe('MANIFEST_UNKNOWN')
      for (const child of [amd, arm])
        expect((await putManifest(h, repository, child.digest, child.manifest)).status).toBe(201)
      expect((await putManifest(h, repository, 'multi', index, indexType)).status).toBe(201)
      const get = await h.request(`/v2/${repository}/manifests/multi`)
      expect(get.headers.get('Content-Type')).toBe(indexType)
      expect((await h.request(`/v2/${repository}/manifests/${arm.digest}`)).status).toBe(200)
      // A child cannot be deleted while the index lists it.
      const refused = await h.request(`/v2/${repository}/manifests/${arm.digest}`, { method: 'DELETE' })
      expect(refused.status).toBe(405)
      expect((await h.request(`/v2/${repository}/manifests/${digestOf(index)}`, { method: 'DELETE' })).status).toBe(202)
      expect((await h.request(`/v2/${repository}/manifests/${arm.digest}`, { method: 'DELETE' })).status).toBe(202)
    })
  }
})

describe('manifests: delete', async () => {
  const h = await makeHarness()

  test('DELETE by tag removes only the tag (202); the manifest stays by digest', async () => {
    const image = await pushImage(h, 'x/del', 'v1')
    expect((await h.request('/v2/x/del/manifests/v1', { method: 'DELETE' })).status).toBe(202)
    expect((await h.request('/v2/x/del/manifests/v1')).status).toBe(404)
    expect((await h.request(`/v2/x/del/manifests/${image.digest}`)).status).toBe(200)
    expect(((await (await h.request('/v2/x/del/tags/list')).json()) as { tags: string[] }).tags).toEqual([])
  })

  test('DELETE by digest removes the manifest and every tag on it (202, then 404)', async () => {
    const image = await pushImage(h, 'x/del', 'a')
    await putManifest(h, 'x/del', 'b', image.manifest)
    expect((await h.request(`/v2/x/del/manifests/${image.digest}`, { method: 'DELETE' })).status).toBe(202)
    expect((await h.request(`/v2/x/del/manifests/${image.digest}`)).status).toBe(404)
    expect((await h.request('/v2/x/del/manifests/a')).status).toBe(404)
    expect(((await (await h.request('/v2/x/del/tags/list')).json()) as { tags: string[] }).tags).toEqual([])
    // Its layers are free now.
    expect((await h.request(`/v2/x/del/blobs/${image.layers[0]}`, { method: 'DELETE' })).status).toBe(202)
  })

  test('deleting what does not exist is MANIFEST_UNKNOWN', async () => {
    await pushImage(h, 'x/del', 'keep')
    expect(await errorCode(await h.request('/v2/x/del/manifests/nope', { method: 'DELETE' }))).toBe('MANIFEST_UNKNOWN')
    expect(await errorCode(await h.request(`/v2/x/del/manifests/sha256:${'f'.repeat(64)}`, { method: 'DELETE' }))).toBe(
      'MANIFEST_UNKNOWN',
    )
  })

  test('unsupported methods answer 405 UNSUPPORTED', async () => {
    const response = await h.request('/v2/x/del/manifests/keep', { method: 'PATCH' })
    expect(response.status).toBe(405)
    expect(await errorCode(response)).toBe('UNSUPPORTED')
  })
})
