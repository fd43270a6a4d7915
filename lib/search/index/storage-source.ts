/**
 * @module
 * Reads a repository for the search index through the registry: index.json, then the bytes of
 * each manifest (and its config) not already known. Manifests and configs are content-addressed,
 * so the metadata of a digest read once is reused by every later reload of the repository: a
 * push reads only what it added.
 */
import type { RepositoryStats } from '../../meta'
import { MAX_MANIFEST_BYTES } from '../../oci/manifest'
import type { Registry } from '../../registry/registry'
import { tagOf } from '../../registry/image-index'
import { manifestMeta, type ManifestMeta } from './manifest-meta'
import { buildRepository, type Repository, type StoredManifest } from './repository'

/** Where the index gets repositories from (storage here; synthetic data in the benchmark). */
export interface RepositorySource {
  /** Every repository name. */
  list(): Promise<string[]>
  /** The repository now, undefined when it no longer exists; `known` holds reusable metadata. */
  load(name: string, known: ReadonlyMap<string, ManifestMeta>): Promise<Repository | undefined>
}

/** An index's children nest at most this deep (an index of indexes of images). */
const MAX_NESTING = 4

/** `stats` gives a repository's push and pull statistics (the metadata store's). */
export function storageSource(
  registry: Registry,
  stats: (repository: string) => Promise<RepositoryStats>,
): RepositorySource {
  return {
    list: () => registry.catalog.list(),
    async load(name, known) {
      const view = registry.maintenance(name)
      const index = await view.index()
      if (!index) return undefined
      const manifests = new Map<string, ManifestMeta>()
      const read = async (digest: string, mediaType: string, depth: number): Promise<void> => {
        if (manifests.has(digest)) return
        let found = known.get(digest)
        if (!found || found.configMissing) {
          const bytes = await view.blobContent(digest).catch(() => undefined)
          if (!bytes) return
          found = manifestMeta(digest, mediaType, bytes)
          // A config is small; an artifact may name any blob as its config, and that is not read.
          if (found.configDigest && found.configSize <= MAX_MANIFEST_BYTES) {
            const config = await view.blobContent(found.configDigest).catch(() => undefined)
            found = config ? manifestMeta(digest, mediaType, bytes, config) : { ...found, configMissing: true }
          }
        }
        manifests.set(digest, found)
        if (depth < MAX_NESTING) {
          for (const child of found.children) await read(child.digest, child.mediaType, depth + 1)
        }
      }
      const stored: StoredManifest[] = []
      for (const descriptor of index.manifests) {
        const tag = tagOf(descriptor)
        stored.push({ digest: descriptor.digest, mediaType: descriptor.mediaType, ...(tag !== undefined && { tag }) })
        await read(descriptor.digest, descriptor.mediaType, 0)
      }
      return buildRepository(name, stored, manifests, await stats(name))
    },
  }
}
