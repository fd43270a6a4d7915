/**
 * @module
 * Manifests of a repository: stored as blobs (the client's exact bytes) and listed in index.json.
 * Reference checks and the index update happen under the repository's lock, so a manifest is
 * never recorded unless everything it points to is present at that moment.
 */
import { RegistryError } from '../../errors/registry-error'
import { digestOf, requireDigest } from '../../oci/digest'
import { parseManifest, type Descriptor, type ManifestInfo } from '../../oci/manifest'
import { INDEX_MEDIA_TYPES } from '../../oci/media-types'
import { requireTag } from '../../oci/names'
import type { BlobStore } from './blob-store'
import type { ManifestBody } from '../content-source'
import {
  findDigest,
  findTag,
  listTags,
  putManifestEntry,
  removeDigest,
  removeTag,
  type ImageIndex,
} from './image-index'
import type { IndexStore } from './index-store'
import { Lru } from '../../cache/lru'
import { requireNewTags, requireReferences } from './push-rules'

export interface PutManifestResult {
  digest: string
  /** The subject's digest, answered as the `OCI-Subject` header. */
  subject?: string
  tags: string[]
}

export interface PushOptions {
  /** The request's `?tag=` tags, recorded besides the reference. */
  extraTags?: string[]
  /** Refuse (DENIED) to move a tag that exists: the pusher may create tags, not update them. */
  tagMustBeNew?: boolean
}

const MANIFEST_CACHE_BYTES = 16 * 1024 * 1024
const MAX_CACHED_MANIFEST_BYTES = 256 * 1024

const manifestUnknown = (repository: string, reference: string): RegistryError =>
  new RegistryError('MANIFEST_UNKNOWN', { detail: { name: repository, reference } })

/** A reference is a digest when it has a colon (tags cannot); a malformed one is DIGEST_INVALID. */
export function parseReference(reference: string): { digest: string } | { tag: string } {
  if (reference.includes(':')) return { digest: requireDigest(reference).value }
  return { tag: requireTag(reference) }
}

export class ManifestStore {
  /** Parsed manifests by digest: content-addressed, so entries never go stale. */
  private readonly infos = new Lru<string, ManifestInfo>(20_000)
  /**
   * Manifest bytes by digest, for the hottest request of a registry (manifest GET): answering
   * from memory skips an open, a stat and a sendfile per request. Bounded in bytes.
   */
  private readonly bodies = new Lru<string, Uint8Array>(MANIFEST_CACHE_BYTES, (bytes) => bytes.byteLength)

  constructor(
    private readonly blobs: BlobStore,
    private readonly indexes: IndexStore,
  ) {}

  /** Finds the descriptor a tag or digest names: top-level entries first, then index children. */
  async resolve(repository: string, reference: string): Promise<Descriptor> {
    const parsed = parseReference(reference)
    const index = await this.indexes.require(repository)
    if ('tag' in parsed) {
      const tagged = findTag(index, parsed.tag)
      if (!tagged) throw manifestUnknown(repository, reference)
      return tagged
    }
    const listed = findDigest(index, parsed.digest) ?? (await this.findChild(repository, index, parsed.digest))
    if (!listed) throw manifestUnknown(repository, reference)
    return listed
  }

  async open(repository: string, descriptor: Descriptor): Promise<ManifestBody> {
    const cached = this.bodies.get(descriptor.digest)
    if (cached) return cached
    if (descriptor.size > MAX_CACHED_MANIFEST_BYTES) return this.blobs.open(repository, descriptor.digest)
    const bytes = await this.blobs.getContent(repository, descriptor.digest)
    this.bodies.set(descriptor.digest, bytes)
    return bytes
  }

  async info(repository: string, descriptor: Descriptor): Promise<ManifestInfo> {
    const cached = this.infos.get(descriptor.digest)
    if (cached) return cached
    const info = parseManifest(await this.blobs.getContent(repository, descriptor.digest), descriptor.mediaType)
    this.infos.set(descriptor.digest, info)
    return info
  }

  /**
   * Stores a pushed manifest under a tag or its digest, plus any `?tag=` tags. With
   * `tagMustBeNew` (a principal that may create tags but not update them), a tag that already
   * names another manifest is DENIED: decided on the index being written, under the repository's
   * lock or inside the compare-and-swap, so of racing pushes to one new tag exactly one wins.
   */
  async put(
    repository: string,
    reference: string,
    bytes: Uint8Array,
    contentType: string,
    options: PushOptions = {},
  ): Promise<PutManifestResult> {
    const parsed = parseReference(reference)
    const info = parseManifest(bytes, contentType)
    const algorithm = 'digest' in parsed ? requireDigest(parsed.digest).algorithm : 'sha256'
    const digest = digestOf(bytes, algorithm)
    if ('digest' in parsed && parsed.digest !== digest) {
      throw new RegistryError('DIGEST_INVALID', {
        detail: { description: `the manifest's digest is ${digest}`, digest: parsed.digest },
      })
    }
    const tags = [...new Set(['tag' in parsed ? [parsed.tag] : [], (options.extraTags ?? []).map(requireTag)].flat())]
    const descriptor: Descriptor = { mediaType: info.mediaType, digest, size: bytes.byteLength }

    // On shared storage the checks below run only once no GC sweep claims what they check.
    const relies = [digest, ...info.blobs.map((blob) => blob.digest), ...info.manifests.map((child) => child.digest)]
    await this.indexes.update(
      repository,
      async (index) => {
        if (options.tagMustBeNew) requireNewTags(repository, index, tags, descriptor)
        await requireReferences(this.blobs, repository, info)
        if (!(await this.blobs.exists(repository, digest))) await this.blobs.putContent(repository, digest, bytes)
        let next: ImageIndex | undefined
        for (const tag of tags.length > 0 ? tags : [undefined])
          next = putManifestEntry(next ?? index, descriptor, tag) ?? next
        return next
      },
      { relies },
    )
    this.infos.set(digest, info)
    return { digest, tags, ...(info.subject && { subject: info.subject.digest }) }
  }

  /**
   * Stores a manifest the pull-through cache fetched, byte for byte, and lists it under `tag`,
   * untagged, or not at all (`contentOnly`: a child of a cached index, which the index reaches).
   * No reference check: a cached manifest is recorded before its blobs, which arrive when a
   * client asks for them, and only for the platform it asks for.
   */
  async cache(
    repository: string,
    descriptor: Descriptor,
    bytes: Uint8Array,
    placement: { tag?: string; contentOnly: boolean },
  ): Promise<void> {
    await this.indexes.update(
      repository,
      async (index) => {
        if (!(await this.blobs.exists(repository, descriptor.digest)))
          await this.blobs.putContent(repository, descriptor.digest, bytes)
        return placement.contentOnly ? undefined : putManifestEntry(index, descriptor, placement.tag)
      },
      { relies: [descriptor.digest] },
    )
  }

  /** Points a tag at a manifest already in storage. */
  async tag(repository: string, descriptor: Descriptor, tag: string): Promise<void> {
    const entry: Descriptor = { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size }
    await this.indexes.update(repository, (index) => putManifestEntry(index, entry, tag), {
      relies: [descriptor.digest],
    })
  }

  /** DELETE by tag removes the tag; by digest removes the manifest and its blob. */
  async delete(repository: string, reference: string): Promise<void> {
    const parsed = parseReference(reference)
    if ('tag' in parsed) {
      await this.indexes.update(
        repository,
        (index) => removeTag(index, parsed.tag) ?? Promise.reject(manifestUnknown(repository, reference)),
        { create: false },
      )
      return
    }
    const digest = parsed.digest
    await this.indexes.update(
      repository,
      async (index) => {
        const parent = await this.findParent(repository, index, digest)
        if (parent) {
          throw new RegistryError('DENIED', {
            status: 405,
            message: 'manifest is referenced by an index',
            detail: { description: `delete the index ${parent.digest} first`, digest },
          })
        }
        return removeDigest(index, digest) ?? Promise.reject(manifestUnknown(repository, reference))
      },
      {
        create: false,
        afterWrite: async () => {
          this.bodies.delete(digest)
          await this.blobs.delete(repository, digest)
        },
      },
    )
  }

  async tags(repository: string): Promise<string[]> {
    return listTags(await this.indexes.require(repository))
  }

  /** Manifests of the repository whose `subject` is `digest`, as referrers-API descriptors. */
  async referrers(repository: string, digest: string, artifactType?: string): Promise<Descriptor[]> {
    const index = await this.indexes.read(repository)
    if (!index) return []
    const found: Descriptor[] = []
    const seen = new Set<string>()
    for (const entry of index.manifests) {
      if (seen.has(entry.digest)) continue
      seen.add(entry.digest)
      const info = await this.info(repository, entry).catch(() => undefined)
      if (info?.subject?.digest !== digest) continue
      if (artifactType !== undefined && info.artifactType !== artifactType) continue
      found.push({
        mediaType: info.mediaType,
        digest: entry.digest,
        size: entry.size,
        ...(info.artifactType && { artifactType: info.artifactType }),
        ...(info.annotations && { annotations: info.annotations }),
      })
    }
    return found
  }

  /** A manifest of the repository that uses the blob (as itself, config, layer or child), if any. */
  async blobUser(repository: string, digest: string): Promise<string | undefined> {
    const index = await this.indexes.read(repository)
    for (const entry of index?.manifests ?? []) {
      if (entry.digest === digest) return entry.digest
      const info = await this.info(repository, entry).catch(() => undefined)
      if (info?.blobs.some((blob) => blob.digest === digest)) return entry.digest
      for (const child of info?.manifests ?? []) {
        if (child.digest === digest) return entry.digest
        const childInfo = await this.info(repository, child).catch(() => undefined)
        if (childInfo?.blobs.some((blob) => blob.digest === digest)) return child.digest
      }
    }
    return undefined
  }

  /** Searches the children of the repository's indexes for a digest (multi-arch images). */
  private async findChild(repository: string, index: ImageIndex, digest: string): Promise<Descriptor | undefined> {
    for (const entry of index.manifests) {
      const info = await this.indexInfo(repository, entry)
      const child = info?.manifests.find((m) => m.digest === digest)
      if (child) return child
    }
    return undefined
  }

  private async findParent(repository: string, index: ImageIndex, digest: string): Promise<Descriptor | undefined> {
    for (const entry of index.manifests) {
      const info = await this.indexInfo(repository, entry)
      if (info?.manifests.some((m) => m.digest === digest)) return entry
    }
    return undefined
  }

  private async indexInfo(repository: string, entry: Descriptor): Promise<ManifestInfo | undefined> {
    if (!INDEX_MEDIA_TYPES.has(entry.mediaType)) return undefined
    return this.info(repository, entry).catch(() => undefined)
  }
}
