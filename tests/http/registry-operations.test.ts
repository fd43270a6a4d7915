/**
 * The registry's operations without HTTP: each raises its own events (a caller cannot forget
 * one), a pull-through store is told apart from a client's push, and the delete rules live in
 * the registry. On the storage under test, opened as `serve` opens it.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { RegistryError } from '../../lib/errors/registry-error'
import { digestOf } from '../../lib/oci/digest'
import { MediaType } from '../../lib/oci/media-types'
import type { RegistryListener } from '../../lib/registry/events'
import { blobPath, uploadsPath } from '../../lib/registry/layout'
import type { Registry } from '../../lib/registry/registry'
import { createTestStorage } from '../support/storage-under-test'
import { bytes, randomBlob } from './harness'

const storage = await createTestStorage({ label: 'operations' })
afterAll(() => storage.remove())
const { registry } = await storage.openStore()

type Event = [keyof RegistryListener, ...unknown[]]

/** Every event `act` raises, in order. */
async function eventsOf(act: () => Promise<unknown>): Promise<Event[]> {
  const seen: Event[] = []
  const record =
    <K extends keyof RegistryListener>(name: K) =>
    (...args: unknown[]) =>
      void seen.push([name, ...args])
  const stop = registry.events.subscribe({
    manifestPushed: record('manifestPushed'),
    manifestPulled: record('manifestPulled'),
    manifestDeleted: record('manifestDeleted'),
    blobTouched: record('blobTouched'),
    repositoryCreated: record('repositoryCreated'),
  })
  try {
    await act()
  } finally {
    stop()
  }
  return seen
}

const streamOf = (data: Uint8Array): ReadableStream<Uint8Array> => new Blob([data]).stream()

async function image(repository: string): Promise<{ manifest: Uint8Array; digest: string; layer: string }> {
  const config = bytes('{}')
  const layer = randomBlob(512)
  for (const blob of [config, layer])
    await registry.putBlob(repository, digestOf(blob), streamOf(blob), { origin: 'sync' })
  const manifest = bytes(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digestOf(layer), size: layer.length }],
    }),
  )
  return { manifest, digest: digestOf(manifest), layer: digestOf(layer) }
}

const push = (r: Registry, repository: string, reference: string, manifest: Uint8Array) =>
  r.putManifest(repository, reference, manifest, { origin: 'push', contentType: MediaType.ociManifest })

describe('events are raised by the operations themselves', () => {
  test('a client push, a cache store, a content-only store and a cache retag', async () => {
    const { manifest, digest } = await image('ops/push')
    expect(await eventsOf(() => push(registry, 'ops/push', 'v1', manifest))).toEqual([
      ['manifestPushed', 'ops/push', digest, ['v1'], 'push'],
    ])
    const descriptor = { mediaType: MediaType.ociManifest, digest, size: manifest.length }
    expect(
      await eventsOf(() => registry.putManifest('ops/push', 'v2', manifest, { origin: 'sync', descriptor })),
    ).toEqual([['manifestPushed', 'ops/push', digest, ['v2'], 'sync']])
    expect(
      await eventsOf(() =>
        registry.putManifest('ops/push', digest, manifest, { origin: 'sync', descriptor, contentOnly: true }),
      ),
    ).toEqual([])
    expect(await eventsOf(() => registry.tagManifest('ops/push', 'v3', descriptor))).toEqual([
      ['manifestPushed', 'ops/push', digest, ['v3'], 'sync'],
    ])
    expect(await registry.listTags('ops/push')).toEqual(['v1', 'v2', 'v3'])
  })

  test('pulls: a manifest GET is a pull (with its tag), a blob HEAD a touch, a blob GET neither', async () => {
    const { manifest, digest, layer } = await image('ops/pull')
    await push(registry, 'ops/pull', 'v1', manifest)
    const pulls = registry.pulls(registry)
    expect(await eventsOf(() => pulls.pullManifest('ops/pull', 'v1'))).toEqual([
      ['manifestPulled', 'ops/pull', digest, 'v1'],
    ])
    expect(await eventsOf(() => pulls.pullManifest('ops/pull', digest))).toEqual([
      ['manifestPulled', 'ops/pull', digest, undefined],
    ])
    expect(await eventsOf(() => pulls.resolveManifest('ops/pull', 'v1'))).toEqual([])
    expect(await eventsOf(() => pulls.checkBlob('ops/pull', layer))).toEqual([['blobTouched', 'ops/pull', layer]])
    expect(await eventsOf(() => pulls.findBlob('ops/pull', layer))).toEqual([])
  })

  test('blobs: a client upload, a monolithic push and a mount touch the blob; a cache store does not; each first write creates its repository', async () => {
    const data = randomBlob(300)
    const digest = digestOf(data)
    const session = await registry.startUpload('ops/layers')
    expect(await eventsOf(() => registry.finishUpload('ops/layers', session.id, digest, streamOf(data)))).toEqual([
      ['repositoryCreated', 'ops/layers'],
      ['blobTouched', 'ops/layers', digest],
    ])
    expect(await eventsOf(() => registry.putBlob('ops/other', digest, streamOf(data), { origin: 'push' }))).toEqual([
      ['repositoryCreated', 'ops/other'],
      ['blobTouched', 'ops/other', digest],
    ])
    expect(await eventsOf(() => registry.putBlob('ops/cached', digest, streamOf(data), { origin: 'sync' }))).toEqual([
      ['repositoryCreated', 'ops/cached'],
    ])
    expect(await eventsOf(() => registry.mountBlob('ops/layers', 'ops/mounted', digest))).toEqual([
      ['repositoryCreated', 'ops/mounted'],
      ['blobTouched', 'ops/mounted', digest],
    ])
    expect(await eventsOf(() => registry.putBlob('ops/other', digest, streamOf(data), { origin: 'push' }))).toEqual([
      ['blobTouched', 'ops/other', digest],
    ])
    expect(await registry.mountBlob('ops/layers', 'ops/mounted', 'sha256:nope')).toBe(false)
  })

  test('deletes: a tag or manifest delete is announced; a blob in use cannot go', async () => {
    const { manifest, digest, layer } = await image('ops/delete')
    await push(registry, 'ops/delete', 'v1', manifest)
    const refused = await registry.deleteBlob('ops/delete', layer).catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(RegistryError)
    expect(refused).toMatchObject({ code: 'DENIED', status: 405 })
    const named = { mediaType: MediaType.ociManifest, digest, size: manifest.length }
    expect(await eventsOf(() => registry.deleteManifest('ops/delete', 'v1'))).toEqual([
      ['manifestDeleted', 'ops/delete', 'v1', expect.objectContaining(named)],
    ])
    expect(await eventsOf(() => registry.deleteManifest('ops/delete', digest))).toEqual([
      ['manifestDeleted', 'ops/delete', digest, expect.objectContaining(named)],
    ])
    await registry.deleteBlob('ops/delete', layer)
    expect(await registry.hasBlob('ops/delete', layer)).toBe(false)
  })
})

test('a cache store whose bytes do not match the stated digest is refused and stores nothing', async () => {
  const { manifest, digest } = await image('ops/verify')
  const descriptor = { mediaType: MediaType.ociManifest, digest, size: manifest.length }
  const tampered = bytes(new TextDecoder().decode(manifest).replace('"schemaVersion":2', '"schemaVersion": 2'))
  const refused = await registry
    .putManifest('ops/verify', 'v1', tampered, { origin: 'sync', descriptor })
    .catch((error: unknown) => error)
  expect(refused).toMatchObject({ code: 'DIGEST_INVALID' })
  expect(await registry.tagExists('ops/verify', 'v1')).toBe(false)
})

describe('a verified blob body (a pull-through spool: it ends only once its digest is checked)', () => {
  test('is stored under its digest as it came', async () => {
    const blob = randomBlob(3 << 20)
    const stored = await registry.putBlob('ops/verified', digestOf(blob), streamOf(blob), {
      origin: 'sync',
      verified: true,
    })
    expect(stored).toEqual({ digest: digestOf(blob), size: blob.length })
    expect(await storage.read(blobPath('ops/verified', digestOf(blob)))).toEqual(blob)
  })

  test('that breaks off (its check failed) stores nothing and leaves no upload behind', async () => {
    const blob = randomBlob(3 << 20)
    let sent = false
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) return controller.error(new Error('sha256 mismatch'))
        sent = true
        controller.enqueue(blob.subarray(0, 1 << 20))
      },
    })
    const refused = await registry
      .putBlob('ops/verified-broken', digestOf(blob), failing, { origin: 'sync', verified: true })
      .catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(Error)
    expect(await registry.hasBlob('ops/verified-broken', digestOf(blob))).toBe(false)
    expect(await storage.list(uploadsPath('ops/verified-broken'))).toEqual([])
  })
})
