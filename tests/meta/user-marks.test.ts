/**
 * Users' stars and bookmarks in both metadata stores: set and cleared per user, repository and
 * kind, idempotent, and still there after a restart (SQLite file) or from another replica
 * (bucket document, on Ceph RGW), where concurrent toggles of different marks lose nothing.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBucketMetaStore, openSqliteMetaStore, type MetaStore, type UserMark } from '../../lib/meta'
import { createStateStore } from '../../lib/registry/storage/state-store'
import { createS3Driver, s3OptionsFromZotParams } from '../../lib/storage/s3'
import { cephRgwForThisFile, createTestBucket, zotS3Params } from '../support/counterparts/ceph-rgw'
import { testS3DriverConfig } from '../support/config'

setDefaultTimeout(60_000)

const star = (username: string, repository: string): UserMark => ({ username, repository, kind: 'star' })
const bookmark = (username: string, repository: string): UserMark => ({ username, repository, kind: 'bookmark' })
const sorted = (marks: UserMark[]) =>
  [...marks].sort((a, b) =>
    `${a.username}${a.repository}${a.kind}`.localeCompare(`${b.username}${b.repository}${b.kind}`),
  )

async function exercise(open: () => MetaStore, reopen: () => MetaStore): Promise<void> {
  const first = open()
  await first.setUserMark(star('alice', 'app/web'), true)
  await first.setUserMark(star('alice', 'app/web'), true)
  await first.setUserMark(bookmark('alice', 'app/web'), true)
  await first.setUserMark(star('bob', 'app/web'), true)
  await first.setUserMark(star('bob', 'app/db'), true)
  await first.setUserMark(star('bob', 'app/db'), false)
  // Clearing what was never set is harmless.
  await first.setUserMark(bookmark('carol', 'x'), false)
  first.close()
  const second = reopen()
  expect(sorted(await second.userMarks())).toEqual(
    sorted([star('alice', 'app/web'), bookmark('alice', 'app/web'), star('bob', 'app/web')]),
  )
  second.close()
}

describe('SQLite', () => {
  let directory: string
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'zot-marks-'))
  })
  afterAll(() => rm(directory, { recursive: true, force: true }))

  test('marks are set, cleared and kept across a restart', async () => {
    const path = join(directory, '_meta.sqlite')
    await exercise(
      () => openSqliteMetaStore(path),
      () => openSqliteMetaStore(path),
    )
  })
})

describe('bucket', () => {
  const gateway = cephRgwForThisFile()

  const storeOn = (params: Record<string, unknown>) =>
    createBucketMetaStore(createStateStore(createS3Driver(s3OptionsFromZotParams(testS3DriverConfig(params)))), {
      flushIntervalMs: 3_600_000,
    })

  test('marks are set, cleared and seen by another replica', async () => {
    const params = zotS3Params(gateway(), await createTestBucket(gateway(), 'marks'))
    await exercise(
      () => storeOn(params),
      () => storeOn(params),
    )
  })

  test('concurrent marks from two replicas are all kept', async () => {
    const params = zotS3Params(gateway(), await createTestBucket(gateway(), 'marks-race'))
    const [a, b] = [storeOn(params), storeOn(params)]
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).setUserMark(star(`user${i}`, 'app/web'), true)),
    )
    expect((await a.userMarks()).length).toBe(8)
    a.close()
    b.close()
  })
})
