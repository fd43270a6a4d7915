/**
 * Replicas on one bucket, each its own `zot serve` process: A with GC off, B with GC on and
 * passes every second. Through A, clients reuse blobs that are orphaned in the repository (HEAD
 * says they exist, so they are not uploaded) and PUT manifests referencing them while B's sweep
 * deletes the orphans. Invariant: every manifest A acknowledged stays complete; a push may be
 * refused (MANIFEST_BLOB_UNKNOWN, or 503 while a sweep holds the blob), nothing else. And B's
 * catalog and GC see a repository created through A.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { digestOf } from '../../lib/oci/digest'
import { MediaType } from '../../lib/oci/media-types'
import {
  createTestBucket,
  dropTestBuckets,
  sharedCephRgw,
  zotS3Params,
  type CephRgw,
} from '../support/counterparts/ceph-rgw'
import { startRegistry, type RunningRegistry } from '../support/server'

setDefaultTimeout(240_000)
const ROUNDS = 3
/** On a loaded machine sweeps may win most races: more rounds until enough pushes were acknowledged. */
const MAX_ROUNDS = 8
const MIN_ACKNOWLEDGED = 10
const ORPHANS_PER_ROUND = 120
const PUSHERS = 6
const GC_DELAY_MS = 2000

let rgw: CephRgw
let a: RunningRegistry
let b: RunningRegistry
beforeAll(async () => {
  rgw = await sharedCephRgw()
  const bucket = await createTestBucket(rgw, 'gc-replicas')
  const storage = (gc: boolean) => ({
    storage: {
      dedupe: false,
      gc,
      gcDelay: `${GC_DELAY_MS}ms`,
      gcInterval: '1s',
      storageDriver: zotS3Params(rgw, bucket),
    },
    log: { level: 'warn' },
  })
  ;[a, b] = await Promise.all([startRegistry({ config: storage(false) }), startRegistry({ config: storage(true) })])
}, 180_000)
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()])
  if (rgw) await dropTestBuckets(rgw)
})

const blobUrl = (registry: RunningRegistry, repository: string, digest: string) =>
  `${registry.url}/v2/${repository}/blobs/${digest}`

async function pushBlob(registry: RunningRegistry, repository: string, data: Uint8Array): Promise<string> {
  const digest = digestOf(data)
  const url = `${registry.url}/v2/${repository}/blobs/uploads/?digest=${digest}`
  const response = await fetch(url, { method: 'POST', body: data })
  if (response.status !== 201) throw new Error(`blob push: ${response.status} ${await response.text()}`)
  return digest
}

function manifestOf(config: { digest: string; size: number }, layer: { digest: string; size: number }): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    }),
  )
}

async function putManifest(registry: RunningRegistry, repository: string, tag: string, body: Uint8Array) {
  return fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    body,
    headers: { 'Content-Type': MediaType.ociManifest },
  })
}

interface Acknowledged {
  tag: string
  blobs: string[]
}

describe('GC on one replica, pushes on another', () => {
  test('no acknowledged image loses a blob to a sweep on another replica', async () => {
    const repository = 'race/app'
    // A tagged anchor keeps the shared config blob referenced.
    const configBytes = new TextEncoder().encode('{"architecture":"amd64","os":"linux"}')
    const config = { digest: await pushBlob(a, repository, configBytes), size: configBytes.length }
    const anchorLayer = crypto.getRandomValues(new Uint8Array(64))
    const anchor = { digest: await pushBlob(a, repository, anchorLayer), size: anchorLayer.length }
    expect((await putManifest(a, repository, 'anchor', manifestOf(config, anchor))).status).toBe(201)

    const acknowledged: Acknowledged[] = []
    const outcomes = new Map<string, number>()
    const count = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1)
    for (let round = 0; round < MAX_ROUNDS && (round < ROUNDS || acknowledged.length < MIN_ACKNOWLEDGED); round++) {
      const orphans: { digest: string; size: number }[] = []
      await Promise.all(
        Array.from({ length: PUSHERS }, async () => {
          while (orphans.length < ORPHANS_PER_ROUND) {
            const data = crypto.getRandomValues(new Uint8Array(100))
            orphans.push({ digest: '', size: data.length })
            orphans[orphans.length - 1]!.digest = await pushBlob(a, repository, data)
          }
        }),
      )
      // Orphans become idle after gcDelay; B's next pass sweeps them while A keeps reusing them.
      await Bun.sleep(GC_DELAY_MS - 300)
      let next = 0
      await Promise.all(
        Array.from({ length: PUSHERS }, async () => {
          while (next < orphans.length) {
            const layer = orphans[next++]!
            const head = await fetch(blobUrl(a, repository, layer.digest), { method: 'HEAD' })
            if (head.status !== 200) {
              count(`HEAD ${head.status}`)
              continue
            }
            const tag = `r${round}-${layer.digest.slice(7, 19)}`
            const response = await putManifest(a, repository, tag, manifestOf(config, layer))
            count(`PUT ${response.status}`)
            if (response.status === 201) acknowledged.push({ tag, blobs: [config.digest, layer.digest] })
            else await response.body?.cancel()
          }
        }),
      )
    }
    // Let B run a few more passes over what is left.
    await Bun.sleep(GC_DELAY_MS + 3000)
    const broken: string[] = []
    for (const image of acknowledged) {
      for (const replica of [a, b]) {
        const manifest = await fetch(`${replica.url}/v2/${repository}/manifests/${image.tag}`, {
          headers: { Accept: MediaType.ociManifest },
        })
        await manifest.body?.cancel()
        if (manifest.status !== 200) broken.push(`${image.tag}: manifest ${manifest.status}`)
        for (const digest of image.blobs) {
          const head = await fetch(blobUrl(replica, repository, digest), { method: 'HEAD' })
          if (head.status !== 200) broken.push(`${image.tag}: blob ${digest} ${head.status}`)
        }
      }
    }
    console.log('outcomes', Object.fromEntries(outcomes), 'acknowledged', acknowledged.length)
    expect(acknowledged.length).toBeGreaterThan(0)
    expect(broken).toEqual([])
    // Nothing but acknowledgements and refusals a client retries.
    for (const what of outcomes.keys()) expect(['HEAD 404', 'PUT 201', 'PUT 400', 'PUT 503']).toContain(what)
  })

  test('a repository created through A is in B\u2019s catalog and B\u2019s GC collects it', async () => {
    const repository = `seen/${crypto.randomUUID().slice(0, 8)}`
    // B has listed the catalog before the repository exists.
    const before = (await (await fetch(`${b.url}/v2/_catalog?n=10000`)).json()) as { repositories: string[] }
    expect(before.repositories).not.toContain(repository)
    const orphan = await pushBlob(a, repository, crypto.getRandomValues(new Uint8Array(50)))
    const deadline = Date.now() + 15_000
    let listed = false
    while (!listed && Date.now() < deadline) {
      const catalog = (await (await fetch(`${b.url}/v2/_catalog?n=10000`)).json()) as { repositories: string[] }
      listed = catalog.repositories.includes(repository)
      if (!listed) await Bun.sleep(250)
    }
    expect(listed).toBe(true)
    // B's GC visits it: the orphan goes after gcDelay, and so does the empty repository.
    let gone = false
    while (!gone && Date.now() < deadline + GC_DELAY_MS) {
      // GET, not HEAD: a HEAD is a touch that keeps the blob young.
      const response = await fetch(blobUrl(a, repository, orphan))
      await response.body?.cancel()
      gone = response.status === 404
      if (!gone) await Bun.sleep(250)
    }
    expect(gone).toBe(true)
  })
})
