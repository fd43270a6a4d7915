/**
 * The cache budget on S3 (Ceph RGW), where the bucket may be shared by replicas: the least
 * recently pulled cached image is evicted past `cacheMaxBytes` and its blobs leave the bucket at
 * once, claimed in index.json first as GC claims them, with no claim left behind; the others stay
 * and the evicted one is pulled through again.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { join } from 'node:path'
import { startRegistry, type RunningRegistry } from '../support/server'
import { createTestStorage, type TestStorage } from '../support/storage-under-test'
import { cacheConfig, eventually, pullVerified } from './support/cache-budget'
import { pushImage, type PushedImage } from './support/content'
import { startDockerRegistry, type DockerRegistry } from './support/docker-registry'

const MiB = 1 << 20
let upstream: DockerRegistry
let storage: TestStorage
let cache: RunningRegistry
const images = new Map<string, PushedImage>()

beforeAll(async () => {
  upstream = await startDockerRegistry()
  for (const name of ['a', 'b', 'c'])
    images.set(name, await pushImage(upstream, `s3lru/${name}`, { tag: 'v1', layers: [4 * MiB] }))
  storage = await createTestStorage({ label: 'cache-budget-s3', kind: 's3' })
  const config = cacheConfig(upstream.url, { cacheMaxBytes: '10MiB', cacheLowWatermark: '9MiB' })
  const sync = (config.extensions as { sync: Record<string, unknown> }).sync
  sync.downloadDir = join(storage.rootDirectory, 'spool')
  cache = await startRegistry({ storage, config })
}, 120_000)

afterAll(async () => {
  await cache?.stop()
  await storage?.remove()
  await upstream?.stop()
})

const image = (name: string): PushedImage => images.get(name)!

/** The digests of the blobs the bucket holds for `repository`. */
async function bucketDigests(repository: string): Promise<Set<string>> {
  const files = await storage.list(`${repository}/blobs`)
  return new Set(files.map((path) => path.split('/').slice(-2).join(':')))
}

const digestsOf = (pushed: PushedImage): string[] => [pushed.digest, ...pushed.blobs.map((blob) => blob.digest)]

test('past the budget the least recently pulled image leaves the bucket at once; no claim is left behind', async () => {
  for (const name of ['a', 'b', 'c']) await pullVerified(cache.url, `s3lru/${name}`, 'v1', image(name))
  // a, b and c hold about 12 MiB > 10 MiB: a, the least recently pulled, goes (8 MiB <= 9 MiB).
  expect(await eventually(async () => (await bucketDigests('s3lru/a')).size === 0)).toBe(true)
  for (const name of ['b', 'c']) {
    const held = await bucketDigests(`s3lru/${name}`)
    for (const digest of digestsOf(image(name))) expect(held).toContain(digest)
  }
  // No claim is left in an index.json: pushes on other replicas never wait for this one.
  for (const name of ['b', 'c']) {
    const index = JSON.parse(new TextDecoder().decode(await storage.read(`s3lru/${name}/index.json`)))
    expect(JSON.stringify(index)).not.toContain('claim')
  }
  await pullVerified(cache.url, 's3lru/a', 'v1', image('a'))
  const stored = async () => {
    const held = await bucketDigests('s3lru/a')
    return digestsOf(image('a')).every((digest) => held.has(digest))
  }
  expect(await eventually(stored, 10_000)).toBe(true)
}, 120_000)
