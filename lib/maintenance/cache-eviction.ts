/**
 * @module
 * Evicting one pull-through cached image from a repository, online, with GC's locking discipline
 * (gc.ts): the index entries go in one update under the repository's lock (the lock manifest
 * pushes take), then, under the lock again, each blob of the image is deleted only if the
 * repository's current index no longer reaches it. So a blob another image of the repository
 * uses is never deleted, and a push or a cache fill that records a manifest meanwhile either
 * keeps its blobs or finds them gone and fetches them again.
 *
 * Only an image whose manifest the metadata store records as stored by sync alone (origin
 * `sync`) is evicted: a client push of the same manifest makes it pushed for good, and a manifest
 * of unknown origin (recorded before origins were) stays. The image is re-checked under the
 * lock: pulled since it was chosen, it stays. Referrers the cache stored for it (signatures,
 * SBOMs) go with it. A blob touched recently (an upload, a mount, a HEAD: a client about to
 * rely on it) is spared, as GC spares it; GC removes it later if nothing uses it. A client that
 * had the manifest before the eviction may still be reading the blobs: storage hands out lazy
 * files that the response opens later, so the deletion waits until the image's blobs were last
 * read `readGraceMs` ago and spares one read meanwhile. An emptied repository is left for GC. On storage
 * shared by replicas (S3) the blobs are claimed in index.json before they are deleted, as GC
 * claims them; touches on other replicas are not read (GC's wait for them would stall a pull),
 * which only means such a client uploads the blob again.
 */
import { RegistryError } from '../errors/registry-error'
import type { MetaStore, RepositoryStats } from '../meta/meta-store'
import type { ImageIndex } from '../registry/storage/image-index'
import type { Registry, RepositoryMaintenance } from '../registry/registry'
import type { RecentActivity } from './gc/activity'
import { reachableBlobs } from './gc/reachability'

/** How long a claim on shared storage lets an eviction delete (an image's few blobs). */
const CLAIM_LEASE_MS = 30_000

/** An image the cache holds: one manifest digest of a repository's index, with its tags. */
export interface CachedImage {
  repository: string
  digest: string
  /** Everything the image reaches: its manifest, children of an index, configs, layers. */
  blobs: ReadonlySet<string>
  /** Cached referrers (untagged entries whose subject is this image), evicted with it. */
  referrers: readonly string[]
  /** The last pull (or the caching) of the image or of any manifest it reaches, ms. */
  lastUsed: number
}

export interface EvictionContext {
  registry: Registry
  /** The metadata store of the repository's store: origins, pull times, forgotten entries. */
  meta: MetaStore
  /** Blob touches; one within `touchGraceMs` is spared. */
  activity?: RecentActivity
  touchGraceMs: number
  /**
   * Reads of the image's blobs and manifests from storage, marked before the file is opened:
   * storage hands out lazy files that the response opens later, so a blob read within
   * `readGraceMs` is waited for (once, up to that long), and spared if read again meanwhile.
   */
  reads?: RecentActivity
  readGraceMs?: number
  clock?: () => number
}

export interface Eviction {
  /** False when the image was pulled, pushed or changed since it was chosen (nothing done). */
  evicted: boolean
  /** Blobs deleted, with their sizes. */
  deleted: Map<string, number>
}

/** When the image (or anything it reaches) was last pulled or stored, by the metadata store. */
export function lastUse(stats: RepositoryStats, digests: Iterable<string>): number {
  let last = 0
  for (const digest of digests) {
    const manifest = stats.manifests.get(digest)
    last = Math.max(last, manifest?.pulledAt ?? 0, manifest?.pushedAt ?? 0)
  }
  return last
}

const isCached = (stats: RepositoryStats, digest: string): boolean => stats.manifests.get(digest)?.origin === 'sync'

/** Removes the image's entries (and its cached referrers') from the index; the digests removed. */
async function removeEntries(context: EvictionContext, image: CachedImage): Promise<Set<string>> {
  const store = context.registry.maintenance(image.repository)
  const removed = new Set<string>()
  const mutate = async (index: ImageIndex): Promise<ImageIndex | undefined> => {
    removed.clear()
    const stats = await context.meta.repositoryStats(image.repository)
    if (!isCached(stats, image.digest)) return undefined
    if (lastUse(stats, [image.digest, ...image.blobs]) > image.lastUsed) return undefined
    const doomed = new Set([image.digest, ...image.referrers.filter((digest) => isCached(stats, digest))])
    const kept = index.manifests.filter((entry) => !doomed.has(entry.digest))
    if (kept.length === index.manifests.length) return undefined
    for (const entry of index.manifests) if (doomed.has(entry.digest)) removed.add(entry.digest)
    return { ...index, manifests: kept }
  }
  try {
    await store.updateIndex(mutate)
  } catch (error) {
    if (error instanceof RegistryError && error.code === 'NAME_UNKNOWN') return new Set()
    throw error
  }
  return removed
}

/**
 * Evicts `image` (chosen from a snapshot) if it is still cached and unused since: its index
 * entries, then every blob of it that the repository's current index does not reach.
 */
export async function evictCachedImage(context: EvictionContext, image: CachedImage): Promise<Eviction> {
  const { registry, meta, activity, touchGraceMs } = context
  const clock = context.clock ?? Date.now
  const store = registry.maintenance(image.repository)
  const deleted = new Map<string, number>()
  const removed = await removeEntries(context, image)
  if (removed.size === 0) return { evicted: false, deleted }
  for (const digest of removed) meta.forgetManifest(image.repository, digest)
  const quarantined = new Set((await store.quarantined()).map((file) => file.name))
  const candidates = [...new Set([...image.blobs, ...removed])]
  const live = async (index: ImageIndex | undefined): Promise<ReadonlySet<string> | undefined> => {
    if (!index) return new Set()
    const reach = await reachableBlobs(store, index, quarantined)
    // A manifest that cannot be read leaves the references unknown: delete nothing (GC's rule).
    return reach.problem === undefined ? reach.blobs : undefined
  }
  const { reads, readGraceMs = 0 } = context
  const lastRead = (digest: string): number => reads?.lastTouched(image.repository, digest) ?? 0
  const spared = (digest: string): boolean => {
    const touched = activity?.lastTouched(image.repository, digest)
    return (touched !== undefined && clock() - touched < touchGraceMs) || clock() - lastRead(digest) < readGraceMs
  }
  // Unlisted now, so no new pull finds the image; reads that began before have this long to open.
  const wait = Math.max(0, ...candidates.map(lastRead)) + readGraceMs - clock()
  if (wait > 0) await Bun.sleep(Math.min(wait, readGraceMs))
  const remove = async (digest: string): Promise<void> => {
    const file = await store.blob(digest)
    if (!file || spared(digest)) return
    await store.deleteBlob(digest)
    deleted.set(digest, file.size)
  }
  if (store.shared) await deleteClaimed(store, candidates, live, remove)
  else {
    await store.locked(async () => {
      const keep = await live(await store.index())
      if (keep) for (const digest of candidates) if (!keep.has(digest)) await remove(digest)
    })
  }
  // A repository left empty stays for GC to remove: removing its directories here would race a
  // fill renaming a blob into them (a pull of another image of it), which takes no lock.
  return { evicted: true, deleted }
}

/**
 * Replicas on one bucket take no lock of each other's: the blobs are claimed in index.json first,
 * as GC claims them (sweep-claims.ts), and deleted while the claim's lease lasts. A push on
 * another replica relying on one waits for the release, then finds it or answers
 * MANIFEST_BLOB_UNKNOWN; no acknowledged manifest loses a blob.
 */
async function deleteClaimed(
  store: RepositoryMaintenance,
  candidates: readonly string[],
  live: (index: ImageIndex) => Promise<ReadonlySet<string> | undefined>,
  remove: (digest: string) => Promise<void>,
): Promise<void> {
  const claim = await store.claimBlobs(candidates, live, CLAIM_LEASE_MS)
  if (!claim) return
  try {
    for (const digest of claim.blobs) {
      // The lease is counted on the wall clock, as pushes on other replicas count it.
      if (Date.now() >= claim.until) break
      await remove(digest)
    }
  } finally {
    await store.releaseClaim(claim)
  }
}
