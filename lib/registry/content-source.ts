/**
 * @module
 * The read side of the registry as the pull API sees it. The registry implements it over its
 * storage; the sync extension's upstream client implements it too, so a pull-through cache is a
 * composition of sources, not special cases in the handlers. Reading a source raises no event:
 * `Registry.pulls` wraps whichever source serves clients and raises them there.
 */
import type { Descriptor } from '../oci/manifest'
import type { Content } from '../storage/driver'
import type { BlobStat } from './storage/blob-store'

export type { Content } from '../storage/driver'

/** A manifest body: small enough to be handed out as bytes, or streamed like a blob. */
export type ManifestBody = Content | Uint8Array

export interface ContentSource {
  /** The descriptor a tag or digest names; throws MANIFEST_UNKNOWN or NAME_UNKNOWN. */
  resolveManifest(repository: string, reference: string): Promise<Descriptor>
  openManifest(repository: string, descriptor: Descriptor): Promise<ManifestBody>
  /** undefined when the blob is not available. */
  statBlob(repository: string, digest: string): Promise<Pick<BlobStat, 'size'> | undefined>
  /** Throws BLOB_UNKNOWN when the blob is not available. */
  openBlob(repository: string, digest: string, range?: { offset: number; length: number }): Promise<Content>
  /** Sorted tags; throws NAME_UNKNOWN for an unknown repository. */
  listTags(repository: string): Promise<string[]>
  listReferrers(repository: string, digest: string, artifactType?: string): Promise<Descriptor[]>
}
