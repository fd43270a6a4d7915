/**
 * `zot_repo_storage_bytes` is right from the start: a server restarted on existing storage
 * measures every repository in the background (readiness does not wait for it), not only those
 * pushed to since it started.
 */
import { afterAll, expect, test } from 'bun:test'
import { startRegistry } from '../support/server'
import { createTestStorage, type TestStorage } from '../support/storage-under-test'
import { pushImage, type PushedImage } from '../sync/support/content'

const storages: TestStorage[] = []
afterAll(() => Promise.all(storages.map((storage) => storage.remove())))

const METRICS = { extensions: { metrics: { enable: true, prometheus: { path: '/metrics' } } } }
/** Blob bytes a repository holds: its manifest, config and layers. */
const storedBytes = (image: PushedImage) => image.bytes.length + image.blobs.reduce((sum, blob) => sum + blob.size, 0)

test('after a restart every repository has its storage bytes, without a push and without delaying readiness', async () => {
  const storage = await createTestStorage({ label: 'metrics-restart' })
  storages.push(storage)
  const first = await startRegistry({ storage, config: METRICS })
  const images: Record<string, PushedImage> = {}
  try {
    images['team/api'] = await pushImage(first, 'team/api', { tag: 'v1', layers: [10_000, 20_000] })
    images['team/web'] = await pushImage(first, 'team/web', { tag: 'v1', layers: [5_000] })
  } finally {
    await first.stop()
  }

  const second = await startRegistry({ storage, config: METRICS })
  try {
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200)
    const expected = Object.entries(images).map(
      ([repository, image]) => `zot_repo_storage_bytes{repo="${repository}"} ${storedBytes(image)}`,
    )
    const deadline = Date.now() + 10_000
    let text = ''
    while (Date.now() < deadline) {
      text = await (await fetch(`${second.url}/metrics`)).text()
      if (expected.every((line) => text.includes(line))) break
      await Bun.sleep(50)
    }
    for (const line of expected) expect(text).toContain(line)
  } finally {
    await second.stop()
  }
}, 60_000)
