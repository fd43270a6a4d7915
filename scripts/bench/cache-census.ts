/**
 * @module
 * What one cache budget pass costs to count the cache (lib/sync/cache/budget/cache-census.ts):
 * a local store with N cached images (one repository each: a config and two small layers,
 * stored as the pull-through cache stores them, origins in the SQLite metadata store) and the
 * time `takeCensus` takes over it, median of the runs. A pass runs at most every 30 s after
 * manifests were cached, and at once when a pull takes the cache past its budget.
 *
 *   bun scripts/bench/cache-census.ts [--images 500] [--runs 5]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createLogger } from '../../lib/log/logger'
import { recordRegistryEvents } from '../../lib/meta'
import { parseManifest } from '../../lib/oci/manifest'
import { openStore } from '../../lib/registry/open-store'
import { takeCensus } from '../../lib/sync/cache/budget/cache-census'
import { testStorageConfig } from '../../tests/support/config'
import { MediaType, manifestBytes, sha256Digest } from '../../tests/support/oci-layout'
import { randomBytes } from '../../tests/sync/support/content'

const { values } = parseArgs({
  options: { images: { type: 'string', default: '500' }, runs: { type: 'string', default: '5' } },
})
const IMAGES = Number(values.images)
const RUNS = Number(values.runs)
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

const root = await mkdtemp(join(tmpdir(), 'zot-bench-census-'))
const store = await openStore(testStorageConfig({ rootDirectory: root }))
const { registry, meta } = store
const stop = recordRegistryEvents(registry.events, meta, createLogger({ level: 'error' }))
try {
  for (let i = 0; i < IMAGES; i++) {
    const repository = `bench/image-${i}`
    const blobs = [new TextEncoder().encode(JSON.stringify({ i })), randomBytes(1024), randomBytes(2048)]
    for (const data of blobs) {
      await registry.putBlob(repository, sha256Digest(data), new Blob([data]).stream(), { origin: 'sync' })
    }
    const [config, ...layers] = blobs.map((data) => ({
      mediaType: MediaType.ociLayerGzip,
      digest: sha256Digest(data),
      size: data.byteLength,
    }))
    const bytes = manifestBytes({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { ...config!, mediaType: MediaType.ociConfig },
      layers,
    })
    const info = parseManifest(bytes, MediaType.ociManifest)
    const descriptor = { mediaType: info.mediaType, digest: sha256Digest(bytes), size: bytes.byteLength }
    await registry.putManifest(repository, 'v1', bytes, { origin: 'sync', descriptor })
  }
  const times: number[] = []
  let counted = { bytes: 0, images: 0 }
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now()
    const census = await takeCensus(registry, () => meta)
    times.push(performance.now() - started)
    counted = { bytes: census.bytes, images: census.images.length }
  }
  console.log(
    `${IMAGES} cached images (${counted.images} counted, ${counted.bytes} bytes): ` +
      `census median ${median(times).toFixed(0)} ms over ${RUNS} runs (${times.map((t) => t.toFixed(0)).join(', ')})`,
  )
} finally {
  stop()
  await store.close()
  await rm(root, { recursive: true, force: true })
}
