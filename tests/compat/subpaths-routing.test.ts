/**
 * @module
 * The routing of `storage.subPaths` in detail, on an in-process store: which store a name selects
 * (zot's GetRoutePrefix), routes compared without case, the upload caps a user has across all
 * stores, and the metadata store each store keeps.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RegistryError } from '../../lib/errors/registry-error'
import { openStore, type Store } from '../../lib/registry/open-store'
import { DEFAULT_UPLOAD_LIMITS } from '../../lib/registry/storage/upload-quota'
import { routeOf } from '../../lib/registry/sub-paths/routed-registry'
import { silentLogger } from '../../lib/log/logger'
import { startStoresMaintenance } from '../../lib/maintenance/stores-maintenance'
import { digestOf } from '../../lib/oci/digest'
import { MediaType } from '../support/oci-layout'
import { testConfig, testStorageConfig } from '../support/config'

describe('routeOf (zot GetRoutePrefix)', () => {
  test('the first path component selects the route; a name without / has none', () => {
    expect(routeOf('a/b/c')).toBe('/a')
    expect(routeOf('a/x')).toBe('/a')
    expect(routeOf('a')).toBeUndefined()
    expect(routeOf('ab/x')).toBe('/ab')
  })
})

describe('a store with subPaths', () => {
  let directory: string
  let store: Store

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'zot-subpaths-routing-'))
    store = await openStore(
      testStorageConfig({
        rootDirectory: join(directory, 'main'),
        subPaths: { '/Team': { rootDirectory: join(directory, 'team') } },
      }),
    )
  })
  afterAll(async () => {
    await store?.close()
    await rm(directory, { recursive: true, force: true })
  })

  test('a route written in upper case serves the lower-case names, as zot reads it', async () => {
    const status = await store.registry.startUpload('team/app')
    expect(await stat(join(directory, 'team/team/app/.uploads', status.id))).toBeTruthy()
    await store.registry.cancelUpload('team/app', status.id)
    expect(store.parts.map((part) => part.route)).toEqual([undefined, '/Team'])
  })

  test("a user's upload cap covers every store, not each one", async () => {
    const half = DEFAULT_UPLOAD_LIMITS.perOwner / 2
    for (let index = 0; index < half; index++) await store.registry.startUpload('main/app', 'mallory')
    for (let index = 0; index < half; index++) await store.registry.startUpload('team/app', 'mallory')
    const refused = await store.registry.startUpload('team/app', 'mallory').catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(RegistryError)
    expect((refused as RegistryError).status).toBe(429)
    // Another user is not affected.
    expect((await store.registry.startUpload('team/app', 'alice')).id).toBeString()
  })
})

describe("each store's metadata", () => {
  test("a push is recorded in the metadata store of the repository's store, where its retention reads it", async () => {
    const directory = await mkdtemp(join(tmpdir(), 'zot-subpaths-meta-'))
    const config = testConfig({
      storage: {
        rootDirectory: join(directory, 'main'),
        subPaths: { '/team': { rootDirectory: join(directory, 'team') } },
      },
    })
    // As serve starts them: one store per route, maintenance (and its metadata feed) per store.
    const store = await openStore(config.storage)
    const maintenance = startStoresMaintenance({ parts: store.parts, storage: config.storage, logger: silentLogger() })
    const { registry } = store
    try {
      const layer = new TextEncoder().encode('layer')
      const configBlob = new TextEncoder().encode('{}')
      for (const blob of [layer, configBlob])
        await registry.putBlob('team/app', digestOf(blob), new Blob([blob]).stream(), { origin: 'push' })
      const manifest = new TextEncoder().encode(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ociManifest,
          config: { mediaType: MediaType.ociConfig, digest: digestOf(configBlob), size: configBlob.byteLength },
          layers: [{ mediaType: MediaType.ociLayerGzip, digest: digestOf(layer), size: layer.byteLength }],
        }),
      )
      await registry.putManifest('team/app', 'v1', manifest, {
        origin: 'push',
        contentType: MediaType.ociManifest,
      })
      const [main, team] = store.parts
      await team!.meta.flush()
      expect([...(await team!.meta.repositoryStats('team/app')).tags.keys()]).toEqual(['v1'])
      expect((await main!.meta.repositoryStats('team/app')).tags.size).toBe(0)
      expect(await stat(join(directory, 'team/_meta.sqlite'))).toBeTruthy()
    } finally {
      await maintenance.stop()
      await store.close()
      await rm(directory, { recursive: true, force: true })
    }
  })
})
