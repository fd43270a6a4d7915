/**
 * @module
 * What clients pull, over any content source (local storage, or sync's pull-through
 * composition), with the pull events raised here, as distribution's notifications listener
 * wraps a repository: a GET of a manifest is a pull (retention's pull times, download metrics),
 * a HEAD of a blob means a client is about to rely on it (GC's grace). Handlers only translate.
 */
import { RegistryError } from '../errors/registry-error'
import { isDigest, requireDigest } from '../oci/digest'
import type { Descriptor } from '../oci/manifest'
import { isValidTag } from '../oci/names'
import type { Content } from '../storage/driver'
import type { ContentSource, ManifestBody } from './content-source'
import type { RegistryEvents } from './events'

export interface FoundBlob {
  digest: string
  size: number
}

export interface Pulls {
  /** The descriptor a tag or digest names (HEAD); MANIFEST_UNKNOWN or NAME_UNKNOWN. */
  resolveManifest(repository: string, reference: string): Promise<Descriptor>
  /** The manifest and its body (GET): a pull, recorded with the tag when pulled by tag. */
  pullManifest(repository: string, reference: string): Promise<{ descriptor: Descriptor; body: ManifestBody }>
  /** A blob's size (HEAD): the client is about to rely on it. DIGEST_INVALID, BLOB_UNKNOWN. */
  checkBlob(repository: string, digest: string): Promise<FoundBlob>
  /** A blob's size before reading it (GET). DIGEST_INVALID, BLOB_UNKNOWN. */
  findBlob(repository: string, digest: string): Promise<FoundBlob>
  /** The blob, or the byte range of it; BLOB_UNKNOWN. */
  openBlob(repository: string, digest: string, range?: { offset: number; length: number }): Promise<Content>
  listTags(repository: string): Promise<string[]>
  /** Manifests whose subject is `digest` (DIGEST_INVALID for a malformed one). */
  listReferrers(repository: string, digest: string, artifactType?: string): Promise<Descriptor[]>
}

/**
 * A reference that is neither a tag nor a digest names no manifest: reads answer 404
 * MANIFEST_UNKNOWN, as zot and distribution do (the OCI conformance suite asks for it); only a
 * push of such a reference is a 400. No source, upstream included, is asked about it.
 */
function requireReadableReference(repository: string, reference: string): void {
  if (!isValidTag(reference) && !isDigest(reference)) {
    throw new RegistryError('MANIFEST_UNKNOWN', { detail: { name: repository, reference } })
  }
}

/** The pull operations over `source`, raising `events`. */
export function createPulls(source: ContentSource, events: RegistryEvents): Pulls {
  const findBlob = async (repository: string, digest: string): Promise<FoundBlob> => {
    const valid = requireDigest(digest).value
    const stat = await source.statBlob(repository, valid)
    if (!stat) throw new RegistryError('BLOB_UNKNOWN', { detail: { digest: valid } })
    return { digest: valid, size: stat.size }
  }
  return {
    async resolveManifest(repository, reference) {
      requireReadableReference(repository, reference)
      return source.resolveManifest(repository, reference)
    },
    async pullManifest(repository, reference) {
      requireReadableReference(repository, reference)
      const descriptor = await source.resolveManifest(repository, reference)
      const body = await source.openManifest(repository, descriptor)
      events.emit('manifestPulled', repository, descriptor.digest, isDigest(reference) ? undefined : reference)
      return { descriptor, body }
    },
    async checkBlob(repository, digest) {
      const found = await findBlob(repository, digest)
      events.emit('blobTouched', repository, found.digest)
      return found
    },
    findBlob,
    openBlob: (repository, digest, range) => source.openBlob(repository, digest, range),
    listTags: (repository) => source.listTags(repository),
    listReferrers: (repository, digest, artifactType) =>
      source.listReferrers(repository, requireDigest(digest).value, artifactType),
  }
}
