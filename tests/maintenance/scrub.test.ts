import { describe, expect, test } from 'bun:test'
import { scrubCommand } from '../../cmd/scrub'
import { MediaType } from '../../lib/oci/media-types'
import { bytes, pushBlob, pushImage, putManifest, randomBlob } from '../http/harness'
import { freePort } from '../support/server'
import { captureIo, commandSections, corrupt, exists, makeMaintenanceHarness, type MaintenanceHarness } from './helpers'

/** Pushes `repository:v1`, an image whose only layer is `layer`; returns the layer's digest. */
async function pushImageOf(h: MaintenanceHarness, repository: string, layer: Uint8Array): Promise<string> {
  const config = bytes(JSON.stringify({ architecture: 'amd64', os: 'linux' }))
  const configDigest = await pushBlob(h, repository, config)
  const layerDigest = await pushBlob(h, repository, layer)
  const manifest = bytes(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
    }),
  )
  expect((await putManifest(h, repository, 'v1', manifest)).status).toBe(201)
  return layerDigest
}

const scrub = async (h: MaintenanceHarness, extra: { json?: boolean; port?: number } = {}) => {
  const capture = captureIo()
  const sections = commandSections({ rootDirectory: h.rootDirectory }, { port: extra.port ?? (await freePort()) })
  const code = await scrubCommand({ ...sections, json: extra.json ?? false }, capture.io)
  return { code, ...capture }
}

describe('zot scrub', () => {
  test('clean storage: every image ok, a table like zot, a summary, exit 0', async () => {
    const h = await makeMaintenanceHarness()
    await pushImage(h, 'app', 'v1', { layers: 2 })
    await pushImage(h, 'lib/base', 'latest')

    const { code, out } = await scrub(h)

    expect(code).toBe(0)
    expect(out[0]).toMatch(/^REPOSITORY\s+TAG\s+STATUS\s+AFFECTED BLOB\s+ERROR$/)
    const rows = out.slice(1, 3).map((line) => line.split(/\s+/).slice(0, 3).join(' '))
    expect(rows).toEqual(['app v1 ok', 'lib/base latest ok'])
    expect(out.at(-1)).toMatch(/^scrub: 2 repositories, 2 images checked \(7 blobs, .*\), 0 affected in /)
    h.close()
  })

  test('a corrupt layer: affected, quarantined (404), exit 2; a re-push repairs it', async () => {
    const h = await makeMaintenanceHarness()
    const image = await pushImage(h, 'app', 'v1', { layers: 2 })
    const layer = image.layers[1]!
    const good = new Uint8Array(await Bun.file(h.blobFile('app', layer)).arrayBuffer())
    await corrupt(h.blobFile('app', layer))

    const first = await scrub(h)

    expect(first.code).toBe(2)
    expect(first.out[1]).toContain('affected')
    expect(first.out[1]).toContain(layer.slice('sha256:'.length))
    expect(first.out[1]).toContain('bad blob digest')
    expect(first.out.at(-1)).toContain('1 affected, 1 blob quarantined')
    expect((await h.request(`/v2/app/blobs/${layer}`, { method: 'HEAD' })).status).toBe(404)
    expect((await h.request('/v2/app/manifests/v1')).status).toBe(200)

    expect(await pushBlob(h, 'app', good)).toBe(layer)
    const served = await h.request(`/v2/app/blobs/${layer}`)
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(good)
    expect((await scrub(h)).code).toBe(0)
    // GC drops the quarantined copy once the blob is back.
    const report = await h.gc()
    expect(report.decisions.find((d) => d.kind === 'quarantine')?.rule).toContain('repaired')
    expect(await exists(`${h.rootDirectory}/app/.quarantine/sha256/${layer.slice(7)}`)).toBe(false)
    h.close()
  })

  test('a missing blob is affected with "blob not found"; JSON has zot\'s shape', async () => {
    const h = await makeMaintenanceHarness()
    const image = await pushImage(h, 'app', 'v1')
    await Bun.file(h.blobFile('app', image.config)).delete()

    const { code, out } = await scrub(h, { json: true })

    expect(code).toBe(2)
    const parsed = JSON.parse(out.join('\n')) as { scrubResults: Record<string, string>[] }
    expect(parsed.scrubResults).toEqual([
      {
        imageName: 'app',
        tag: 'v1',
        digest: image.digest,
        status: 'affected',
        affectedBlob: image.config.slice(7),
        error: 'blob not found',
      },
    ])
    h.close()
  })

  test('a corrupt manifest is quarantined, its tag stays through GC, and re-pushing it repairs it', async () => {
    const h = await makeMaintenanceHarness()
    const image = await pushImage(h, 'app', 'v1')
    await pushImage(h, 'app', 'v2')
    await corrupt(h.blobFile('app', image.digest))

    expect((await scrub(h)).code).toBe(2)
    const report = await h.gc()

    expect(report.deleted.blob).toBe(0)
    expect(await h.registry.listTags('app')).toEqual(['v1', 'v2'])
    expect((await putManifest(h, 'app', 'v1', image.manifest)).status).toBe(201)
    expect((await h.request('/v2/app/manifests/v1')).status).toBe(200)
    expect((await scrub(h)).code).toBe(0)
    h.close()
  })

  test('with dedupe, a corrupt shared inode is quarantined everywhere and never linked into a repair', async () => {
    const h = await makeMaintenanceHarness({ dedupe: true })
    const data = randomBlob(4096)
    const layer = await pushImageOf(h, 'one', data)
    await pushImageOf(h, 'two', data)
    const inode = async (repository: string) => (await Bun.file(h.blobFile(repository, layer)).stat()).ino
    expect(await inode('two')).toBe(await inode('one'))
    await corrupt(h.blobFile('one', layer))

    const first = await scrub(h)

    expect(first.code).toBe(2)
    expect(first.out.filter((line) => line.includes('bad blob digest'))).toHaveLength(2)
    expect(await h.meta.blobLocations.holders(layer)).toEqual([])
    for (const repository of ['one', 'two']) expect(await pushBlob(h, repository, data)).toBe(layer)
    expect(await inode('two')).toBe(await inode('one'))
    for (const repository of ['one', 'two']) {
      const served = await h.request(`/v2/${repository}/blobs/${layer}`)
      expect(new Uint8Array(await served.arrayBuffer())).toEqual(data)
    }
    expect((await scrub(h)).code).toBe(0)
    h.close()
  })
})
