/**
 * @module
 * One repository as search sees it: its tags (signature tags excluded, as zot does), the
 * metadata of every manifest it holds, its signatures and referrers, the push and pull
 * statistics of the metadata store, and the figures zot's `RepoSummary` shows (size, platforms,
 * vendors, newest image, downloads), computed once per change rather than per query.
 */
import type { ManifestStats, RepositoryStats } from '../../meta'
import { imageAnnotations, type ImageAnnotations } from './annotations'
import type { ManifestMeta, PlatformMeta } from './manifest-meta'
import { COSIGN_SIGNATURE_TAG, signatureTool, type SignatureTool } from '../../oci/signatures'

export type { SignatureTool }

export interface Signature {
  tool: SignatureTool
  /** The signature manifest. */
  digest: string
}

export interface Referrer {
  digest: string
  mediaType: string
  artifactType: string
  size: number
  annotations: Record<string, string>
}

/** A tagged image, with what filters and sorts need precomputed. */
export interface TaggedImage {
  repository: string
  tag: string
  digest: string
  meta: ManifestMeta
  /** The image itself, or an index's children (those the repository holds). */
  manifests: ManifestMeta[]
  /** Milliseconds; 0 when unknown (zot's zero time). */
  lastUpdated: number
  /** Manifest, config and layers, each blob counted once (zot's sum). */
  size: number
  platforms: PlatformMeta[]
  annotations: ImageAnnotations
}

export interface Repository {
  name: string
  /** By tag, sorted by tag. */
  images: TaggedImage[]
  tags: Map<string, TaggedImage>
  manifests: Map<string, ManifestMeta>
  signatures: Map<string, Signature[]>
  referrers: Map<string, Referrer[]>
  /** Kept current by pull events between reloads. */
  stats: RepositoryStats
  size: number
  platforms: PlatformMeta[]
  vendors: string[]
  /** The image with the latest LastUpdated (zot's "newest", not `latest`). */
  newest: TaggedImage | undefined
  /** The newest image's time, or a later tag push (zot's repo LastUpdated). */
  lastUpdated: number
  downloads: number
  /** Some manifest's config could not be read yet (see ManifestMeta.configMissing). */
  incomplete: boolean
}

/** A manifest listed in index.json, with its tag if any. */
export interface StoredManifest {
  digest: string
  mediaType: string
  tag?: string
}

export const EMPTY_STATS: ManifestStats = { pullCount: 0 }

const time = (value: string | undefined): number => {
  const parsed = value ? Date.parse(value) : Number.NaN
  return Number.isNaN(parsed) ? 0 : parsed
}

function imageSize(manifests: ManifestMeta[], index?: ManifestMeta): number {
  const blobs = new Map<string, number>()
  if (index) blobs.set(index.digest, index.size)
  for (const manifest of manifests) {
    blobs.set(manifest.digest, manifest.size)
    if (manifest.configDigest) blobs.set(manifest.configDigest, manifest.configSize)
    for (const layer of manifest.layers) blobs.set(layer.digest, layer.size)
  }
  let total = 0
  for (const size of blobs.values()) total += size
  return total
}

/** The platform of a manifest, from its config, else from the index that lists it. */
function platformIn(manifest: ManifestMeta, index: ManifestMeta | undefined): PlatformMeta {
  if (manifest.platform.os || manifest.platform.arch) return manifest.platform
  return index?.children.find((child) => child.digest === manifest.digest)?.platform ?? manifest.platform
}

function taggedImage(
  repository: string,
  tag: string,
  meta: ManifestMeta,
  manifests: Map<string, ManifestMeta>,
): TaggedImage {
  if (meta.kind === 'image') {
    const annotations = imageAnnotations(meta.annotations, meta.labels)
    const authors = annotations.authors || meta.author
    return {
      repository,
      tag,
      digest: meta.digest,
      meta,
      manifests: [meta],
      lastUpdated: time(annotations.created ?? meta.created),
      size: imageSize([meta]),
      platforms: meta.platform.os || meta.platform.arch ? [meta.platform] : [],
      annotations: { ...annotations, authors },
    }
  }
  const children = meta.children.flatMap((child) => {
    const found = manifests.get(child.digest)
    return found?.kind === 'image' ? [found] : []
  })
  const first = children[0]
  const fallback = first ? imageAnnotations(first.annotations, first.labels) : imageAnnotations({})
  const own = imageAnnotations(meta.annotations)
  // zot's GetIndexAnnotations: the index's own annotations first, the first manifest's next.
  const annotations: ImageAnnotations = {
    ...fallback,
    ...Object.fromEntries(Object.entries(own).filter(([, value]) => value !== '' && value !== undefined)),
  }
  const childTimes = children.map((child) => {
    const childAnnotations = imageAnnotations(child.annotations, child.labels)
    return time(childAnnotations.created ?? child.created)
  })
  return {
    repository,
    tag,
    digest: meta.digest,
    meta,
    manifests: children,
    lastUpdated: own.created ? time(own.created) : Math.max(0, ...childTimes),
    size: imageSize(children, meta),
    platforms: children.map((child) => platformIn(child, meta)).filter((platform) => platform.os || platform.arch),
    annotations,
  }
}

function uniquePlatforms(images: TaggedImage[]): PlatformMeta[] {
  const seen = new Map<string, PlatformMeta>()
  for (const image of images)
    for (const platform of image.platforms) seen.set(`${platform.os}\0${platform.arch}`, platform)
  return [...seen.values()]
}

/**
 * Builds the repository from its index.json entries, the metadata of its manifests (children of
 * indexes included) and its statistics.
 */
export function buildRepository(
  name: string,
  stored: readonly StoredManifest[],
  manifests: Map<string, ManifestMeta>,
  stats: RepositoryStats,
): Repository {
  const signatures = new Map<string, Signature[]>()
  const referrers = new Map<string, Referrer[]>()
  const addSignature = (subject: string, signature: Signature) => {
    const list = signatures.get(subject) ?? []
    if (!list.some((known) => known.digest === signature.digest)) list.push(signature)
    signatures.set(subject, list)
  }
  for (const meta of manifests.values()) {
    if (!meta.subject) continue
    const list = referrers.get(meta.subject) ?? []
    list.push({
      digest: meta.digest,
      mediaType: meta.mediaType,
      artifactType: meta.artifactType,
      size: meta.size,
      annotations: meta.annotations,
    })
    referrers.set(meta.subject, list)
    const tool = signatureTool(meta.artifactType)
    if (tool) addSignature(meta.subject, { tool, digest: meta.digest })
  }
  const images: TaggedImage[] = []
  for (const entry of stored) {
    if (entry.tag === undefined || entry.tag === '') continue
    const meta = manifests.get(entry.digest)
    if (!meta) continue
    const cosign = COSIGN_SIGNATURE_TAG.exec(entry.tag)
    if (cosign && meta.kind === 'image') {
      addSignature(`sha256:${cosign[1]}`, { tool: 'cosign', digest: meta.digest })
      continue
    }
    images.push(taggedImage(name, entry.tag, meta, manifests))
  }
  images.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0))
  const tags = new Map(images.map((image) => [image.tag, image]))
  let newest: TaggedImage | undefined
  for (const image of images) if (!newest || image.lastUpdated > newest.lastUpdated) newest = image
  const vendors = [...new Set(images.map((image) => image.annotations.vendor).filter(Boolean))]
  const blobs = new Map<string, number>()
  for (const image of images) {
    blobs.set(image.digest, image.meta.size)
    for (const manifest of image.manifests) {
      blobs.set(manifest.digest, manifest.size)
      if (manifest.configDigest) blobs.set(manifest.configDigest, manifest.configSize)
      for (const layer of manifest.layers) blobs.set(layer.digest, layer.size)
    }
  }
  let size = 0
  for (const blob of blobs.values()) size += blob
  const repository: Repository = {
    name,
    images,
    tags,
    manifests,
    signatures,
    referrers,
    stats,
    size,
    platforms: uniquePlatforms(images),
    vendors,
    newest,
    lastUpdated: 0,
    downloads: 0,
    incomplete: [...manifests.values()].some((manifest) => manifest.configMissing),
  }
  refreshFigures(repository)
  return repository
}

/** Recomputes what statistics change (downloads, tag push times). */
export function refreshFigures(repository: Repository): void {
  let downloads = 0
  for (const stats of repository.stats.manifests.values()) downloads += stats.pullCount
  let lastUpdated = repository.newest?.lastUpdated ?? 0
  for (const image of repository.images) {
    const tagged = repository.stats.tags.get(image.tag)
    if (tagged && tagged.digest === image.digest && tagged.pushedAt > lastUpdated) lastUpdated = tagged.pushedAt
  }
  repository.downloads = downloads
  repository.lastUpdated = lastUpdated
}

export const isSigned = (repository: Repository, digest: string): boolean =>
  (repository.signatures.get(digest)?.length ?? 0) > 0
