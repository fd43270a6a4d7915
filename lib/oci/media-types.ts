/**
 * @module
 * Media types the registry understands. Docker v2 schema 2 manifests and manifest lists are
 * accepted by default (zot needs `http.compat: ["docker2s2"]`, a trap its users keep hitting:
 * zot issues #724, #3104, #3005) and always stored byte for byte.
 */
export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const

/** Manifests that list other manifests. */
export const INDEX_MEDIA_TYPES: ReadonlySet<string> = new Set([MediaType.ociIndex, MediaType.dockerManifestList])
/** Manifests that describe one image or artifact. */
export const IMAGE_MEDIA_TYPES: ReadonlySet<string> = new Set([MediaType.ociManifest, MediaType.dockerManifest])
export const MANIFEST_MEDIA_TYPES: ReadonlySet<string> = new Set([...INDEX_MEDIA_TYPES, ...IMAGE_MEDIA_TYPES])

/** Strips parameters (`; charset=utf-8`) and case from a Content-Type value. */
export function essence(contentType: string | undefined | null): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase()
}
