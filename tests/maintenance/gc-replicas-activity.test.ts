/**
 * Touches shared between replicas (lib/maintenance/gc/activity.ts): what one replica answered HEAD,
 * mount or upload for reaches another replica's GC through the storage they share, documents
 * too old to make a blob young are not read, and expired ones are deleted.
 */
import { expect, setDefaultTimeout, test } from 'bun:test'
import { RecentActivity } from '../../lib/maintenance/gc/activity'
import { statePaths } from '../../lib/registry/layout'
import { createStateStore } from '../../lib/registry/storage/state-store'
import { createLocalDriver } from '../../lib/storage/local-driver'
import { tempDirectory } from '../support/temp'

setDefaultTimeout(20_000)
const HOUR = 60 * 60_000
const DIGEST = `sha256:${'a'.repeat(64)}`

async function sharedState() {
  return createStateStore(createLocalDriver({ rootDirectory: await tempDirectory('activity'), commit: false }))
}

test('a touch on one replica is seen by the GC of another after it catches up', async () => {
  const state = await sharedState()
  const a = new RecentActivity()
  const b = new RecentActivity()
  const stops = [a.share(state, HOUR, () => {}), b.share(state, HOUR, () => {})]
  a.touch('app', DIGEST)
  await a.publish()
  expect(b.lastTouched('app', DIGEST)).toBeUndefined()
  await b.catchUp(Date.now() - HOUR)
  expect(b.lastTouched('app', DIGEST)).toBeGreaterThan(Date.now() - 10_000)
  expect(b.lastTouched('other', DIGEST)).toBeUndefined()
  for (const stop of stops) stop()
})

test("documents older than gcDelay are not read; a killed replica's expired ones are deleted by GC", async () => {
  const state = await sharedState()
  const killed = new RecentActivity(() => Date.now() - 3 * HOUR)
  const stopKilled = killed.share(state, HOUR, () => {})
  killed.touch('old', DIGEST)
  await killed.publish()
  stopKilled()
  const writer = new RecentActivity(() => Date.now() - 30 * 60_000)
  const stopWriter = writer.share(state, HOUR, () => {})
  writer.touch('recent', DIGEST)
  await writer.publish()
  stopWriter()
  expect(await state.list(statePaths.gcActivityFolder)).toHaveLength(2)

  const reader = new RecentActivity()
  const stopReader = reader.share(state, HOUR, () => {})
  // gcDelay 10 min: the recent document (30 min old) cannot make anything young.
  await reader.catchUp(Date.now() - 10 * 60_000)
  expect(reader.lastTouched('recent', DIGEST)).toBeUndefined()
  await reader.catchUp(Date.now() - HOUR)
  expect(reader.lastTouched('recent', DIGEST)).toBeDefined()
  expect(reader.lastTouched('old', DIGEST)).toBeUndefined()
  // The 3-hour-old document outlived the hour documents are kept for.
  expect(await state.list(statePaths.gcActivityFolder)).toHaveLength(1)
  stopReader()
})

test('a replica deletes its own documents once they expire', async () => {
  const state = await sharedState()
  let now = Date.now() - 2 * HOUR
  const replica = new RecentActivity(() => now)
  const stop = replica.share(state, HOUR, () => {})
  replica.touch('app', DIGEST)
  await replica.publish()
  expect(await state.list(statePaths.gcActivityFolder)).toHaveLength(1)
  now = Date.now()
  await replica.publish()
  expect(await state.list(statePaths.gcActivityFolder)).toEqual([])
  stop()
})

test('a replica that touched nothing writes nothing', async () => {
  const state = await sharedState()
  const idle = new RecentActivity()
  const stop = idle.share(state, HOUR, () => {})
  await idle.publish()
  expect(await state.list(statePaths.gcActivityFolder)).toEqual([])
  stop()
})
