/**
 * GC racing pushes: clients push (monolithic uploads, mounts, HEAD
 * then skip), tag, delete by tag and by digest, and pull, while GC passes run back to back with a
 * gcDelay of a few milliseconds and untagged manifests collected at once. Invariant: a pull of an
 * image whose push was acknowledged and which nobody deleted never fails, blob for blob. A push
 * may be refused with MANIFEST_BLOB_UNKNOWN (GC took an unreferenced blob older than gcDelay), and
 * nothing else. Randomized; the seed is printed with any failure (ZOT_RACE_SEED to replay).
 */
import { expect, test } from 'bun:test'
import { silentLogger } from '../../lib/log/logger'
import { startMaintenance } from '../../lib/maintenance/maintenance'
import { scrubStorage } from '../../lib/maintenance/scrub/scrub'
import { digestOf } from '../../lib/oci/digest'
import { MediaType } from '../../lib/oci/media-types'
import { bytes, putManifest, randomBlob } from '../http/harness'
import { testStorageConfig } from '../support/config'
import { makeMaintenanceHarness, type MaintenanceHarness } from './helpers'

const DURATION_MS = 3000
const LAYER = 'application/vnd.oci.image.layer.v1.tar'
const CLIENTS = 4
const REPOSITORIES = ['r0', 'r1', 'r2/nested']

interface LiveImage {
  repository: string
  tag: string
  digest: string
  manifest: Uint8Array
  blobs: string[]
  pins: number
}

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function generator(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

class Race {
  readonly live: LiveImage[] = []
  readonly failures: string[] = []
  readonly counts = { acknowledged: 0, refused: 0, pulls: 0, deletes: 0, mounts: 0, skipped: 0 }
  private sequence = 0
  /** Layers every image shares, per the run: exercises shared blobs, HEAD-then-skip and dedupe. */
  private readonly base = [randomBlob(3000), randomBlob(5000)]

  constructor(
    private readonly h: MaintenanceHarness,
    private readonly random: () => number,
  ) {}

  private pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[Math.floor(this.random() * items.length)]
  }

  /** Uploads a blob the way a client chooses to: HEAD first (skip if present), mount, or upload. */
  private async provide(repository: string, data: Uint8Array): Promise<string> {
    const digest = digestOf(data)
    const choice = this.random()
    if (
      choice < 0.3 &&
      (await this.h.request(`/v2/${repository}/blobs/${digest}`, { method: 'HEAD' })).status === 200
    ) {
      this.counts.skipped++
      return digest
    }
    const donor = this.live.find((image) => image.repository !== repository && image.blobs.includes(digest))
    if (choice < 0.6 && donor) {
      donor.pins++
      const query = `mount=${digest}&from=${donor.repository}`
      const mount = await this.h.request(`/v2/${repository}/blobs/uploads/?${query}`, { method: 'POST' })
      donor.pins--
      if (mount.status === 201) {
        this.counts.mounts++
        return digest
      }
    }
    const upload = await this.h.request(`/v2/${repository}/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      body: data,
    })
    if (upload.status !== 201) this.failures.push(`blob upload to ${repository} answered ${upload.status}`)
    return digest
  }

  async push(): Promise<void> {
    const repository = this.pick(REPOSITORIES)!
    const layers = [this.pick(this.base)!, randomBlob(1000 + Math.floor(this.random() * 3000))]
    const n = ++this.sequence
    const config = bytes(JSON.stringify({ architecture: 'amd64', os: 'linux', n }))
    const configDigest = await this.provide(repository, config)
    const layerDigests: string[] = []
    for (const layer of layers) layerDigests.push(await this.provide(repository, layer))
    const manifest = bytes(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
        layers: layers.map((layer, i) => ({ mediaType: LAYER, digest: layerDigests[i], size: layer.length })),
      }),
    )
    const tag = `t${n}`
    const response = await putManifest(this.h, repository, tag, manifest)
    if (response.status === 201) {
      this.counts.acknowledged++
      const blobs = [configDigest, ...layerDigests]
      this.live.push({ repository, tag, digest: digestOf(manifest), manifest, blobs, pins: 0 })
      return
    }
    const code = ((await response.json()) as { errors?: { code: string }[] }).errors?.[0]?.code
    if (response.status === 400 && code === 'MANIFEST_BLOB_UNKNOWN') this.counts.refused++
    else this.failures.push(`manifest push ${repository}:${tag} answered ${response.status} ${code}`)
  }

  async remove(): Promise<void> {
    // Picked and withdrawn synchronously: no pull starts on it afterwards, none is under way.
    const candidates = this.live.filter((image) => image.pins === 0)
    const image = this.pick(candidates)
    if (!image) return
    this.live.splice(this.live.indexOf(image), 1)
    const reference = this.random() < 0.5 ? image.tag : image.digest
    const response = await this.h.request(`/v2/${image.repository}/manifests/${reference}`, { method: 'DELETE' })
    if (response.status !== 202)
      this.failures.push(`delete ${image.repository}@${reference} answered ${response.status}`)
    this.counts.deletes++
  }

  async pull(): Promise<void> {
    const image = this.pick(this.live)
    if (!image) return
    image.pins++
    const name = `${image.repository}:${image.tag}`
    try {
      const reference = this.random() < 0.5 ? image.tag : image.digest
      const manifest = await this.h.request(`/v2/${image.repository}/manifests/${reference}`)
      if (manifest.status !== 200) return void this.failures.push(`pull ${name} manifest answered ${manifest.status}`)
      const got = digestOf(new Uint8Array(await manifest.arrayBuffer()))
      if (got !== image.digest) this.failures.push(`pull ${name} got another manifest`)
      for (const blob of image.blobs) {
        const response = await this.h.request(`/v2/${image.repository}/blobs/${blob}`)
        if (response.status !== 200) this.failures.push(`pull ${name} blob ${blob} answered ${response.status}`)
        else if (digestOf(new Uint8Array(await response.arrayBuffer())) !== blob)
          this.failures.push(`pull ${name} blob ${blob} has wrong bytes`)
      }
      this.counts.pulls++
    } finally {
      image.pins--
    }
  }

  async client(deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      const roll = this.random()
      if (roll < 0.4) await this.push()
      else if (roll < 0.55) await this.remove()
      else await this.pull()
    }
  }
}

test('no acknowledged image ever fails to pull while GC runs back to back', async () => {
  const seed = Number(process.env.ZOT_RACE_SEED ?? Date.now() % 2 ** 31)
  const h = await makeMaintenanceHarness({ dedupe: true })
  const race = new Race(h, generator(seed))
  const maintenance = startMaintenance({
    registry: h.registry,
    meta: h.meta,
    logger: silentLogger(),
    options: {
      storage: testStorageConfig({
        rootDirectory: h.rootDirectory,
        gc: false,
        gcDelay: '5ms',
        retention: { delay: '0s' },
      }),
    },
  })
  let passes = 0
  let collecting = true
  const collector = (async () => {
    while (collecting) {
      const report = await maintenance.runGc()
      if (report.errors.length > 0) race.failures.push(`gc: ${JSON.stringify(report.errors)}`)
      passes++
      await Bun.sleep(5)
    }
  })()

  const deadline = Date.now() + DURATION_MS
  await Promise.all(Array.from({ length: CLIENTS }, () => race.client(deadline)))
  collecting = false
  await collector
  // Everything still live after a last pass must pull and scrub clean.
  await maintenance.runGc()
  for (const _image of [...race.live]) await race.pull()
  const scrub = await scrubStorage({ registry: h.registry, logger: silentLogger(), quarantine: false })
  await maintenance.stop()
  h.close()

  const context = `seed ${seed}, ${JSON.stringify({ ...race.counts, passes })}`
  expect(race.failures, context).toEqual([])
  expect(
    scrub.rows.filter((row) => row.status !== 'ok'),
    context,
  ).toEqual([])
  expect(race.counts.acknowledged, context).toBeGreaterThan(20)
  expect(race.counts.pulls, context).toBeGreaterThan(20)
  expect(race.counts.deletes, context).toBeGreaterThan(5)
  expect(passes, context).toBeGreaterThan(3)
}, 30_000)
