/**
 * @module
 * Reads a repository for the search index through the registry: index.json, then the metadata of
 * each manifest it lists (and of an index's children): already known from the previous reload,
 * else saved by an earlier start in the metadata store, else read from the manifest and config
 * bytes and saved. Manifests and configs are content-addressed, so a digest's metadata never
 * changes: a push reads only what it added, and a restart reads index.json files, not every
 * manifest again (unless the metadata is missing: a registry migrated from zot, or the bucket
 * store, which saves none).
 */
import type { MetaStore, RepositoryStats } from '../../meta'
import { MAX_MANIFEST_BYTES } from '../../oci/manifest'
import type { Registry } from '../../registry/registry'
import { tagOf } from '../../registry/storage/image-index'
import { manifestMeta, type ManifestMeta } from './manifest-meta'
import { buildRepository, type Repository, type StoredManifest } from './repository'

/** Where the index gets repositories from (storage here; synthetic data in the benchmark). */
export interface RepositorySource {
  /** Every repository name. */
  list(): Promise<string[]>
  /** The repository now, undefined when it no longer exists; `known` holds reusable metadata. */
  load(name: string, known: ReadonlyMap<string, ManifestMeta>): Promise<Repository | undefined>
  /** After every repository was read: forget saved metadata of manifests no repository holds. */
  keep?(digests: ReadonlySet<string>): Promise<void>
}

/** An index's children nest at most this deep (an index of indexes of images). */
const MAX_NESTING = 4
/** Bumped when ManifestMeta changes shape: metadata saved by another version is read again. */
const SAVED_VERSION = 1

const encode = (meta: ManifestMeta): string => JSON.stringify({ version: SAVED_VERSION, meta })

function decode(json: string | undefined): ManifestMeta | undefined {
  if (!json) return undefined
  try {
    const saved = JSON.parse(json) as { version?: number; meta?: ManifestMeta }
    return saved.version === SAVED_VERSION ? saved.meta : undefined
  } catch {
    return undefined
  }
}

/**
 * @param stats a repository's push and pull statistics (the metadata store's)
 * @param saved where manifest metadata is kept between starts (the default store's metadata store)
 */
export function storageSource(
  registry: Registry,
  stats: (repository: string) => Promise<RepositoryStats>,
  saved: MetaStore,
): RepositorySource {
  return {
    list: () => registry.catalog.list(),
    keep: (digests) => saved.keepManifests(digests),
    async load(name, known) {
      const view = registry.maintenance(name)
      const index = await view.index()
      if (!index) return undefined
      const manifests = new Map<string, ManifestMeta>()
      const fresh: [string, string][] = []
      const stored: StoredManifest[] = index.manifests.map((descriptor) => {
        const tag = tagOf(descriptor)
        return { digest: descriptor.digest, mediaType: descriptor.mediaType, ...(tag !== undefined && { tag }) }
      })
      const missing = stored.map((entry) => entry.digest).filter((digest) => !known.has(digest))
      const previously = missing.length > 0 ? await saved.savedManifests(missing) : new Map<string, string>()
      const asked = new Set(missing)

      const fromBytes = async (digest: string, mediaType: string): Promise<ManifestMeta | undefined> => {
        const bytes = await view.blobContent(digest).catch(() => undefined)
        if (!bytes) return undefined
        let found = manifestMeta(digest, mediaType, bytes)
        // A config is small; an artifact may name any blob as its config, and that is not read.
        if (found.configDigest && found.configSize <= MAX_MANIFEST_BYTES) {
          const config = await view.blobContent(found.configDigest).catch(() => undefined)
          found = config ? manifestMeta(digest, mediaType, bytes, config) : { ...found, configMissing: true }
        }
        if (!found.configMissing) fresh.push([digest, encode(found)])
        return found
      }
      const read = async (digest: string, mediaType: string, depth: number): Promise<void> => {
        if (manifests.has(digest)) return
        // An index's children were not in the first lookup: each of them is looked up alone.
        const savedJson = async () =>
          asked.has(digest) ? previously.get(digest) : (await saved.savedManifests([digest])).get(digest)
        let found = known.get(digest) ?? decode(await savedJson())
        if (!found || found.configMissing) found = await fromBytes(digest, mediaType)
        if (!found) return
        manifests.set(digest, found)
        if (depth < MAX_NESTING) {
          for (const child of found.children) await read(child.digest, child.mediaType, depth + 1)
        }
      }
      for (const entry of stored) await read(entry.digest, entry.mediaType, 0)
      if (fresh.length > 0) saved.saveManifests(fresh)
      return buildRepository(name, stored, manifests, await stats(name))
    },
  }
}
