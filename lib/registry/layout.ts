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
 */
import { parseDigest } from '../oci/digest'

export const OCI_LAYOUT_CONTENT = '{"imageLayoutVersion":"1.0.0"}'
export const TAG_ANNOTATION = 'org.opencontainers.image.ref.name'

/** Directory names inside a repository that are storage, not nested repositories. */
export const RESERVED_REPOSITORY_ENTRIES: ReadonlySet<string> = new Set(['blobs', '.uploads', '.sync', 'index.json', 'oci-layout'])

export const indexPath = (repository: string): string => `${repository}/index.json`
export const ociLayoutPath = (repository: string): string => `${repository}/oci-layout`
export const uploadsPath = (repository: string): string => `${repository}/.uploads`
export const uploadPath = (repository: string, uploadId: string): string => `${repository}/.uploads/${uploadId}`

/** The blob's path; the digest must already be validated (it becomes a path segment). */
export function blobPath(repository: string, digest: string): string {
  const parsed = parseDigest(digest)
  if (!parsed) throw new Error(`blobPath: invalid digest ${digest}`)
  return `${repository}/blobs/${parsed.algorithm}/${parsed.encoded}`
}
