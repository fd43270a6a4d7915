import { describe, expect, test } from 'bun:test'
import { MediaType } from '../../lib/oci/media-types'
import { buildImage, errorCode, makeHarness, pushImage, putManifest } from './harness'

describe('base', async () => {
  const h = await makeHarness()
  test.each(['/v2/', '/v2'])('GET %s answers 200 {} with the API version header', async (path) => {
    const response = await h.request(path)
    expect(response.status).toBe(200)
    expect(response.headers.get('Docker-Distribution-API-Version')).toBe('registry/2.0')
    expect(await response.json()).toEqual({})
  })

  test('unknown /v2 paths answer 404 with an error envelope', async () => {
    const response = await h.request('/v2/just-a-name')
    expect(response.status).toBe(404)
    expect(await errorCode(response)).toBe('UNSUPPORTED')
  })
})

describe('tags/list', async () => {
  const h = await makeHarness()
  const image = await buildImage(h, 't/app')
  for (const tag of ['v2', 'v10', 'latest', 'A', 'v1', '1.0']) await putManifest(h, 't/app', tag, image.manifest)
  const all = ['1.0', 'A', 'latest', 'v1', 'v10', 'v2']

  test('lists every tag in lexical order', async () => {
    expect(await (await h.request('/v2/t/app/tags/list')).json()).toEqual({ name: 't/app', tags: all })
  })

  test('n limits the count and Link points at the next page', async () => {
    const first = await h.request('/v2/t/app/tags/list?n=2')
    expect(await first.json()).toEqual({ name: 't/app', tags: ['1.0', 'A'] })
    expect(first.headers.get('Link')).toBe('</v2/t/app/tags/list?n=2&last=A>; rel="next"')
    const second = await h.request('/v2/t/app/tags/list?n=2&last=A')
    expect(((await second.json()) as { tags: string[] }).tags).toEqual(['latest', 'v1'])
    const last = await h.request('/v2/t/app/tags/list?n=2&last=v1')
    expect(((await last.json()) as { tags: string[] }).tags).toEqual(['v10', 'v2'])
    expect(last.headers.get('Link')).toBeNull()
  })

  test('last alone starts after the given tag; n=0 gives an empty list', async () => {
    expect(((await (await h.request('/v2/t/app/tags/list?last=v1')).json()) as { tags: string[] }).tags).toEqual([
      'v10',
      'v2',
    ])
    expect(((await (await h.request('/v2/t/app/tags/list?n=0')).json()) as { tags: string[] }).tags).toEqual([])
  })

  test('an unknown repository is NAME_UNKNOWN; a bad n is 400', async () => {
    const unknown = await h.request('/v2/t/none/tags/list')
    expect(unknown.status).toBe(404)
    expect(await errorCode(unknown)).toBe('NAME_UNKNOWN')
    expect((await h.request('/v2/t/app/tags/list?n=-1')).status).toBe(400)
  })
})

describe('_catalog', async () => {
  const h = await makeHarness()
  for (const repository of ['zeta', 'alpha/one', 'alpha', 'mid/deep/name']) await pushImage(h, repository, 'v1')

  test('lists every repository sorted, nested ones included', async () => {
    expect(await (await h.request('/v2/_catalog')).json()).toEqual({
      repositories: ['alpha', 'alpha/one', 'mid/deep/name', 'zeta'],
    })
  })

  test('paginates with n, last and Link', async () => {
    const first = await h.request('/v2/_catalog?n=3')
    expect(((await first.json()) as { repositories: string[] }).repositories).toEqual([
      'alpha',
      'alpha/one',
      'mid/deep/name',
    ])
    expect(first.headers.get('Link')).toBe('</v2/_catalog?n=3&last=mid%2Fdeep%2Fname>; rel="next"')
    const next = await h.request('/v2/_catalog?n=3&last=mid%2Fdeep%2Fname')
    expect(((await next.json()) as { repositories: string[] }).repositories).toEqual(['zeta'])
  })

  test('zot data (a directory or a bucket) is found by walking storage on first use', async () => {
    const fresh = await makeHarness()
    for (const path of await h.storage.list('alpha')) {
      await fresh.storage.write(path.replace(/^alpha\//, 'copied/from/zot/'), await h.storage.read(path))
    }
    // An OCI layout written by another tool (zot writes "manifests": null for an empty index).
    await fresh.storage.write('empty/repo/index.json', '{"schemaVersion":2,"manifests":null}')
    await fresh.storage.write('empty/repo/oci-layout', '{"imageLayoutVersion":"1.0.0"}')
    expect(((await (await fresh.request('/v2/_catalog')).json()) as { repositories: string[] }).repositories).toEqual([
      'copied/from/zot',
      'copied/from/zot/one',
      'empty/repo',
    ])
    expect(((await (await fresh.request('/v2/copied/from/zot/tags/list')).json()) as { tags: string[] }).tags).toEqual([
      'v1',
    ])
    expect(((await (await fresh.request('/v2/empty/repo/tags/list')).json()) as { tags: string[] }).tags).toEqual([])
    expect((await fresh.request('/v2/copied/from/zot/manifests/v1')).status).toBe(200)
  })
})

describe('referrers', async () => {
  const h = await makeHarness()
  const subject = await pushImage(h, 'r/app', 'v1')
  const subjectDescriptor = { mediaType: MediaType.ociManifest, digest: subject.digest, size: subject.manifest.length }
  const signature = await buildImage(h, 'r/app', {
    extra: {
      artifactType: 'application/vnd.example.signature',
      subject: subjectDescriptor,
      annotations: { 'org.example.kind': 'sig' },
    },
  })
  const sbom = await buildImage(h, 'r/app', { extra: { subject: subjectDescriptor } })
  await putManifest(h, 'r/app', signature.digest, signature.manifest)
  await putManifest(h, 'r/app', sbom.digest, sbom.manifest)
  const indexReferrer = new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      artifactType: 'application/vnd.example.bundle',
      manifests: [],
      subject: subjectDescriptor,
    }),
  )
  await putManifest(h, 'r/app', 'bundle', indexReferrer, MediaType.ociIndex)

  test('lists every referrer with mediaType, digest, size, artifactType and annotations', async () => {
    const response = await h.request(`/v2/r/app/referrers/${subject.digest}`)
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toBe(MediaType.ociIndex)
    expect(response.headers.get('OCI-Filters-Applied')).toBeNull()
    const body = (await response.json()) as {
      schemaVersion: number
      mediaType: string
      manifests: Record<string, unknown>[]
    }
    expect(body.schemaVersion).toBe(2)
    expect(body.mediaType).toBe(MediaType.ociIndex)
    const byDigest = Object.fromEntries(body.manifests.map((m) => [m.digest, m]))
    expect(Object.keys(byDigest).length).toBe(3)
    expect(byDigest[signature.digest]).toEqual({
      mediaType: MediaType.ociManifest,
      digest: signature.digest,
      size: signature.manifest.length,
      artifactType: 'application/vnd.example.signature',
      annotations: { 'org.example.kind': 'sig' },
    })
    // Without artifactType, an image manifest's artifact type is its config media type.
    expect(byDigest[sbom.digest]?.artifactType).toBe('application/vnd.oci.image.config.v1+json')
    expect(
      byDigest[
        (await (
          await h.request('/v2/r/app/manifests/bundle', { method: 'HEAD' })
        ).headers.get('Docker-Content-Digest'))!
      ]?.artifactType,
    ).toBe('application/vnd.example.bundle')
  })

  test('artifactType filters and says so in OCI-Filters-Applied', async () => {
    const response = await h.request(
      `/v2/r/app/referrers/${subject.digest}?artifactType=application/vnd.example.signature`,
    )
    expect(response.headers.get('OCI-Filters-Applied')).toBe('artifactType')
    const body = (await response.json()) as { manifests: { digest: string }[] }
    expect(body.manifests.map((m) => m.digest)).toEqual([signature.digest])
  })

  test('an unknown subject or repository gets 200 with an empty index', async () => {
    for (const path of [`/v2/r/app/referrers/sha256:${'9'.repeat(64)}`, `/v2/r/none/referrers/${subject.digest}`]) {
      const response = await h.request(path)
      expect(response.status).toBe(200)
      expect(((await response.json()) as { manifests: unknown[] }).manifests).toEqual([])
    }
  })

  test('a malformed digest is DIGEST_INVALID', async () => {
    expect(await errorCode(await h.request('/v2/r/app/referrers/sha256:nope'))).toBe('DIGEST_INVALID')
  })
})
