/**
 * @module
 * Test content, built offline in milliseconds: single-platform images with random data (real
 * gzipped tar layers whose diff_ids match, so podman can unpack them), a multi-platform OCI index,
 * and the artifacts users store in zot: a Helm chart, a cosign signature tag and an SBOM that
 * refers to its image through `subject`.
 */
import { randomBytes } from 'node:crypto'
import { MediaType, type OciLayout, sha256Digest, hexOf, type Descriptor, type Platform } from '../oci-layout'

export interface BuiltImage {
  /** The manifest (or index) descriptor, as index.json and the registry report it. */
  manifest: Descriptor
  /** Every blob the manifest needs, config first; child manifests for an index. */
  blobs: Descriptor[]
}

export interface RandomImageOptions {
  platform?: Platform
  layerCount?: number
  layerBytes?: number
}

const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' }

/** An image of `layerCount` layers, each a tar with one file of fresh random bytes. */
export async function buildRandomImage(
  layout: OciLayout,
  tag: string | undefined,
  options: RandomImageOptions = {},
): Promise<BuiltImage> {
  const platform = options.platform ?? DEFAULT_PLATFORM
  const layerContents = Array.from({ length: options.layerCount ?? 1 }, (_, index) =>
    tarArchive([{ name: `random-${index}.bin`, data: randomBytes(options.layerBytes ?? 32 * 1024) }]),
  )
  const layers = await Promise.all(
    layerContents.map((tar) => layout.putBlob(Bun.gzipSync(tar, { level: 1 }), MediaType.ociLayerGzip)),
  )
  const config = await layout.putBlob(
    JSON.stringify({
      ...platform,
      config: { Env: ['PATH=/usr/bin'] },
      rootfs: { type: 'layers', diff_ids: layerContents.map((tar) => sha256Digest(tar)) },
      history: layerContents.map(() => ({ created_by: 'zot-bun e2e test' })),
    }),
    MediaType.ociConfig,
  )
  const manifest = await layout.putManifest(
    {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config,
      layers,
    },
    tag,
    { platform },
  )
  return { manifest, blobs: [config, ...layers] }
}

/** An OCI index over one random image per platform. */
export async function buildMultiPlatformIndex(
  layout: OciLayout,
  tag: string,
  platforms: Platform[],
): Promise<BuiltImage> {
  const images = []
  for (const platform of platforms) images.push(await buildRandomImage(layout, undefined, { platform }))
  const manifest = await layout.putManifest(
    {
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      manifests: images.map((image) => image.manifest),
    },
    tag,
  )
  return { manifest, blobs: images.flatMap((image) => [image.manifest, ...image.blobs]) }
}

/** A Helm chart as `helm push` stores it: chart metadata as config, the .tgz as the one layer. */
export async function buildHelmChart(layout: OciLayout, tag: string): Promise<BuiltImage> {
  const description = randomBytes(8).toString('hex')
  const chartYaml = `apiVersion: v2\nname: demo\nversion: ${tag}\ndescription: ${description}\n`
  const config = await layout.putBlob(
    JSON.stringify({ apiVersion: 'v2', name: 'demo', version: tag }),
    'application/vnd.cncf.helm.config.v1+json',
  )
  const chart = await layout.putBlob(
    Bun.gzipSync(tarArchive([{ name: 'demo/Chart.yaml', data: new TextEncoder().encode(chartYaml) }])),
    'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
  )
  const manifest = await layout.putManifest(
    {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config,
      layers: [chart],
      annotations: {
        'org.opencontainers.image.title': 'demo',
        'org.opencontainers.image.version': tag,
      },
    },
    tag,
  )
  return { manifest, blobs: [config, chart] }
}

/** The tag cosign stores a signature of `subjectDigest` under: `sha256-<hex>.sig`. */
export function cosignSignatureTag(subjectDigest: string): string {
  return `sha256-${hexOf(subjectDigest)}.sig`
}

export const COSIGN_PAYLOAD_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json'

/** The simple-signing payload cosign signs: it names `repository` and the signed manifest. */
export function cosignPayload(repository: string, subjectDigest: string): string {
  return JSON.stringify({
    critical: {
      identity: { 'docker-reference': repository },
      image: { 'docker-manifest-digest': subjectDigest },
      type: 'cosign container image signature',
    },
    optional: null,
  })
}

/** The image config of a cosign signature: its one layer is the payload. */
export function cosignConfig(payloadDigest: string): string {
  return JSON.stringify({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [payloadDigest] } })
}

/** A cosign signature (legacy tag scheme): simple-signing payload, signature in an annotation. */
export async function buildCosignSignature(
  layout: OciLayout,
  subject: Descriptor,
  repository: string,
): Promise<BuiltImage> {
  const payload = await layout.putBlob(cosignPayload(repository, subject.digest), COSIGN_PAYLOAD_TYPE, {
    annotations: { 'dev.cosignproject.cosign/signature': randomBytes(64).toString('base64') },
  })
  const config = await layout.putBlob(cosignConfig(payload.digest), MediaType.ociConfig)
  const manifest = await layout.putManifest(
    {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config,
      layers: [payload],
    },
    cosignSignatureTag(subject.digest),
  )
  return { manifest, blobs: [config, payload] }
}

export const SBOM_ARTIFACT_TYPE = 'application/spdx+json'

export interface ArtifactOptions {
  artifactType: string
  /** The one layer, stored with `artifactType` as its media type. */
  content: string
  subject?: Descriptor
  annotations?: Record<string, string>
}

/** An OCI 1.1 artifact: empty config, `artifactType`, one layer, optionally a `subject`. */
export async function buildArtifact(layout: OciLayout, tag: string, options: ArtifactOptions): Promise<BuiltImage> {
  const emptyConfig = await layout.putBlob('{}', MediaType.ociEmpty)
  const content = await layout.putBlob(options.content, options.artifactType)
  const subject = options.subject && {
    mediaType: options.subject.mediaType,
    digest: options.subject.digest,
    size: options.subject.size,
  }
  const manifest = await layout.putManifest(
    {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      artifactType: options.artifactType,
      config: emptyConfig,
      layers: [content],
      ...(subject && { subject }),
      ...(options.annotations && { annotations: options.annotations }),
    },
    tag,
    {
      artifactType: options.artifactType,
      ...(options.annotations && { annotations: options.annotations }),
    },
  )
  return { manifest, blobs: [emptyConfig, content] }
}

/** An SPDX SBOM referring to its image through `subject`. */
export function buildSbom(layout: OciLayout, subject: Descriptor, tag: string): Promise<BuiltImage> {
  return buildArtifact(layout, tag, {
    artifactType: SBOM_ARTIFACT_TYPE,
    content: JSON.stringify({
      spdxVersion: 'SPDX-2.3',
      name: `sbom-${randomBytes(6).toString('hex')}`,
      packages: [],
    }),
    subject,
    annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' },
  })
}

interface TarEntry {
  name: string
  data: Uint8Array
}

const TAR_BLOCK = 512

/** A ustar archive of regular files (mode 0644, owned by root, mtime 0): enough for a layer. */
export function tarArchive(entries: TarEntry[]): Uint8Array<ArrayBuffer> {
  const padded = (size: number) => Math.ceil(size / TAR_BLOCK) * TAR_BLOCK
  const total = entries.reduce((sum, entry) => sum + TAR_BLOCK + padded(entry.data.byteLength), 0) + 2 * TAR_BLOCK
  const archive = new Uint8Array(total)
  let offset = 0
  for (const entry of entries) {
    archive.set(tarHeader(entry.name, entry.data.byteLength), offset)
    archive.set(entry.data, offset + TAR_BLOCK)
    offset += TAR_BLOCK + padded(entry.data.byteLength)
  }
  return archive
}

function tarHeader(name: string, size: number): Uint8Array {
  const header = new Uint8Array(TAR_BLOCK)
  const put = (text: string, at: number) => header.set(new TextEncoder().encode(text), at)
  const octal = (value: number, width: number) => `${value.toString(8).padStart(width - 1, '0')}\0`
  if (name.length > 100) throw new Error(`tar entry name too long: ${name}`)
  put(name, 0)
  put(octal(0o644, 8), 100)
  put(octal(0, 8), 108)
  put(octal(0, 8), 116)
  put(octal(size, 12), 124)
  put(octal(0, 12), 136)
  put('        ', 148) // the checksum is computed with its own field as spaces
  put('0', 156)
  put('ustar\u000000', 257)
  const checksum = header.reduce((sum, byte) => sum + byte, 0)
  put(`${checksum.toString(8).padStart(6, '0')}\0 `, 148)
  return header
}
