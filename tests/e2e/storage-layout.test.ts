/**
 * @module
 * zot's storage contract: every repository directory (or bucket prefix, on S3) is a plain OCI
 * image layout. What the registry writes is readable by `skopeo copy oci:` (downloaded first from
 * S3), and a layout made by hand and dropped into the root or uploaded to the bucket is served
 * as-is (which is how users migrate a zot data directory or bucket to us).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  E2E_TIMEOUT_MS,
  expectPulledUnchanged,
  expectServedManifest,
  pushLayoutTag,
  useRegistryAndClients,
  type E2EContext,
} from '../support/e2e'
import { buildMultiPlatformIndex, buildRandomImage, type BuiltImage } from '../support/images/images'
import { OciLayout, readLayoutTag, REF_NAME_ANNOTATION } from '../support/oci-layout'
import { againstReference, startTarget } from '../support/server'
import { createTestStorage, type TestStorage } from '../support/storage-under-test'

const PLATFORMS = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64' },
]
const context = useRegistryAndClients()

describe.skipIf(againstReference)('zot storage layout', () => {
  test('a repository directory the registry wrote is an OCI layout skopeo reads', async () => {
    const layout = await context.newLayout('written')
    const image = await buildRandomImage(layout, 'image')
    const index = await buildMultiPlatformIndex(layout, 'index', PLATFORMS)
    await pushLayoutTag(context, layout, 'image', 'layout/written')
    await pushLayoutTag(context, layout, 'index', 'layout/written', ['--all'])

    const repositoryDirectory = await context.registry.storage.materialize('layout/written')
    expect(JSON.parse(await readFile(join(repositoryDirectory, 'oci-layout'), 'utf8'))).toEqual({
      imageLayoutVersion: '1.0.0',
    })
    for (const [tag, built, extraArgs] of [
      ['image', image, []],
      ['index', index, ['--all']],
    ] as const) {
      expect(await readLayoutTag(repositoryDirectory, tag)).toMatchObject({
        digest: built.manifest.digest,
        annotations: { [REF_NAME_ANNOTATION]: tag },
      })
      const copy = await context.clients.scratch(`copy-${tag}`)
      await context.clients.skopeo([
        'copy',
        '--preserve-digests',
        ...extraArgs,
        `oci:${repositoryDirectory}:${tag}`,
        `oci:${copy}:x`,
      ])
      expect((await readLayoutTag(copy, 'x'))?.digest).toBe(built.manifest.digest)
    }
  })
})

describe.skipIf(againstReference)('a data directory made by hand', () => {
  let root = ''
  let storage: TestStorage | undefined
  let handmade: E2EContext
  const built: Record<string, { layout: OciLayout; content: BuiltImage }> = {}

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'zot-e2e-handmade-'))
    const app = await OciLayout.create(join(root, 'handmade/app'))
    built.app = { layout: app, content: await buildRandomImage(app, 'v1', { layerCount: 2 }) }
    built.multi = { layout: app, content: await buildMultiPlatformIndex(app, 'multi', PLATFORMS) }
    const tool = await OciLayout.create(join(root, 'team/tools/cli'))
    built.cli = { layout: tool, content: await buildRandomImage(tool, '1.0') }
    // A layout written by another tool, with that tool's own index.json and file modes.
    await mkdir(join(root, 'copied'))
    await context.clients.skopeo([
      'copy',
      '--preserve-digests',
      `oci:${app.directory}:v1`,
      `oci:${join(root, 'copied/by-skopeo')}:v1`,
    ])
    storage = await createTestStorage({ label: 'e2e-handmade', seed: root })
    handmade = { ...context, registry: await startTarget({ storage }) }
  }, E2E_TIMEOUT_MS)
  afterAll(async () => {
    await handmade?.registry.stop()
    await storage?.remove()
    await rm(root, { recursive: true, force: true })
  })

  test('serves its images and indexes byte for byte', async () => {
    await expectServedManifest(handmade.registry, 'handmade/app', 'v1', built.app!.content.manifest)
    await expectServedManifest(handmade.registry, 'handmade/app', 'multi', built.multi!.content.manifest)
    await expectServedManifest(handmade.registry, 'team/tools/cli', '1.0', built.cli!.content.manifest)
    await expectPulledUnchanged(handmade, 'handmade/app', 'v1', built.app!.content, built.app!.layout)
    await expectPulledUnchanged(handmade, 'handmade/app', 'multi', built.multi!.content, built.multi!.layout, ['--all'])
    await expectPulledUnchanged(handmade, 'team/tools/cli', '1.0', built.cli!.content, built.cli!.layout)
    await expectPulledUnchanged(handmade, 'copied/by-skopeo', 'v1', built.app!.content, built.app!.layout)
  })

  test('lists its repositories and tags', async () => {
    const catalog = (await (await fetch(`${handmade.registry.url}/v2/_catalog`)).json()) as {
      repositories: string[]
    }
    expect(catalog.repositories).toEqual(['copied/by-skopeo', 'handmade/app', 'team/tools/cli'])
    const tags = (await (await fetch(`${handmade.registry.url}/v2/handmade/app/tags/list`)).json()) as {
      name: string
      tags: string[]
    }
    expect(tags).toEqual({ name: 'handmade/app', tags: ['multi', 'v1'] })
  })
})
