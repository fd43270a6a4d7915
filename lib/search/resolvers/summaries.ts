/**
 * @module
 * zot's GraphQL objects (`ImageSummary`, `ManifestSummary`, `RepoSummary`, `Referrer`) from the
 * search index, field for field as zot's `convert/metadb.go` fills them, for one viewer.
 */
import type { ManifestMeta, PlatformMeta } from '../index/manifest-meta'
import { EMPTY_STATS, isSigned, type Referrer, type Repository, type TaggedImage } from '../index/repository'
import type { UserMarks } from '../user-marks'
import type { Viewer } from '../viewer'
import { goTime } from './time'

/** Without a scanner zot still fills the image's summary, with zero counts. */
const NO_VULNERABILITIES = {
  MaxSeverity: '',
  Count: 0,
  UnknownCount: 0,
  LowCount: 0,
  MediumCount: 0,
  HighCount: 0,
  CriticalCount: 0,
}

export const platformObject = (platform: PlatformMeta) => ({ Os: platform.os, Arch: platform.arch })

export function referrerObject(referrer: Referrer) {
  return {
    MediaType: referrer.mediaType,
    ArtifactType: referrer.artifactType,
    Size: referrer.size,
    Digest: referrer.digest,
    Annotations: Object.entries(referrer.annotations).map(([Key, Value]) => ({ Key, Value })),
  }
}

const referrersOf = (repository: Repository, digest: string) =>
  (repository.referrers.get(digest) ?? []).map(referrerObject)

/** zot: one entry per layer of each signature; trust is not verified here, so no author. */
function signatureInfo(repository: Repository, digest: string) {
  return (repository.signatures.get(digest) ?? []).flatMap((signature) => {
    const layers = repository.manifests.get(signature.digest)?.layers.length ?? 1
    return Array.from({ length: layers }, () => ({ Tool: signature.tool, IsTrusted: false, Author: '' }))
  })
}

function history(manifest: ManifestMeta) {
  const layers = manifest.layers.map((layer) => ({ Size: String(layer.size), Digest: layer.digest }))
  if (manifest.history.length === 0) return layers.map((Layer) => ({ Layer, HistoryDescription: {} }))
  let next = 0
  return manifest.history.map((entry) => ({
    HistoryDescription: {
      Created: entry.created ?? null,
      CreatedBy: entry.createdBy ?? '',
      Author: entry.author ?? '',
      Comment: entry.comment ?? '',
      EmptyLayer: entry.emptyLayer,
    },
    Layer: entry.emptyLayer ? null : (layers[next++] ?? null),
  }))
}

function manifestObject(repository: Repository, manifest: ManifestMeta, platform: PlatformMeta, lastUpdated: number) {
  const stats = repository.stats.manifests.get(manifest.digest) ?? EMPTY_STATS
  const blobs = new Map<string, number>([[manifest.digest, manifest.size]])
  if (manifest.configDigest) blobs.set(manifest.configDigest, manifest.configSize)
  for (const layer of manifest.layers) blobs.set(layer.digest, layer.size)
  let size = 0
  for (const blob of blobs.values()) size += blob
  return {
    Digest: manifest.digest,
    ConfigDigest: manifest.configDigest,
    LastUpdated: goTime(lastUpdated),
    Size: String(size),
    IsSigned: isSigned(repository, manifest.digest),
    SignatureInfo: signatureInfo(repository, manifest.digest),
    Platform: platformObject(platform),
    DownloadCount: stats.pullCount,
    Layers: manifest.layers.map((layer) => ({ Size: String(layer.size), Digest: layer.digest })),
    History: history(manifest),
    Vulnerabilities: null,
    Referrers: referrersOf(repository, manifest.digest),
    ArtifactType: manifest.artifactType,
  }
}

const manifestTime = (manifest: ManifestMeta): number => {
  const created = manifest.annotations['org.opencontainers.image.created'] ?? manifest.created
  const parsed = created ? Date.parse(created) : Number.NaN
  return Number.isNaN(parsed) ? 0 : parsed
}

/** zot's ImageSummary of a tagged image. */
export function imageObject(repository: Repository, image: TaggedImage, viewer: Viewer) {
  const { meta } = image
  const stats = repository.stats.manifests.get(image.digest) ?? EMPTY_STATS
  const pushed = stats.pushedAt ?? 0
  const tagged = repository.stats.tags.get(image.tag)
  const platformOf = (manifest: ManifestMeta): PlatformMeta =>
    manifest.platform.os || manifest.platform.arch
      ? manifest.platform
      : (meta.children.find((child) => child.digest === manifest.digest)?.platform ?? manifest.platform)
  const manifests = image.manifests.map((manifest) =>
    manifestObject(
      repository,
      manifest,
      platformOf(manifest),
      meta.kind === 'image' ? image.lastUpdated : manifestTime(manifest),
    ),
  )
  return {
    RepoName: repository.name,
    Tag: image.tag,
    Digest: image.digest,
    MediaType: meta.mediaType,
    Manifests: manifests,
    Size: String(image.size),
    DownloadCount: stats.pullCount,
    LastPullTimestamp: goTime(stats.pulledAt),
    PushTimestamp: goTime(pushed),
    PushedBy: '',
    TaggedTimestamp: goTime(tagged?.digest === image.digest ? tagged.pushedAt : pushed),
    LastUpdated: goTime(image.lastUpdated),
    Description: image.annotations.description,
    IsSigned: isSigned(repository, image.digest),
    SignatureInfo: signatureInfo(repository, image.digest),
    Licenses: image.annotations.licenses,
    Labels: image.annotations.labels,
    Title: image.annotations.title,
    Source: image.annotations.source,
    Documentation: image.annotations.documentation,
    Vendor: image.annotations.vendor,
    Authors: image.annotations.authors,
    Vulnerabilities: NO_VULNERABILITIES,
    Referrers: referrersOf(repository, image.digest),
    IsDeletable: viewer.canDelete(repository.name),
    ArtifactType: meta.artifactType,
  }
}

/** zot's RepoSummary (Rank: how well the name matched a search, 0 otherwise). */
export function repoObject(repository: Repository, viewer: Viewer, marks: UserMarks, rank = 0) {
  return {
    Name: repository.name,
    LastUpdated: goTime(repository.lastUpdated),
    Size: String(repository.size),
    Platforms: repository.platforms.map(platformObject),
    Vendors: repository.vendors,
    NewestImage: repository.newest ? imageObject(repository, repository.newest, viewer) : null,
    DownloadCount: repository.downloads,
    StarCount: marks.starCount(repository.name),
    IsBookmarked: marks.has(viewer.username, repository.name, 'bookmark'),
    IsStarred: marks.has(viewer.username, repository.name, 'star'),
    Rank: rank,
  }
}
