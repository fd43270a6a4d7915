/**
 * Where a pulled blob's bytes go: with the spool beside local storage, the verified spool is
 * renamed into place (the cached blob is the very file the download wrote); with the spool on
 * another filesystem (a tmpfs `downloadDir`), it is copied through a verified upload. Either way
 * the blob is cached whole and no spool file is left behind.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { blobPath } from '../../lib/registry/layout'
import { onDemandConfig, removeCacheRoots, startCache } from './support/cache'
import { pullBlob, pullManifest, pushImage } from './support/content'
import { startOwnUpstream, type OwnUpstream } from './support/own-upstream'

let upstream: OwnUpstream
const spoolDirectories: string[] = []

beforeAll(async () => {
  upstream = await startOwnUpstream()
})

afterAll(async () => {
  await upstream.stop()
  await removeCacheRoots()
  await Promise.all(spoolDirectories.map((directory) => rm(directory, { recursive: true, force: true })))
})

async function pullThrough(spoolParent: string, repository: string) {
  const downloadDir = await mkdtemp(join(spoolParent, 'zot-spool-'))
  spoolDirectories.push(downloadDir)
  const cache = await startCache({ ...onDemandConfig([upstream.url]), downloadDir })
  // A copy into storage goes through an upload session (putBlob); a rename needs none.
  let uploadSessions = 0
  const { registry } = cache
  const putBlob = registry.putBlob.bind(registry)
  registry.putBlob = (...args) => (uploadSessions++, putBlob(...args))
  try {
    const image = await pushImage(upstream, repository, { tag: '1', layers: [3 << 20] })
    expect((await pullManifest(cache.url, repository, '1')).status).toBe(200)
    const layer = image.blobs[1]!
    expect(await pullBlob(cache.url, repository, layer.digest)).toEqual({
      status: 200,
      digest: layer.digest,
      size: layer.size,
    })
    // The client may have its last byte before the fill has stored the blob: wait for the store.
    for (let attempt = 0; attempt < 100 && !(await cache.registry.hasBlob(repository, layer.digest)); attempt++)
      await Bun.sleep(20)
    const stored = await stat(join(cache.rootDirectory, blobPath(repository, layer.digest)))
    expect(stored.size).toBe(layer.size)
    // The spool's name goes when its last reader and the writer are done.
    for (let attempt = 0; attempt < 100 && (await readdir(downloadDir)).length > 0; attempt++) await Bun.sleep(20)
    expect(await readdir(downloadDir)).toEqual([])
    return { stored, downloadDir, uploadSessions }
  } finally {
    await cache.stop()
  }
}

describe('a pulled blob', () => {
  test('with the spool on the storage filesystem, is the spool file renamed into place', async () => {
    const { stored, downloadDir, uploadSessions } = await pullThrough(tmpdir(), 'adopt/same-fs')
    expect(stored.dev).toBe((await stat(downloadDir)).dev)
    expect(uploadSessions).toBe(0)
  })

  test('with the spool on another filesystem (tmpfs), is copied through a verified upload', async () => {
    const { stored, downloadDir, uploadSessions } = await pullThrough('/dev/shm', 'adopt/other-fs')
    expect(stored.dev).not.toBe((await stat(downloadDir)).dev)
    // The layer (the only blob pulled).
    expect(uploadSessions).toBe(1)
  })
})
