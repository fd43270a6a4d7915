/**
 * @module
 * What a pushed manifest must satisfy when it is recorded, checked on the index being written
 * (under the repository's lock, or inside the compare-and-swap): everything it references is in
 * the repository, and, for a pusher that may create tags but not update them, its tags are new.
 */
import { RegistryError } from '../../errors/registry-error'
import type { Descriptor, ManifestInfo } from '../../oci/manifest'
import type { BlobStore } from './blob-store'
import { findTag, type ImageIndex } from './image-index'

/**
 * Throws DENIED when one of `tags` already names another manifest in `index`. The same manifest
 * under its own tag changes nothing and passes: a push that lost only its response may retry.
 */
export function requireNewTags(repository: string, index: ImageIndex, tags: string[], manifest: Descriptor): void {
  for (const tag of tags) {
    const current = findTag(index, tag)
    if (!current || (current.digest === manifest.digest && current.mediaType === manifest.mediaType)) continue
    throw new RegistryError('DENIED', {
      message: 'tag exists',
      detail: {
        description: `update access to repository ${repository} is not allowed: tag ${tag} already names ${current.digest}`,
        tag,
      },
    })
  }
}

/** Throws MANIFEST_BLOB_UNKNOWN or MANIFEST_UNKNOWN (400) for a reference not in the repository. */
export async function requireReferences(blobs: BlobStore, repository: string, info: ManifestInfo): Promise<void> {
  const check = async (descriptor: Descriptor, code: 'MANIFEST_BLOB_UNKNOWN' | 'MANIFEST_UNKNOWN'): Promise<void> => {
    if (await blobs.exists(repository, descriptor.digest)) return
    throw new RegistryError(code, {
      status: 400,
      detail: {
        description:
          code === 'MANIFEST_UNKNOWN'
            ? 'a manifest this index lists is not in the repository; push it first'
            : 'a blob this manifest references is not in the repository; push it first',
        digest: descriptor.digest,
      },
    })
  }
  await Promise.all([
    ...info.blobs.map((d) => check(d, 'MANIFEST_BLOB_UNKNOWN')),
    ...info.manifests.map((d) => check(d, 'MANIFEST_UNKNOWN')),
  ])
}
