/**
 * @module
 * "Killing the process (SIGKILL) at any moment during pushes leaves every committed image
 * pullable and no half blob visible" (issue 2). Each round: concurrent pushers upload random
 * images in chunks, the server is SIGKILLed at a random moment, and the restarted server on the
 * same storage must serve every image it had acknowledged with 201, byte for byte; on our server
 * the storage (directory or bucket) must also be a clean zot layout (blobs hash to their names,
 * index.json parses and points at blobs that exist).
 */
import { expect, test } from 'bun:test'
import { randomInt } from 'node:crypto'
import { checkLayoutIntegrity } from '../support/images/layout-integrity'
import { sha256Digest } from '../support/oci-layout'
import { pushUntilStopped, type AcknowledgedImage } from '../support/images/pusher'
import { fetchBlob, fetchManifest } from '../support/registry-api'
import { againstReference, startTarget, type RunningRegistry } from '../support/server'
import { createTestStorage, onS3, storageKind } from '../support/storage-under-test'

const ROUNDS = 5
const MiB = 1024 * 1024
const REPOSITORIES = ['crash/shared', 'crash/other']
/**
 * Large layers keep the kill likely to land mid-upload; one pusher of tiny layers makes manifest
 * and index.json writes frequent enough that the kill lands in those too.
 */
const PUSHER_LAYER_SIZES = [
  { minLayerBytes: 1 * MiB, maxLayerBytes: 8 * MiB },
  { minLayerBytes: 1 * MiB, maxLayerBytes: 8 * MiB },
  { minLayerBytes: 1 * MiB, maxLayerBytes: 8 * MiB },
  { minLayerBytes: 1, maxLayerBytes: 16 * 1024 },
]
/**
 * When the kill lands, measured from the start of the pushes. Every request costs S3 round trips
 * (a tiny image takes about a second on a loaded RGW): later kills still leave pushes mid-way
 * there, and the earliest ones would land before any image can be acknowledged.
 */
const KILL_AFTER_MS = onS3 ? { min: 1_500, max: 5_000 } : { min: 200, max: 1_500 }

test(`SIGKILL during pushes, ${ROUNDS} rounds: every acknowledged image survives intact`, async () => {
  // docker-registry, the reference, runs on local disk only.
  const kind = againstReference ? 'local' : storageKind()
  const storage = await createTestStorage({ label: 'e2e-crash', kind })
  const acknowledged: AcknowledgedImage[] = []
  const verifiedBlobs = new Set<string>()
  let registry = await startTarget({ storage })
  let killedServerLogs = ''
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const verifiedBefore = acknowledged.length
      await pushAndKill(registry, round, acknowledged)
      killedServerLogs = registry.logs()
      await registry.stop()
      registry = await startTarget({ storage })
      await expectAllServed(registry, acknowledged, verifiedBefore)
      if (registry.kind === 'zot') {
        const report = await checkLayoutIntegrity(storage, verifiedBlobs)
        expect(report.problems).toEqual([])
        expect(report.repositories.length).toBeGreaterThan(0)
      }
    }
    // Otherwise the kills all landed before any push completed and nothing was tested.
    expect(acknowledged.length).toBeGreaterThanOrEqual(ROUNDS)
  } catch (error) {
    const tail = (logs: string) => logs.split('\n').slice(-30).join('\n')
    throw new Error(
      `${String(error)}\n--- killed server, last output ---\n${tail(killedServerLogs)}` +
        `\n--- current server, last output ---\n${tail(registry.logs())}`,
    )
  } finally {
    await registry.stop()
    await storage.remove()
  }
}, 180_000)

async function pushAndKill(registry: RunningRegistry, round: number, acknowledged: AcknowledgedImage[]): Promise<void> {
  const stop = { requested: false }
  const pushers = PUSHER_LAYER_SIZES.map((layerSizes, pusher) =>
    pushUntilStopped({
      baseUrl: registry.url,
      repositories: REPOSITORIES,
      tagPrefix: `round${round}-pusher${pusher}`,
      ...layerSizes,
      chunkBytes: randomInt(256 * 1024, 2 * MiB),
      stop,
      acknowledged,
    }),
  )
  // A pusher failing while the server is meant to be up is a server bug: report it, not the kill.
  const firstFailure = Promise.all(pushers).then(() => undefined)
  await Promise.race([Bun.sleep(randomInt(KILL_AFTER_MS.min, KILL_AFTER_MS.max)), firstFailure])
  stop.requested = true
  registry.kill('SIGKILL')
  await registry.exited
  await Promise.all(pushers)
}

/**
 * Every acknowledged manifest is served with its digest; images from this round are read in full,
 * older ones (already read in full after an earlier restart) only checked by HEAD to keep time flat.
 */
async function expectAllServed(
  registry: RunningRegistry,
  acknowledged: AcknowledgedImage[],
  firstNew: number,
): Promise<void> {
  for (const [position, image] of acknowledged.entries()) {
    const manifest = await fetchManifest(registry.url, image.repository, image.tag)
    expect({
      image: `${image.repository}:${image.tag}`,
      status: manifest.status,
      digest: sha256Digest(manifest.bytes),
    }).toEqual({
      image: `${image.repository}:${image.tag}`,
      status: 200,
      digest: image.manifestDigest,
    })
    for (const blob of image.blobs) {
      if (position >= firstNew) {
        expect(sha256Digest(await fetchBlob(registry.url, image.repository, blob.digest))).toBe(blob.digest)
      } else {
        const head = await fetch(`${registry.url}/v2/${image.repository}/blobs/${blob.digest}`, {
          method: 'HEAD',
        })
        expect([head.status, head.headers.get('content-length')]).toEqual([200, String(blob.size)])
      }
    }
  }
}
