/**
 * A full disk (issue 21, items 8-9), on a real size-limited filesystem: an 8 MiB tmpfs mounted
 * over the storage root of a registry running as a child process with GC off. A failed upload —
 * monolithic, chunked, or its finishing PUT — answers 503 UNAVAILABLE with the spec's error body
 * (also when the disk fills only at the final flush of a small upload) and keeps none of its
 * bytes, so the disk heals: once space allows, the next push succeeds at once, without waiting
 * for GC.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from '../support/clients'
import { MediaType, manifestBytes, sha256Digest } from '../support/oci-layout'
import { startRegistry, type RunningRegistry } from '../support/server'
import { createTestStorage, type TestStorage } from '../support/storage-under-test'
import { randomBytes } from '../sync/support/content'

const DISK = 8 << 20
let storage: TestStorage
let registry: RunningRegistry
let mounted = false

beforeAll(async () => {
  storage = await createTestStorage({ label: 'disk-full', kind: 'local' })
  await run('mount', ['-t', 'tmpfs', '-o', `size=${DISK}`, 'tmpfs', storage.rootDirectory])
  mounted = true
  registry = await startRegistry({ storage, config: { storage: { gc: false } } })
})

afterAll(async () => {
  await registry?.stop()
  if (mounted) await run('umount', [storage.rootDirectory])
  await storage?.remove()
})

/** Every file under the repositories' `.uploads/` directories. */
async function uploadFiles(): Promise<string[]> {
  const files = await storage.list()
  return files.filter((path) => path.split('/').includes('.uploads'))
}

async function expectUnavailable(response: Response): Promise<void> {
  expect(response.status).toBe(503)
  const body = (await response.json()) as { errors: { code: string; detail?: { description?: string } }[] }
  expect(body.errors[0]?.code).toBe('UNAVAILABLE')
  expect(body.errors[0]?.detail?.description).toBe('the storage is full')
}

async function pushBlobBytes(repository: string, data: Uint8Array): Promise<string> {
  const digest = sha256Digest(data)
  const response = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    body: data,
  })
  expect(response.status).toBe(201)
  return digest
}

async function pushSmallBlob(repository: string): Promise<number> {
  const data = randomBytes(1024)
  const response = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/?digest=${sha256Digest(data)}`, {
    method: 'POST',
    body: data,
  })
  await response.arrayBuffer()
  return response.status
}

test('a monolithic upload larger than the disk is a 503, keeps no bytes, and the next small push succeeds', async () => {
  const data = randomBytes(12 << 20)
  const response = await fetch(`${registry.url}/v2/full/mono/blobs/uploads/?digest=${sha256Digest(data)}`, {
    method: 'POST',
    body: data,
  })
  await expectUnavailable(response)
  expect(await uploadFiles()).toEqual([])
  expect(await pushSmallBlob('full/mono')).toBe(201)
})

test('a finishing PUT that fills the disk is a 503, its session is gone, and the next small push succeeds', async () => {
  const start = await fetch(`${registry.url}/v2/full/finish/blobs/uploads/`, { method: 'POST' })
  expect(start.status).toBe(202)
  const location = new URL(start.headers.get('Location')!, registry.url)
  const data = randomBytes(12 << 20)
  location.searchParams.set('digest', sha256Digest(data))
  await expectUnavailable(await fetch(location, { method: 'PUT', body: data }))
  expect(await uploadFiles()).toEqual([])
  expect((await fetch(location, { method: 'GET' })).status).toBe(404)
  expect(await pushSmallBlob('full/finish')).toBe(201)
})

test('a chunk that fills the disk is a 503 and appends nothing; the session resumes once space allows', async () => {
  const start = await fetch(`${registry.url}/v2/full/chunk/blobs/uploads/`, { method: 'POST' })
  const location = new URL(start.headers.get('Location')!, registry.url)
  const first = randomBytes(4096)
  const patched = await fetch(location, { method: 'PATCH', body: first })
  expect(patched.status).toBe(202)
  await expectUnavailable(await fetch(location, { method: 'PATCH', body: randomBytes(12 << 20) }))
  const status = await fetch(location, { method: 'GET' })
  expect(status.status).toBe(204)
  expect(status.headers.get('Range')).toBe('0-4095')
  const last = randomBytes(2048)
  const whole = new Uint8Array([...first, ...last])
  location.searchParams.set('digest', sha256Digest(whole))
  const finished = await fetch(location, { method: 'PUT', body: last })
  expect(finished.status).toBe(201)
})

test('a small upload whose bytes overflow only at the final flush is a 503, and the disk heals', async () => {
  // The session (and its directories) exist before the disk fills to the last block, so the
  // small body is buffered by the writer and its first write(2), at close, is the one refused.
  const start = await fetch(`${registry.url}/v2/full/flush/blobs/uploads/`, { method: 'POST' })
  expect(start.status).toBe(202)
  const location = new URL(start.headers.get('Location')!, registry.url)
  const filler = join(storage.rootDirectory, 'filler')
  // dd ends with "No space left on device": that is the point.
  await run('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k']).catch(() => {})
  const data = randomBytes(1024)
  location.searchParams.set('digest', sha256Digest(data))
  await expectUnavailable(await fetch(location, { method: 'PUT', body: data }))
  expect(await uploadFiles()).toEqual([])
  await rm(filler)
  expect(await pushSmallBlob('full/flush')).toBe(201)
})

test('a manifest PUT on a full disk is a 503 that leaves no temporary file, and succeeds once space allows', async () => {
  const repository = 'full/manifest'
  const config = await pushBlobBytes(repository, new TextEncoder().encode('{"os":"linux"}'))
  const layer = await pushBlobBytes(repository, randomBytes(2048))
  const manifest = manifestBytes({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: config, size: 14 },
    layers: [{ mediaType: MediaType.ociLayerGzip, digest: layer, size: 2048 }],
  })
  const put = () =>
    fetch(`${registry.url}/v2/${repository}/manifests/v1`, {
      method: 'PUT',
      body: manifest,
      headers: { 'Content-Type': MediaType.ociManifest },
    })
  const filler = join(storage.rootDirectory, 'filler')
  await run('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k']).catch(() => {})
  await expectUnavailable(await put())
  const temporaries = (await storage.list()).filter((path) => path.startsWith('.tmp/'))
  expect(temporaries).toEqual([])
  await rm(filler)
  expect((await put()).status).toBe(201)
})
