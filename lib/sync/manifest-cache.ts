/**
 * @module
 * Cached manifests in local storage, byte for byte as the upstream served them (Docker v2s2
 * and manifest lists included: digests never change, zot #2584, #3307, #4184). A cached
 * manifest is recorded before its blobs are present — they arrive when a client asks for them,
 * and only for the platform it asks for — so this writes through the index store directly
 * rather than `ManifestStore.put`, whose reference check is right for pushes and wrong here.
 * Children of a cached index are stored as content only, like zot: the index reaches them.
 */
import { RegistryError } from '../errors/registry-error'
import { isDigest } from '../oci/digest'
import type { Descriptor } from '../oci/manifest'
import { putManifestEntry } from '../registry/image-index'
import type { Registry } from '../registry/registry'
import type { FetchedManifest } from './upstream-source'

/** What local storage knows about a reference. */
export interface LocalManifest {
  descriptor: Descriptor
  /** False for a child of a cached index whose own bytes were never fetched. */
  stored: boolean
}

export interface Placement {
  /** Record under this tag (the tag moves); otherwise untagged. */
  tag?: string
  /** A child of a cached index: store the bytes only. */
  child?: boolean
}

export class ManifestCache {
  constructor(private readonly registry: Registry) {}

  /** The local descriptor for a tag or digest, or undefined when storage has none. */
  async lookup(repository: string, reference: string): Promise<LocalManifest | undefined> {
    let descriptor: Descriptor
    try {
      descriptor = await this.registry.manifests.resolve(repository, reference)
    } catch (error) {
      if (
        error instanceof RegistryError &&
        (error.code === 'MANIFEST_UNKNOWN' || error.code === 'NAME_UNKNOWN')
      )
        return undefined
      throw error
    }
    const stored =
      !isDigest(reference) || (await this.registry.blobs.exists(repository, descriptor.digest))
    return { descriptor, stored }
  }

  /** Stores fetched manifest bytes and records them in the repository's index. */
  async store(
    repository: string,
    fetched: FetchedManifest,
    placement: Placement = {},
  ): Promise<void> {
    const { descriptor, bytes } = fetched
    const { blobs, indexes, events } = this.registry
    await indexes.update(repository, async (index) => {
      if (!(await blobs.exists(repository, descriptor.digest)))
        await blobs.putContent(repository, descriptor.digest, bytes)
      return placement.child ? undefined : putManifestEntry(index, descriptor, placement.tag)
    })
    if (!placement.child)
      events.emit(
        'manifestPushed',
        repository,
        descriptor.digest,
        placement.tag ? [placement.tag] : [],
        'sync',
      )
  }

  /** Points a tag at a manifest already in storage. */
  async tag(repository: string, descriptor: Descriptor, tag: string): Promise<void> {
    const entry: Descriptor = {
      mediaType: descriptor.mediaType,
      digest: descriptor.digest,
      size: descriptor.size,
    }
    await this.registry.indexes.update(repository, (index) => putManifestEntry(index, entry, tag))
    this.registry.events.emit('manifestPushed', repository, descriptor.digest, [tag], 'sync')
  }
}
