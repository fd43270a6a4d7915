/**
 * @module
 * Local data directories laid out as zot 2.1 writes them with `storage.subPaths` (docs/zot-
 * compatibility.md 6.1): a default root and the root of route `/a`. zot picks a repository's
 * store by its first path component, so `a/app` and `a/team/web` live in the `/a` root under
 * their full names (`<subRoot>/a/app/...`), while `a` itself (no `/`), `b/tools` and
 * `library/alpine` live in the default root. Each repository is an OCI layout with the files
 * zot's image store creates (`oci-layout`, `index.json` as Go's encoding/json writes it, `blobs/`,
 * an empty `.uploads/`); each root also holds zot's own databases (`cache.db` for dedupe,
 * `meta.db`, `_trivy/`), which a registry serving the directory must leave alone.
 *
 * `a/stale` sits in the default root as data written before `/a` was configured: zot routes
 * `a/stale` to the `/a` store, so it can no longer be reached.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MediaType, REF_NAME_ANNOTATION, sha256Digest } from '../support/oci-layout'

export interface ZotBlob {
  digest: string
  bytes: Uint8Array
}

export interface ZotImage {
  repository: string
  /** undefined: an untagged index.json entry (pushed by digest). */
  tag: string | undefined
  manifest: Uint8Array
  manifestDigest: string
  /** Config first, then the layer. */
  blobs: ZotBlob[]
}

export interface ZotSubPathsData {
  /** The default store's `rootDirectory`. */
  root: string
  /** The `rootDirectory` of route `/a`. */
  subRoot: string
  /** Every image written, by `repository:tag` (`repository@untagged` for the untagged ones). */
  images: Map<string, ZotImage>
  /** A blob no manifest references, in each store (GC's candidates). */
  orphans: { repository: string; root: string; blob: ZotBlob }[]
  /** zot's own files, absolute paths, with the bytes they must keep. */
  zotFiles: Map<string, Uint8Array>
}

const encoder = new TextEncoder()

function image(repository: string, tag: string | undefined, layerBytes = 3000): ZotImage {
  const config = encoder.encode(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, id: repository }),
  )
  const layer = crypto.getRandomValues(new Uint8Array(layerBytes))
  const descriptor = (mediaType: string, bytes: Uint8Array) => ({
    mediaType,
    digest: sha256Digest(bytes),
    size: bytes.byteLength,
  })
  const manifest = encoder.encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: descriptor(MediaType.ociConfig, config),
      layers: [descriptor(MediaType.ociLayerGzip, layer)],
    }),
  )
  return {
    repository,
    tag,
    manifest,
    manifestDigest: sha256Digest(manifest),
    blobs: [config, layer].map((bytes) => ({ digest: sha256Digest(bytes), bytes })),
  }
}

async function writeBlob(directory: string, { digest, bytes }: ZotBlob): Promise<void> {
  await writeFile(join(directory, 'blobs/sha256', digest.slice('sha256:'.length)), bytes)
}

/** One repository as zot's image store leaves it after these pushes. */
async function writeRepository(root: string, repository: string, images: ZotImage[]): Promise<void> {
  const directory = join(root, repository)
  await mkdir(join(directory, 'blobs/sha256'), { recursive: true })
  await mkdir(join(directory, '.uploads'), { recursive: true })
  await writeFile(join(directory, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}')
  const manifests = []
  for (const written of images) {
    for (const blob of written.blobs) await writeBlob(directory, blob)
    await writeBlob(directory, { digest: written.manifestDigest, bytes: written.manifest })
    manifests.push({
      mediaType: MediaType.ociManifest,
      digest: written.manifestDigest,
      size: written.manifest.byteLength,
      ...(written.tag !== undefined && { annotations: { [REF_NAME_ANNOTATION]: written.tag } }),
    })
  }
  await writeFile(join(directory, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }))
}

/** Files of zot's own (BoltDB databases, the trivy cache): opaque bytes to a registry. */
async function writeZotFile(files: Map<string, Uint8Array>, path: string): Promise<void> {
  const bytes = crypto.getRandomValues(new Uint8Array(4096))
  await mkdir(join(path, '..'), { recursive: true })
  await writeFile(path, bytes)
  files.set(path, bytes)
}

/** Writes the default store's data into `root` and the `/a` store's into `subRoot`. */
export async function writeZotSubPathsData(root: string, subRoot: string): Promise<ZotSubPathsData> {
  const images = new Map<string, ZotImage>()
  const layoutOf = {
    [root]: {
      a: [image('a', 'v1')],
      'b/tools': [image('b/tools', 'v1')],
      'library/alpine': [image('library/alpine', '3.19'), image('library/alpine', undefined)],
      'a/stale': [image('a/stale', 'old')],
    },
    [subRoot]: {
      'a/app': [image('a/app', 'v1'), image('a/app', undefined)],
      'a/team/web': [image('a/team/web', 'v2')],
    },
  }
  for (const [storeRoot, repositories] of Object.entries(layoutOf)) {
    for (const [repository, written] of Object.entries(repositories)) {
      await writeRepository(storeRoot, repository, written)
      for (const one of written) images.set(`${repository}${one.tag === undefined ? '@untagged' : `:${one.tag}`}`, one)
    }
  }
  const orphans = [
    { repository: 'library/alpine', root },
    { repository: 'a/app', root: subRoot },
  ].map((where) => {
    const bytes = crypto.getRandomValues(new Uint8Array(2000))
    return { ...where, blob: { digest: sha256Digest(bytes), bytes } }
  })
  for (const orphan of orphans) await writeBlob(join(orphan.root, orphan.repository), orphan.blob)
  const zotFiles = new Map<string, Uint8Array>()
  for (const path of [
    join(root, 'cache.db'),
    join(root, 'meta.db'),
    join(root, '_trivy/db/trivy.db'),
    join(subRoot, 'cache.db'),
  ])
    await writeZotFile(zotFiles, path)
  return { root, subRoot, images, orphans, zotFiles }
}
