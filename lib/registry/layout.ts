/**
 * @module
 * zot's storage layout: one OCI image layout per repository (zot-behaviour.md 6.1).
 *
 *     <repo>/oci-layout              {"imageLayoutVersion":"1.0.0"}
 *     <repo>/index.json              tags are entries annotated org.opencontainers.image.ref.name
 *     <repo>/blobs/<alg>/<hex>       blobs and manifests, content-addressed
 *     <repo>/.uploads/<uuid>         uploads in progress
 *
 * A zot data directory is served as-is, and every repository written here is a valid OCI layout.
 * Every path is built from a name that passed `isValidRepositoryName`, checked here once more: a
 * name that reached storage unchecked (a sync mapping, a CLI argument) could otherwise land inside
 * another repository's layout (`a/blobs/...` is `a`'s blobs directory).
 */
import { parseDigest } from '../oci/digest'
import { requireRepositoryName } from '../oci/names'

export const OCI_LAYOUT_CONTENT = '{"imageLayoutVersion":"1.0.0"}'
export const TAG_ANNOTATION = 'org.opencontainers.image.ref.name'

/** The repository's directory; throws NAME_INVALID for a name that could escape it. */
const directory = (repository: string): string => requireRepositoryName(repository)

export const indexPath = (repository: string): string => `${directory(repository)}/index.json`
export const ociLayoutPath = (repository: string): string => `${directory(repository)}/oci-layout`
export const uploadsPath = (repository: string): string => `${directory(repository)}/.uploads`
export const uploadPath = (repository: string, uploadId: string): string => `${uploadsPath(repository)}/${uploadId}`

/** The blob's path; the digest must already be validated (it becomes a path segment). */
export function blobPath(repository: string, digest: string): string {
  const parsed = parseDigest(digest)
  if (!parsed) throw new Error(`blobPath: invalid digest ${digest}`)
  return `${directory(repository)}/blobs/${parsed.algorithm}/${parsed.encoded}`
}
