/**
 * Registry-to-registry: our own server (`bun cmd/zot.ts serve`, a separate process) as the
 * upstream of a cache, skopeo pulling a multi-arch image through it. Digests equal the
 * upstream's, and only the platform skopeo asked for was fetched.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createClientEnvironment, type ClientEnvironment } from '../support/clients'
import { sha256Digest } from '../support/oci-layout'
import { startRegistry, type RunningRegistry } from '../support/server'
import { onDemandConfig, removeCacheRoots, startCache, type RunningCache } from './support/cache'
import { pushIndex } from './support/content'

let upstream: RunningRegistry
let cache: RunningCache
let clients: ClientEnvironment

beforeAll(async () => {
  upstream = await startRegistry()
  cache = await startCache(onDemandConfig([upstream.url], { content: [{ prefix: '**', destination: '/zot' }] }))
  clients = await createClientEnvironment([cache.host])
})

afterAll(async () => {
  await clients?.cleanup()
  await cache?.stop()
  await upstream?.stop()
  await removeCacheRoots()
})

test('skopeo pulls one platform of a multi-arch image from our own server through the cache', async () => {
  const index = await pushIndex(upstream, 'team/app', '1.0', ['amd64', 'arm64'])
  const [amd64, arm64] = index.children
  const destination = await clients.scratch('pull')
  await clients.skopeo([
    'copy',
    '--override-arch',
    'arm64',
    `docker://${cache.host}/zot/team/app:1.0`,
    `dir:${destination}`,
  ])
  const pulled = new Set<string>()
  for (const name of await readdir(destination)) {
    if (name !== 'version') pulled.add(sha256Digest(await readFile(join(destination, name))))
  }
  expect(pulled).toEqual(new Set([arm64!.digest, ...arm64!.blobs.map((blob) => blob.digest)]))
  expect((await cache.registry.resolveManifest('zot/team/app', '1.0')).digest).toBe(index.digest)
  for (const blob of amd64!.blobs) expect(await cache.registry.hasBlob('zot/team/app', blob.digest)).toBe(false)
})
