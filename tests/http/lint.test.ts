/**
 * zot's lint extension: a pushed OCI image manifest missing a mandatory annotation (neither on
 * the manifest nor as a label of its config) is refused with 400 MANIFEST_INVALID naming what is
 * missing; indexes and signatures are not linted; nothing refused is stored.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfigText } from '../../lib/config'
import { silentLogger } from '../../lib/log/logger'
import { digestOf } from '../../lib/oci/digest'
import { MediaType } from '../../lib/oci/media-types'
import { assemble } from '../../lib/server/assemble'
import { buildImage, bytes, type Harness, pushBlob, putManifest } from './harness'

const directories: string[] = []
afterAll(() => Promise.all(directories.map((d) => rm(d, { recursive: true, force: true }))))

async function lintingRegistry(lint: Record<string, unknown>): Promise<Harness> {
  const rootDirectory = await mkdtemp(join(tmpdir(), 'zot-lint-'))
  directories.push(rootDirectory)
  const text = JSON.stringify({ storage: { rootDirectory }, extensions: { lint } })
  const { config } = await parseConfigText(text, 'json', 'lint test')
  const { app, runtime } = await assemble(config, silentLogger())
  afterAll(() => runtime.close())
  return {
    rootDirectory,
    registry: runtime.registry,
    request: async (path, init) => app.request(`http://registry.test${path}`, init),
  }
}

/** Pushes a config with these labels and returns the manifest over it (not pushed). */
async function imageWithLabels(h: Harness, repository: string, labels: Record<string, string>, annotations = {}) {
  const config = bytes(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: labels } }))
  const configDigest = await pushBlob(h, repository, config)
  return bytes(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [],
      annotations,
    }),
  )
}

const errorOf = async (response: Response) =>
  (
    (await response.json()) as {
      errors: { code: string; detail: { description: string; missingAnnotations: string[] } }[]
    }
  ).errors[0]

describe('lint with mandatory annotations', async () => {
  const h = await lintingRegistry({ mandatoryAnnotations: ['org.opencontainers.image.source', 'team'] })

  test('an image missing them is refused, naming the missing ones, and is not stored', async () => {
    const image = await buildImage(h, 'app', { extra: { annotations: { team: 'core' } } })
    const response = await putManifest(h, 'app', 'v1', image.manifest)
    expect(response.status).toBe(400)
    const error = await errorOf(response)
    expect(error?.code).toBe('MANIFEST_INVALID')
    expect(error?.detail.missingAnnotations).toEqual(['org.opencontainers.image.source'])
    expect(error?.detail.description).toContain('org.opencontainers.image.source')
    expect((await h.request(`/v2/app/manifests/${image.digest}`)).status).toBe(404)
    expect((await h.request('/v2/app/manifests/v1')).status).toBe(404)
  })

  test('annotations on the manifest pass', async () => {
    const image = await buildImage(h, 'app', {
      extra: { annotations: { team: 'core', 'org.opencontainers.image.source': 'https://git.example/app' } },
    })
    expect((await putManifest(h, 'app', 'v2', image.manifest)).status).toBe(201)
  })

  test('labels of the config count, as in zot, also mixed with manifest annotations', async () => {
    const manifest = await imageWithLabels(h, 'app', { 'org.opencontainers.image.source': 'x' }, { team: 'core' })
    expect((await putManifest(h, 'app', 'v3', manifest)).status).toBe(201)
    const unlabelled = await imageWithLabels(h, 'app', { other: 'x' })
    const response = await putManifest(h, 'app', 'v4', unlabelled)
    expect(response.status).toBe(400)
    expect((await errorOf(response))?.detail.missingAnnotations.sort()).toEqual([
      'org.opencontainers.image.source',
      'team',
    ])
  })

  test('indexes, Docker manifests and cosign signatures are not linted', async () => {
    const image = await buildImage(h, 'app', {
      extra: { annotations: { team: 'core', 'org.opencontainers.image.source': 'x' } },
    })
    expect((await putManifest(h, 'app', image.digest, image.manifest)).status).toBe(201)
    const index = bytes(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [{ mediaType: MediaType.ociManifest, digest: image.digest, size: image.manifest.length }],
      }),
    )
    expect((await putManifest(h, 'app', 'multi', index, MediaType.ociIndex)).status).toBe(201)
    const bare = await buildImage(h, 'app')
    const signatureTag = `sha256-${image.digest.slice('sha256:'.length)}.sig`
    expect((await putManifest(h, 'app', signatureTag, bare.manifest)).status).toBe(201)
    const dockerConfig = bytes(JSON.stringify({ architecture: 'amd64', os: 'linux' }))
    const docker = bytes(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.dockerManifest,
        config: {
          mediaType: 'application/vnd.docker.container.image.v1+json',
          digest: await pushBlob(h, 'app', dockerConfig),
          size: dockerConfig.length,
        },
        layers: [],
      }),
    )
    expect((await putManifest(h, 'app', 'docker', docker, MediaType.dockerManifest)).status).toBe(201)
  })

  test('a manifest whose config is missing gets the missing-blob error, not a lint error', async () => {
    const manifest = bytes(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: digestOf(bytes('absent')),
          size: 6,
        },
        layers: [],
      }),
    )
    const response = await putManifest(h, 'app', 'broken', manifest)
    expect(response.status).toBe(400)
    expect((await errorOf(response))?.code).toBe('MANIFEST_BLOB_UNKNOWN')
  })
})

describe('lint disabled or empty', async () => {
  const off = await lintingRegistry({ enable: false, mandatoryAnnotations: ['team'] })
  const empty = await lintingRegistry({ mandatoryAnnotations: [] })

  test('anything valid is accepted', async () => {
    for (const h of [off, empty]) {
      const image = await buildImage(h, 'app')
      expect((await putManifest(h, 'app', 'v1', image.manifest)).status).toBe(201)
    }
  })
})
