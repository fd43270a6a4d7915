/**
 * @module
 * A minimal OCI image layout writer and reader (image-spec `image-layout.md`), computing every
 * digest in TypeScript so tests build content offline in milliseconds, byte for byte known.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name'

export interface Platform {
  os: string
  architecture: string
  variant?: string
}

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  artifactType?: string
  annotations?: Record<string, string>
  platform?: Platform
}

export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${new Bun.CryptoHasher('sha256').update(data).digest('hex')}`
}

/** The hex part of a `sha256:` digest, which is also its file name under `blobs/sha256/`. */
export function hexOf(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1)
}

/** Serializes a manifest once, so the stored bytes and the digest always agree. */
export function manifestBytes(manifest: object): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(manifest))
}

export class OciLayout {
  private readonly entries: Descriptor[] = []
  private constructor(readonly directory: string) {}

  static async create(directory: string): Promise<OciLayout> {
    await mkdir(join(directory, 'blobs/sha256'), { recursive: true })
    await writeFile(join(directory, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
    const layout = new OciLayout(directory)
    await layout.saveIndex()
    return layout
  }

  /** Stores a blob under its digest and returns its descriptor. */
  async putBlob(data: Uint8Array | string, mediaType: string, extra: Partial<Descriptor> = {}): Promise<Descriptor> {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data
    const digest = sha256Digest(bytes)
    await writeFile(join(this.directory, 'blobs/sha256', hexOf(digest)), bytes)
    return { mediaType, digest, size: bytes.byteLength, ...extra }
  }

  /** Stores a manifest blob; with a tag it also becomes an index.json entry naming that tag. */
  async putManifest(manifest: object | Uint8Array, tag?: string, extra: Partial<Descriptor> = {}): Promise<Descriptor> {
    const bytes = manifest instanceof Uint8Array ? manifest : manifestBytes(manifest)
    const { mediaType } = JSON.parse(new TextDecoder().decode(bytes)) as { mediaType?: string }
    const descriptor = await this.putBlob(bytes, mediaType ?? MediaType.ociManifest, extra)
    if (tag !== undefined) await this.tag(descriptor, tag)
    return descriptor
  }

  /** Points `tag` at a descriptor, replacing an older entry with the same tag. */
  async tag(descriptor: Descriptor, tag: string): Promise<void> {
    const existing = this.entries.findIndex((entry) => entry.annotations?.[REF_NAME_ANNOTATION] === tag)
    if (existing >= 0) this.entries.splice(existing, 1)
    const { mediaType, digest, size, platform } = descriptor
    this.entries.push({
      mediaType,
      digest,
      size,
      ...(platform && { platform }),
      annotations: { [REF_NAME_ANNOTATION]: tag },
    })
    await this.saveIndex()
  }

  private async saveIndex(): Promise<void> {
    const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: this.entries }
    await writeFile(join(this.directory, 'index.json'), JSON.stringify(index))
  }
}

/** Reads what a layout's index.json says a tag points at (any layout, e.g. one skopeo wrote). */
export async function readLayoutTag(directory: string, tag: string): Promise<Descriptor | undefined> {
  const index = JSON.parse(await readFile(join(directory, 'index.json'), 'utf8')) as {
    manifests: Descriptor[]
  }
  return index.manifests.find((entry) => entry.annotations?.[REF_NAME_ANNOTATION] === tag)
}

/** Reads a blob of a layout by digest. */
export async function readLayoutBlob(directory: string, digest: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(join(directory, 'blobs/sha256', hexOf(digest))))
}
