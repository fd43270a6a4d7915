/**
 * @module
 * The blobs an index keeps alive: every manifest it lists, their configs and layers, the children
 * of indexes (recursively) and subjects' digests (a referrer keeps its subject's manifest blob, as
 * in zot). When a manifest cannot be read or parsed its references are unknown, and the answer is
 * marked incomplete: GC then deletes no blob of the repository (fail closed).
 */
import { RegistryError } from '../../errors/registry-error'
import { parseDigest } from '../../oci/digest'
import type { Descriptor } from '../../oci/manifest'
import { MANIFEST_MEDIA_TYPES } from '../../oci/media-types'
import type { ImageIndex } from '../../registry/storage/image-index'
import type { RepositoryMaintenance } from '../../registry/registry'

export interface Reachability {
  blobs: Set<string>
  /** Why the set may be missing something; undefined when it is complete. */
  problem?: string
}

const isMissing = (error: unknown): boolean => error instanceof RegistryError && error.code === 'BLOB_UNKNOWN'

/** Digests of every descriptor-shaped object in a JSON document of a media type GC does not know. */
function descriptorDigests(value: unknown, found: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) descriptorDigests(item, found)
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>
    if (typeof record.digest === 'string' && parseDigest(record.digest)) found.add(record.digest)
    for (const child of Object.values(record)) descriptorDigests(child, found)
  }
}

/**
 * Computes the reachable set of `index` in the repository of `store`. `quarantined` names
 * manifests scrub moved aside: their references are unknown until a re-push, so they make the
 * set incomplete.
 */
export async function reachableBlobs(
  store: RepositoryMaintenance,
  index: ImageIndex,
  quarantined: ReadonlySet<string>,
): Promise<Reachability> {
  const blobs = new Set<string>()
  const visited = new Set<string>()
  let problem: string | undefined

  async function unknownType(descriptor: Descriptor): Promise<void> {
    try {
      const text = new TextDecoder().decode(await store.blobContent(descriptor.digest))
      descriptorDigests(JSON.parse(text), blobs)
    } catch {
      // Not JSON: it references nothing a registry could know about.
    }
  }

  async function mark(descriptor: Descriptor): Promise<void> {
    blobs.add(descriptor.digest)
    if (visited.has(descriptor.digest)) return
    visited.add(descriptor.digest)
    if (!MANIFEST_MEDIA_TYPES.has(descriptor.mediaType)) return unknownType(descriptor)
    try {
      const info = await store.manifestInfo(descriptor)
      for (const blob of info.blobs) blobs.add(blob.digest)
      if (info.subject) blobs.add(info.subject.digest)
      for (const child of info.manifests) await mark(child)
    } catch (error) {
      const { digest } = descriptor
      if (quarantined.has(digest)) problem ??= `manifest ${digest} is quarantined`
      else if (!isMissing(error)) problem ??= `manifest ${digest} cannot be read: ${(error as Error).message}`
    }
  }

  for (const entry of index.manifests) await mark(entry)
  return { blobs, ...(problem !== undefined && { problem }) }
}
