/**
 * @module
 * A bucket laid out byte for byte as zot 2.1 writes it on S3 with `dedupe: true` (docs/s3.md
 * "Dedupe"): keys under its doubled `zot/zot/` prefix, `oci-layout` and `index.json` as Go's
 * encoding/json writes them, manifests stored whole in every repository (zot never dedupes them),
 * and every config and layer stored once: the first repository that received it holds the bytes,
 * every other one a zero-byte object at the same path.
 */
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { MediaType, REF_NAME_ANNOTATION, sha256Digest } from '../support/oci-layout'

export const ZOT_KEY_PREFIX = 'zot/zot/'

export interface ZotImage {
  repository: string
  tag: string
  manifest: Uint8Array
  manifestDigest: string
  /** Config first, then layers: digest and bytes. */
  blobs: { digest: string; bytes: Uint8Array }[]
}

const encoder = new TextEncoder()

/** An image with a JSON config and `layers` random layers of the given sizes (or these blobs). */
export function zotImage(
  repository: string,
  tag: string,
  layers: (number | Uint8Array)[],
  config: Uint8Array = encoder.encode(JSON.stringify({ architecture: 'amd64', os: 'linux', id: crypto.randomUUID() })),
): ZotImage {
  const layerBytes = layers.map((layer) =>
    typeof layer === 'number' ? crypto.getRandomValues(new Uint8Array(layer)) : layer,
  )
  const manifest = encoder.encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: sha256Digest(config), size: config.byteLength },
      layers: layerBytes.map((bytes) => ({
        mediaType: MediaType.ociLayerGzip,
        digest: sha256Digest(bytes),
        size: bytes.byteLength,
      })),
    }),
  )
  return {
    repository,
    tag,
    manifest,
    manifestDigest: sha256Digest(manifest),
    blobs: [config, ...layerBytes].map((bytes) => ({ digest: sha256Digest(bytes), bytes })),
  }
}

/** The same image (same manifest, config and layers) under another repository and tag. */
export const sameImage = (image: ZotImage, repository: string, tag: string): ZotImage => ({
  ...image,
  repository,
  tag,
})

/** Writes objects as zot's deduping S3 store does, remembering which digests it already holds. */
export class ZotDedupeBucket {
  /** digest → the repository holding its bytes (zot's cache "original"). */
  readonly originals = new Map<string, string>()
  /** Keys written as zero-byte placeholders. */
  readonly placeholderKeys: string[] = []

  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  keyOf(path: string): string {
    return ZOT_KEY_PREFIX + path
  }

  async put(path: string, body: Uint8Array | string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.keyOf(path), Body: body }))
  }

  async size(path: string): Promise<number> {
    const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(path) }))
    return head.ContentLength ?? -1
  }

  /** A blob as zot's DedupeBlob stores it: bytes the first time, a zero-byte placeholder after. */
  async putBlob(repository: string, digest: string, bytes: Uint8Array): Promise<void> {
    const path = `${repository}/blobs/sha256/${digest.slice('sha256:'.length)}`
    if (this.originals.has(digest) && this.originals.get(digest) !== repository) {
      await this.put(path, new Uint8Array(0))
      this.placeholderKeys.push(this.keyOf(path))
      return
    }
    this.originals.set(digest, repository)
    await this.put(path, bytes)
  }

  /** A repository with its images, in push order: blobs, then the manifest, then index.json. */
  async putRepository(repository: string, images: ZotImage[]): Promise<void> {
    // Go's json.Marshal of ispec.ImageLayout and ispec.Index: no spaces, fields in struct order.
    await this.put(`${repository}/oci-layout`, '{"imageLayoutVersion":"1.0.0"}')
    for (const image of images) {
      for (const blob of image.blobs) await this.putBlob(repository, blob.digest, blob.bytes)
      await this.put(`${repository}/blobs/sha256/${image.manifestDigest.slice('sha256:'.length)}`, image.manifest)
    }
    const manifests = images.map((image) => ({
      mediaType: MediaType.ociManifest,
      digest: image.manifestDigest,
      size: image.manifest.byteLength,
      annotations: { [REF_NAME_ANNOTATION]: image.tag },
    }))
    await this.put(`${repository}/index.json`, JSON.stringify({ schemaVersion: 2, manifests }))
  }
}
