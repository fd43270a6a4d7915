/**
 * @module
 * The routing of `storage.subPaths` in detail, on an in-process store: which store a name selects
 * (zot's GetRoutePrefix), routes compared without case, and the upload caps a user has across
 * all stores.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RegistryError } from '../../lib/errors/registry-error'
import { openStore, type Store } from '../../lib/registry/open-store'
import { DEFAULT_UPLOAD_LIMITS } from '../../lib/registry/upload-quota'
import { routeOf } from '../../lib/registry/routed-registry'
import { testStorageConfig } from '../support/config'

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
