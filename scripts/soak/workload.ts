/**
 * @module
 * The soak's clients: pushes (new layers, shared base layers and orphans reused after a HEAD, as
 * a client skips what a registry says it has), pulls verified byte for byte, deletes by digest
 * (leaving orphans for GC), throwaway repositories, all spread over whichever replicas are up.
 * Every acknowledged push is remembered until deleted; `verifyAll` checks each one at the end.
 */
import { digestOf } from '../../lib/oci/digest'
import { MediaType } from '../../lib/oci/media-types'

export interface Endpoint {
  name: string
  /** The replica's URL, or undefined while it is down. */
  url(): string | undefined
}

interface Blob {
  digest: string
  size: number
  /** Kept for re-uploads when a registry says it lacks the blob. */
  data: Uint8Array
}

interface Image {
  repository: string
  tag: string
  digest: string
  blobs: Blob[]
  /** Set before the delete is sent: pulls no longer expect it. */
  deleting: boolean
}

export interface Counters {
  [operation: string]: number
}

const LAYER = 'application/vnd.oci.image.layer.v1.tar'
const REPOSITORIES = ['soak/app', 'soak/lib', 'soak/team/tool', 'soak/base']
/** Tags and statuses worth keeping apart in the counts. */
const OUTCOME_LIMIT = 40

const randomBytes = (size: number): Uint8Array => {
  const data = new Uint8Array(size)
  for (let offset = 0; offset < size; offset += 65536)
    crypto.getRandomValues(data.subarray(offset, Math.min(size, offset + 65536)))
  return data
}
const newBlob = (size: number): Blob => {
  const data = randomBytes(size)
  return { digest: digestOf(data), size, data }
}
const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(Math.random() * items.length)]

export class Workload {
  readonly counts: Counters = {}
  /** Acknowledged images that failed a pull or the final check: the one number that must be 0. */
  readonly lost: string[] = []
  /** Images whose DELETE got no answer: it may or may not have happened, so they are not checked. */
  readonly withdrawn: string[] = []
  readonly live: Image[] = []
  /** Blobs of deleted images: orphans GC may be sweeping when a push reuses them. */
  private orphans: { repository: string; blob: Blob }[] = []
  private readonly base = [newBlob(20_000), newBlob(40_000)]
  private sequence = 0

  constructor(private readonly endpoints: Endpoint[]) {}

  count(what: string): void {
    if (Object.keys(this.counts).length >= OUTCOME_LIMIT && !(what in this.counts)) what = 'other'
    this.counts[what] = (this.counts[what] ?? 0) + 1
  }

  /** A request to a random replica that is up; undefined when none answered (killed meanwhile). */
  private async request(path: string, init?: RequestInit): Promise<Response | undefined> {
    const up = this.endpoints.filter((endpoint) => endpoint.url() !== undefined)
    const endpoint = pick(up)
    const url = endpoint?.url()
    if (!url) {
      this.count('no replica up')
      return undefined
    }
    try {
      return await fetch(`${url}${path}`, { ...init, signal: AbortSignal.timeout(60_000) })
    } catch {
      this.count('connection failed (replica killed)')
      return undefined
    }
  }

  /** One random operation. */
  async step(): Promise<void> {
    const roll = Math.random()
    if (roll < 0.4) await this.push()
    else if (roll < 0.75) await this.pullOne()
    else if (roll < 0.9) await this.deleteOne()
    else await this.throwaway()
  }

  /** Makes the blob present in the repository as a client would: HEAD, upload if missing. */
  private async provide(repository: string, blob: Blob): Promise<boolean> {
    const head = await this.request(`/v2/${repository}/blobs/${blob.digest}`, { method: 'HEAD' })
    if (!head) return false
    if (head.status === 200) {
      this.count('blob skipped after HEAD')
      return true
    }
    const upload = await this.request(`/v2/${repository}/blobs/uploads/?digest=${blob.digest}`, {
      method: 'POST',
      body: blob.data,
    })
    if (!upload) return false
    await upload.body?.cancel()
    this.count(`blob upload ${upload.status}`)
    return upload.status === 201
  }

  private async push(repository = pick(REPOSITORIES)!): Promise<Image | undefined> {
    const config = newBlob(200 + Math.floor(Math.random() * 300))
    const layers: Blob[] = [newBlob(1000 + Math.floor(Math.random() * (Math.random() < 0.05 ? 2_000_000 : 30_000)))]
    if (Math.random() < 0.5) layers.push(pick(this.base)!)
    const orphan = pick(this.orphans.filter((entry) => entry.repository === repository))
    if (orphan && Math.random() < 0.7) layers.push(orphan.blob)
    for (const blob of [config, ...layers]) if (!(await this.provide(repository, blob))) return undefined
    const manifest = new TextEncoder().encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
        layers: layers.map((layer) => ({ mediaType: LAYER, digest: layer.digest, size: layer.size })),
      }),
    )
    const tag = `t${++this.sequence}`
    const response = await this.request(`/v2/${repository}/manifests/${tag}`, {
      method: 'PUT',
      body: manifest,
      headers: { 'Content-Type': MediaType.ociManifest },
    })
    if (!response) return undefined
    await response.body?.cancel()
    this.count(`manifest PUT ${response.status}`)
    if (response.status !== 201) return undefined
    const image = { repository, tag, digest: digestOf(manifest), blobs: [config, ...layers], deleting: false }
    this.live.push(image)
    return image
  }

  private async pullOne(): Promise<void> {
    const image = pick(this.live.filter((candidate) => !candidate.deleting))
    if (!image) return
    const problem = await this.check(image, (path) => this.request(path))
    if (problem === 'unreachable') return
    this.count(problem ? 'pull failed' : 'pull verified')
    if (problem && !image.deleting) this.lost.push(`${image.repository}:${image.tag} ${problem}`)
  }

  /**
   * Pulls the image through `fetcher`: manifest by tag (its digest), then every blob, hashed.
   * Returns what was wrong, 'unreachable' when the replica did not answer, or undefined.
   */
  async check(image: Image, fetcher: (path: string) => Promise<Response | undefined>): Promise<string | undefined> {
    const manifest = await fetcher(`/v2/${image.repository}/manifests/${image.tag}`)
    if (manifest?.status !== 200) await manifest?.body?.cancel()
    if (!manifest || manifest.status === 503) return 'unreachable'
    if (manifest.status !== 200) return `manifest ${manifest.status}`
    const body = new Uint8Array(await manifest.arrayBuffer())
    if (digestOf(body) !== image.digest) return `manifest digest ${digestOf(body)}`
    for (const blob of image.blobs) {
      const response = await fetcher(`/v2/${image.repository}/blobs/${blob.digest}`)
      if (response?.status !== 200) await response?.body?.cancel()
      if (!response || response.status === 503) return 'unreachable'
      if (response.status !== 200) return `blob ${blob.digest} ${response.status}`
      const got = digestOf(new Uint8Array(await response.arrayBuffer()))
      if (got !== blob.digest) return `blob ${blob.digest} has ${got}`
    }
    return undefined
  }

  private async deleteOne(image = pick(this.live.filter((candidate) => !candidate.deleting))): Promise<void> {
    if (!image) return
    image.deleting = true
    const response = await this.request(`/v2/${image.repository}/manifests/${image.digest}`, { method: 'DELETE' })
    await response?.body?.cancel()
    this.count(`manifest DELETE ${response?.status ?? 'unreachable'}`)
    if (response && response.status !== 202) {
      // Refused (503 while a sweep holds it): still expected. A 404 is an acknowledged image gone.
      if (response.status === 404) this.lost.push(`${image.repository}:${image.tag} DELETE answered 404`)
      image.deleting = false
      return
    }
    this.live.splice(this.live.indexOf(image), 1)
    if (!response) {
      this.withdrawn.push(`${image.repository}:${image.tag}: no answer to DELETE (replica killed)`)
      return
    }
    for (const blob of image.blobs) this.orphans.push({ repository: image.repository, blob })
    if (this.orphans.length > 500) this.orphans = this.orphans.slice(-500)
  }

  /** A repository of its own, emptied at once: GC removes it, the catalog must follow. */
  private async throwaway(): Promise<void> {
    const image = await this.push(`soak/tmp/${crypto.randomUUID().slice(0, 8)}`)
    if (image) await this.deleteOne(image)
  }

  /** Every acknowledged, undeleted image, through every replica; returns how many were checked. */
  async verifyAll(): Promise<number> {
    let checked = 0
    for (const image of this.live) {
      for (const endpoint of this.endpoints) {
        const url = endpoint.url()
        if (!url) continue
        const problem = await this.check(image, (path) => fetch(`${url}${path}`).catch(() => undefined))
        if (problem) this.lost.push(`final check on ${endpoint.name}: ${image.repository}:${image.tag} ${problem}`)
      }
      checked++
    }
    return checked
  }
}
