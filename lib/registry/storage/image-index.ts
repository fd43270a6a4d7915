/**
 * @module
 * Pure operations on a repository's `index.json`: the list of its manifests, where a tag is a
 * descriptor annotated with `org.opencontainers.image.ref.name`. Every function returns a new
 * index and leaves its input untouched, so a failed write never corrupts the cached copy.
 */
import type { Descriptor } from '../../oci/manifest'
import { MediaType } from '../../oci/media-types'
import { TAG_ANNOTATION } from '../layout'

export interface ImageIndex {
  schemaVersion: 2
  mediaType?: string
  manifests: Descriptor[]
  annotations?: Record<string, string>
}

export const emptyIndex = (): ImageIndex => ({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] })

/** Parses index.json as zot and other OCI tools write it (zot may write `"manifests": null`). */
export function parseImageIndex(bytes: Uint8Array): ImageIndex {
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as Partial<ImageIndex> | null
  if (typeof parsed !== 'object' || parsed === null) throw new Error('index.json is not a JSON object')
  return { ...parsed, schemaVersion: 2, manifests: Array.isArray(parsed.manifests) ? parsed.manifests : [] }
}

export const serializeImageIndex = (index: ImageIndex): string => JSON.stringify(index)

export const tagOf = (descriptor: Descriptor): string | undefined => descriptor.annotations?.[TAG_ANNOTATION]

export function findTag(index: ImageIndex, tag: string): Descriptor | undefined {
  return index.manifests.find((descriptor) => tagOf(descriptor) === tag)
}

export function findDigest(index: ImageIndex, digest: string): Descriptor | undefined {
  return index.manifests.find((descriptor) => descriptor.digest === digest)
}

/** Sorted, unique tag names. */
export function listTags(index: ImageIndex): string[] {
  const tags = new Set<string>()
  for (const descriptor of index.manifests) {
    const tag = tagOf(descriptor)
    if (tag !== undefined) tags.add(tag)
  }
  return [...tags].sort()
}

function withoutTag(descriptor: Descriptor): Descriptor {
  const { [TAG_ANNOTATION]: _removed, ...rest } = descriptor.annotations ?? {}
  const { annotations: _old, ...plain } = descriptor
  return Object.keys(rest).length > 0 ? { ...plain, annotations: rest } : plain
}

/**
 * Records a manifest, untagged (`tag` undefined) or under a tag. A tag moves: the manifest it
 * pointed to stays listed untagged (clients pinned to its digest keep working until GC's untagged
 * rule reclaims it). An untagged entry of the same digest is folded into the tagged one. Returns
 * undefined when the index already says exactly this (so no write is needed).
 */
export function putManifestEntry(
  index: ImageIndex,
  manifest: Descriptor,
  tag: string | undefined,
): ImageIndex | undefined {
  const plain = withoutTag(manifest)
  if (tag === undefined) {
    if (findDigest(index, manifest.digest)) return undefined
    return { ...index, manifests: [...index.manifests, plain] }
  }
  const current = findTag(index, tag)
  if (current?.digest === manifest.digest && current.mediaType === manifest.mediaType) return undefined
  const base = current ? removeTag(index, tag)! : index
  const kept = base.manifests.filter((entry) => !(entry.digest === manifest.digest && tagOf(entry) === undefined))
  const tagged: Descriptor = { ...plain, annotations: { ...plain.annotations, [TAG_ANNOTATION]: tag } }
  return { ...base, manifests: [...kept, tagged] }
}

/**
 * Removes a tag only (zot's DELETE by tag): the manifest stays as an untagged entry unless another
 * entry already records its digest. Returns undefined when the tag does not exist.
 */
export function removeTag(index: ImageIndex, tag: string): ImageIndex | undefined {
  const current = findTag(index, tag)
  if (!current) return undefined
  const others = index.manifests.filter((entry) => entry !== current)
  const stillListed = others.some((entry) => entry.digest === current.digest)
  return { ...index, manifests: stillListed ? others : [...others, withoutTag(current)] }
}

/** Removes every entry (tagged or not) of a digest. Returns undefined when there is none. */
export function removeDigest(index: ImageIndex, digest: string): ImageIndex | undefined {
  const kept = index.manifests.filter((entry) => entry.digest !== digest)
  return kept.length === index.manifests.length ? undefined : { ...index, manifests: kept }
}
