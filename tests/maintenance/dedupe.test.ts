import { describe, expect, test } from 'bun:test'
import { stat } from 'node:fs/promises'
import { dedupeCommand } from '../../cmd/dedupe'
import { silentLogger } from '../../lib/log/logger'
import { reconcileDedupe } from '../../lib/maintenance/dedupe'
import { startMaintenance } from '../../lib/maintenance/maintenance'
import { pushBlob, randomBlob } from '../http/harness'
import { testStorageConfig } from '../support/config'
import { captureIo, commandSections, corrupt, makeMaintenanceHarness, type MaintenanceHarness } from './helpers'

type H = MaintenanceHarness
const inode = async (h: H, repository: string, digest: string) => (await stat(h.blobFile(repository, digest))).ino
const links = async (h: H, repository: string, digest: string) => (await stat(h.blobFile(repository, digest))).nlink
async function served(h: H, repository: string, digest: string): Promise<Uint8Array> {
  return new Uint8Array(await (await h.request(`/v2/${repository}/blobs/${digest}`)).arrayBuffer())
}

/** The same blob pushed to `a`, `b` and `c`. */
async function spread(h: MaintenanceHarness, data: Uint8Array): Promise<string> {
  let digest = ''
  for (const repository of ['a', 'b', 'c']) digest = await pushBlob(h, repository, data)
  return digest
}

const reconcile = (h: MaintenanceHarness, dedupe: boolean) =>
  reconcileDedupe(
    { registry: h.registry, meta: h.meta, logger: silentLogger(), rootDirectory: h.rootDirectory },
    dedupe,
  )

describe('dedupe on local disk', () => {
  test('on: a blob pushed to several repositories is stored once (hard links)', async () => {
    const h = await makeMaintenanceHarness({ dedupe: true })
    const data = randomBlob(10_000)
    const digest = await spread(h, data)
    const first = await inode(h, 'a', digest)
    expect(await inode(h, 'b', digest)).toBe(first)
    expect(await inode(h, 'c', digest)).toBe(first)
    expect(await links(h, 'a', digest)).toBe(3)
    expect(await served(h, 'c', digest)).toEqual(data)
    h.close()
  })

  test('off: every repository gets its own copy', async () => {
    const h = await makeMaintenanceHarness({ dedupe: false })
    const digest = await spread(h, randomBlob(10_000))
    expect(new Set([await inode(h, 'a', digest), await inode(h, 'b', digest), await inode(h, 'c', digest)]).size).toBe(
      3,
    )
    h.close()
  })

  test('deleting one linked copy leaves the others whole', async () => {
    const h = await makeMaintenanceHarness({ dedupe: true })
    const data = randomBlob(10_000)
    const digest = await spread(h, data)
    expect((await h.request(`/v2/a/blobs/${digest}`, { method: 'DELETE' })).status).toBe(202)
    expect(await served(h, 'b', digest)).toEqual(data)
    expect(await h.meta.blobLocations.holders(digest)).toEqual(['b', 'c'])
    h.close()
  })

  test('switching on links existing copies; switching off restores independent copies', async () => {
    const plain = await makeMaintenanceHarness({ dedupe: false })
    const data = randomBlob(10_000)
    const digest = await spread(plain, data)
    plain.close()
    const h = await makeMaintenanceHarness({ rootDirectory: plain.rootDirectory, dedupe: true })

    expect(await reconcile(h, true)).toMatchObject({ walk: 'dedupe', replaced: 2 })
    expect(new Set([await inode(h, 'a', digest), await inode(h, 'b', digest), await inode(h, 'c', digest)]).size).toBe(
      1,
    )
    expect(await reconcile(h, true)).toMatchObject({ walk: 'skipped' })

    expect(await reconcile(h, false)).toMatchObject({ walk: 'restore', replaced: 3 })
    expect(new Set([await inode(h, 'a', digest), await inode(h, 'b', digest), await inode(h, 'c', digest)]).size).toBe(
      3,
    )
    for (const repository of ['a', 'b', 'c']) {
      expect(await links(h, repository, digest)).toBe(1)
      expect(await served(h, repository, digest)).toEqual(data)
    }
    h.close()
  })

  test('the dedupe walk links to a copy whose bytes it verified, so bit rot never spreads', async () => {
    const plain = await makeMaintenanceHarness({ dedupe: false })
    const data = randomBlob(10_000)
    const digest = await spread(plain, data)
    await corrupt(plain.blobFile('a', digest))
    plain.close()
    const h = await makeMaintenanceHarness({ rootDirectory: plain.rootDirectory, dedupe: true })

    await reconcile(h, true)

    for (const repository of ['a', 'b', 'c']) expect(await served(h, repository, digest)).toEqual(data)
    h.close()
  })

  test('serve runs the restore walk in the background when dedupe was switched off', async () => {
    const linked = await makeMaintenanceHarness({ dedupe: true })
    const digest = await spread(linked, randomBlob(5_000))
    expect(await reconcile(linked, true)).toMatchObject({ walk: 'dedupe' })
    linked.close()
    const h = await makeMaintenanceHarness({ rootDirectory: linked.rootDirectory, dedupe: false })
    const maintenance = startMaintenance({
      registry: h.registry,
      meta: h.meta,
      logger: silentLogger(),
      options: { storage: testStorageConfig({ rootDirectory: h.rootDirectory, dedupe: false, gc: false }) },
    })

    expect(await maintenance.dedupe).toMatchObject({ walk: 'restore', replaced: 3 })
    expect(await links(h, 'b', digest)).toBe(1)
    await maintenance.stop()
    h.close()
  })
})

describe('zot dedupe --restore on local disk', () => {
  test('refuses with the way to undo hard links instead, and changes nothing', async () => {
    const h = await makeMaintenanceHarness({ dedupe: true })
    const digest = await spread(h, randomBlob(5_000))
    const { io, err } = captureIo()
    const storage = { rootDirectory: h.rootDirectory, dedupe: true }
    const code = await dedupeCommand({ ...commandSections(storage, { port: '1' }), restore: true }, io)
    expect(code).toBe(1)
    expect(err.join('\n')).toContain('storage.dedupe to false')
    expect(await links(h, 'a', digest)).toBe(3)
    h.close()
  })
})
