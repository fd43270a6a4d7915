/**
 * @module
 * What the pull-through cache holds, counted from storage and the metadata store: every image
 * (manifest digest of a repository's index) that only sync stored, least recently used first,
 * and the bytes of the blobs that only such images reach. A blob a pushed image (or one of
 * unknown origin) reaches is not cache content: it is never evicted, so it is not counted. A
 * digest held by several repositories counts once (with dedupe they share one file; without it
 * this undercounts, see docs/sync.md "Cache size on small disks").
 */
import { lastUse, type CachedImage } from '../../../maintenance/cache-eviction'
import { reachableBlobs } from '../../../maintenance/gc/reachability'
import type { MetaStore } from '../../../meta/meta-store'
import type { Descriptor } from '../../../oci/manifest'
import type { Registry } from '../../../registry/registry'

export interface CacheCensus {
  /** Bytes of the blobs only cached images reach, each digest once. */
  bytes: number
  /** Evictable images, least recently used first. */
  images: CachedImage[]
  /** Size of every digest counted in `bytes`. */
  sizes: Map<string, number>
  /** How many cached images reach each digest counted in `bytes`. */
  users: Map<string, number>
}

interface RepositoryCensus {
  images: CachedImage[]
  pinned: Set<string>
  sizes: Map<string, number>
}

async function countRepository(registry: Registry, meta: MetaStore, repository: string): Promise<RepositoryCensus> {
  const store = registry.maintenance(repository)
  const census: RepositoryCensus = { images: [], pinned: new Set(), sizes: new Map() }
  const index = await store.index()
  if (!index) return census
  const quarantined = new Set((await store.quarantined()).map((file) => file.name))
  const stats = await meta.repositoryStats(repository)
  for (const file of await store.blobs()) census.sizes.set(file.name, file.size)
  const entries = new Map<string, Descriptor>()
  for (const entry of index.manifests) if (!entries.has(entry.digest)) entries.set(entry.digest, entry)
  const subjects = new Map<string, string>()
  for (const [digest, entry] of entries) {
    const reach = await reachableBlobs(store, { schemaVersion: 2, manifests: [entry] }, quarantined)
    const cached = stats.manifests.get(digest)?.origin === 'sync'
    if (!cached || reach.problem !== undefined) {
      for (const blob of reach.blobs) census.pinned.add(blob)
      continue
    }
    const subject = (await store.manifestInfo(entry).catch(() => undefined))?.subject?.digest
    if (subject) subjects.set(digest, subject)
    census.images.push({
      repository,
      digest,
      blobs: reach.blobs,
      referrers: [],
      lastUsed: lastUse(stats, [digest, ...reach.blobs]),
    })
  }
  for (const image of census.images) {
    image.referrers = [...subjects].filter(([, subject]) => subject === image.digest).map(([digest]) => digest)
  }
  return census
}

/**
 * Counts the cache across every repository of `registry`; `metaFor` names the metadata store of
 * a repository's store. Stops early (with what it counted) once `signal` aborts.
 */
export async function takeCensus(
  registry: Registry,
  metaFor: (repository: string) => MetaStore,
  signal?: AbortSignal,
): Promise<CacheCensus> {
  const images: CachedImage[] = []
  const pinned = new Set<string>()
  const sizes = new Map<string, number>()
  for (const repository of await registry.catalog.list()) {
    if (signal?.aborted) break
    const counted = await countRepository(registry, metaFor(repository), repository)
    images.push(...counted.images)
    for (const digest of counted.pinned) pinned.add(digest)
    for (const [digest, size] of counted.sizes) sizes.set(digest, size)
  }
  const users = new Map<string, number>()
  for (const image of images) {
    for (const digest of image.blobs) {
      if (pinned.has(digest) || !sizes.has(digest)) continue
      users.set(digest, (users.get(digest) ?? 0) + 1)
    }
  }
  let bytes = 0
  for (const digest of users.keys()) bytes += sizes.get(digest)!
  images.sort((a, b) => a.lastUsed - b.lastUsed)
  return { bytes, images, sizes, users }
}
