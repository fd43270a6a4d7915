/**
 * @module
 * Cached manifests in local storage, byte for byte as the upstream served them (Docker v2s2
 * and manifest lists included: digests never change, zot #2584, #3307, #4184). They are stored
 * through the registry's push with `origin: 'sync'`: recorded before their blobs are present
 * (they arrive when a client asks for them, and only for the platform it asks for), so without
 * the reference check a client's push gets. Children of a cached index are stored as content
 * only, like zot: the index reaches them.
 */
import { RegistryError } from '../../errors/registry-error'
import { isDigest } from '../../oci/digest'
import type { Descriptor } from '../../oci/manifest'
import type { Registry } from '../../registry/registry'
import type { FetchedManifest } from '../upstream/upstream-source'
import { isDiskFull } from './budget/free-space'

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

/** What the cache budget does for a manifest the disk has no room for (budget/cache-budget.ts). */
export interface ManifestRoom {
  /** Evicts cached images (when a budget key allows) until `bytes` fit; whether they do now. */
  makeRoom(repository: string, bytes: number): Promise<boolean>
  /** Keeps the manifest in memory, served without being stored. */
  hold(repository: string, fetched: FetchedManifest): void
  held(repository: string, digest: string): Uint8Array | undefined
  /** A manifest was stored. */
  stored(): void
}

export class ManifestCache {
  constructor(
    private readonly registry: Registry,
    private readonly room?: ManifestRoom,
  ) {}

  /** The local descriptor for a tag or digest, or undefined when storage has none. */
  async lookup(repository: string, reference: string): Promise<LocalManifest | undefined> {
    let descriptor: Descriptor
    try {
      descriptor = await this.registry.resolveManifest(repository, reference)
    } catch (error) {
      if (error instanceof RegistryError && (error.code === 'MANIFEST_UNKNOWN' || error.code === 'NAME_UNKNOWN'))
        return undefined
      throw error
    }
    const stored = !isDigest(reference) || (await this.registry.hasBlob(repository, descriptor.digest))
    return { descriptor, stored }
  }

  /**
   * Stores fetched manifest bytes and records them in the repository's index. On a full disk,
   * cached images are evicted first; if that makes no room, the manifest is held in memory and
   * served from there (`held`), not stored: the pull still gets its image.
   */
  async store(repository: string, fetched: FetchedManifest, placement: Placement = {}): Promise<void> {
    try {
      await this.put(repository, fetched, placement)
    } catch (error) {
      const { room } = this
      if (!room || !isDiskFull(error)) throw error
      if (await room.makeRoom(repository, fetched.bytes.byteLength)) {
        const retried = await this.put(repository, fetched, placement).then(
          () => true,
          (again: unknown) => (isDiskFull(again) ? false : Promise.reject(again)),
        )
        if (retried) return
      }
      room.hold(repository, fetched)
      return
    }
    this.room?.stored()
  }

  /** A manifest held in memory because the disk had no room for it. */
  held(repository: string, digest: string): Uint8Array | undefined {
    return this.room?.held(repository, digest)
  }

  private async put(repository: string, fetched: FetchedManifest, placement: Placement): Promise<void> {
    const { descriptor, bytes } = fetched
    await this.registry.putManifest(repository, placement.tag ?? descriptor.digest, bytes, {
      origin: 'sync',
      descriptor,
      contentOnly: placement.child ?? false,
    })
  }

  /** Points a tag at a manifest already in storage. */
  async tag(repository: string, descriptor: Descriptor, tag: string): Promise<void> {
    await this.registry.tagManifest(repository, tag, descriptor)
  }
}
