/**
 * The metadata store in the bucket: replicas sharing S3 see each other's push and pull times,
 * concurrent flushes lose nothing, and a new process reads what earlier ones recorded.
 */
import { expect, setDefaultTimeout, test } from 'bun:test'
import { createBucketMetaStore } from '../../lib/meta'
import { createStateStore } from '../../lib/registry/storage/state-store'
import { createS3Driver, s3OptionsFromZotParams } from '../../lib/storage/s3'
import { cephRgwForThisFile, createTestBucket, zotS3Params } from '../support/counterparts/ceph-rgw'
import { testS3DriverConfig } from '../support/config'

setDefaultTimeout(60_000)
const gateway = cephRgwForThisFile()

async function replicaStores(count: number) {
  const bucket = await createTestBucket(gateway(), 'meta')
  const params = zotS3Params(gateway(), bucket)
  // A long interval: flushes happen when the test says so.
  return Array.from({ length: count }, () =>
    createBucketMetaStore(createStateStore(createS3Driver(s3OptionsFromZotParams(testS3DriverConfig(params)))), {
      flushIntervalMs: 3_600_000,
    }),
  )
}

const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`

test('pushes and pulls recorded on two replicas merge, concurrent flushes lose nothing, a restart reads them', async () => {
  const [a, b, later] = await replicaStores(3)
  a!.recordPush('team/app', digest(1), ['v1'], 1000)
  b!.recordPush('team/app', digest(2), ['v2'], 2000)
  for (let i = 0; i < 10; i++) {
    a!.recordPull('team/app', digest(1), 'v1', 3000 + i)
    b!.recordPull('team/app', digest(1), undefined, 4000 + i)
  }
  await Promise.all([a!.flush(), b!.flush()])
  for (const store of [a!, b!, later!]) {
    const stats = await store.repositoryStats('team/app')
    expect(Object.fromEntries(stats.tags)).toEqual({
      v1: { digest: digest(1), pushedAt: 1000 },
      v2: { digest: digest(2), pushedAt: 2000 },
    })
    expect(stats.manifests.get(digest(1))).toEqual({ pushedAt: 1000, pulledAt: 4009, pullCount: 20, origin: 'push' })
  }
})

test('a replica sees its own unflushed events; forgetting a manifest drops its tags', async () => {
  const [a, b] = await replicaStores(2)
  a!.recordPush('x/y', digest(3), ['keep', 'also'], 500)
  a!.recordPush('x/y', digest(4), ['other'], 600)
  expect([...(await a!.repositoryStats('x/y')).tags.keys()].sort()).toEqual(['also', 'keep', 'other'])
  b!.forgetManifest('x/y', digest(3))
  await b!.flush()
  const stats = await a!.repositoryStats('x/y')
  expect([...stats.tags.keys()]).toEqual(['other'])
  expect(stats.manifests.has(digest(3))).toBe(false)
})

test('settings are shared and persistent', async () => {
  const [a, b] = await replicaStores(2)
  expect(await a!.setting('dedupe')).toBeUndefined()
  await a!.setSetting('dedupe', 'off')
  expect(await b!.setting('dedupe')).toBe('off')
})
