/**
 * @module
 * Test images pushed straight to an upstream over the distribution API (our registry or
 * docker-registry, with optional credentials): OCI or Docker v2s2 manifests over random layers,
 * multi-platform indexes, and referrers. Everything is computed here, so a test knows every
 * digest the cache must reproduce.
 */
import { MediaType, manifestBytes, sha256Digest, type Descriptor } from '../../support/oci-layout'

export interface PushTarget {
  url: string
  /** Extra headers on every request (e.g. Basic credentials). */
  headers?: Record<string, string>
  /** A self-signed HTTPS upstream. */
  insecure?: boolean
}

const tlsOf = (target: PushTarget) => (target.insecure ? { tls: { rejectUnauthorized: false } } : {})

export interface PushedImage {
  digest: string
  mediaType: string
  bytes: Uint8Array
  /** Config first, then layers. */
  blobs: Descriptor[]
}

export function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(size)
  for (let offset = 0; offset < size; offset += 65536)
    crypto.getRandomValues(data.subarray(offset, Math.min(size, offset + 65536)))
  return data
}

async function expect2xx(response: Response, what: string): Promise<Response> {
  if (response.status >= 300) throw new Error(`${what}: ${response.status} ${await response.text()}`)
  return response
}

/** Uploads a blob (POST session, PUT with the whole body), as every registry accepts. */
export async function pushBlob(
  target: PushTarget,
  repository: string,
  data: Uint8Array,
  mediaType: string,
): Promise<Descriptor> {
  const digest = sha256Digest(data)
  const start = await expect2xx(
    await fetch(`${target.url}/v2/${repository}/blobs/uploads/`, {
      method: 'POST',
      headers: target.headers,
      ...tlsOf(target),
    }),
    `POST upload ${repository}`,
  )
  await start.arrayBuffer()
  const location = new URL(start.headers.get('Location') ?? '', target.url)
  location.searchParams.set('digest', digest)
  const put = await fetch(location, {
    method: 'PUT',
    body: data,
    headers: { ...target.headers, 'Content-Type': 'application/octet-stream' },
    ...tlsOf(target),
  })
  await (await expect2xx(put, `PUT blob ${digest}`)).arrayBuffer()
  return { mediaType, digest, size: data.byteLength }
}

export async function pushManifest(
  target: PushTarget,
  repository: string,
  reference: string,
  bytes: Uint8Array,
  mediaType: string,
): Promise<string> {
  const response = await fetch(`${target.url}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    body: bytes,
    headers: { ...target.headers, 'Content-Type': mediaType },
    ...tlsOf(target),
  })
  await (await expect2xx(response, `PUT manifest ${repository}:${reference}`)).arrayBuffer()
  return sha256Digest(bytes)
}

export interface ImageOptions {
  /** Layer sizes in bytes (default: two small layers). */
  layers?: number[]
  /** `docker` pushes a Docker v2 schema 2 manifest. */
  format?: 'oci' | 'docker'
  architecture?: string
  /** Push under this tag; by digest when absent. */
  tag?: string
  subject?: Descriptor
  artifactType?: string
}

/** Pushes an image (blobs, then the manifest) and returns what the registry now holds. */
export async function pushImage(
  target: PushTarget,
  repository: string,
  options: ImageOptions = {},
): Promise<PushedImage> {
  const docker = options.format === 'docker'
  const configBytes = new TextEncoder().encode(
    JSON.stringify({
      architecture: options.architecture ?? 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
      nonce: crypto.randomUUID(),
    }),
  )
  const config = await pushBlob(
    target,
    repository,
    configBytes,
    docker ? 'application/vnd.docker.container.image.v1+json' : MediaType.ociConfig,
  )
  const layers: Descriptor[] = []
  for (const size of options.layers ?? [2048, 4096]) {
    layers.push(
      await pushBlob(
        target,
        repository,
        randomBytes(size),
        docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : MediaType.ociLayerGzip,
      ),
    )
  }
  const mediaType = docker ? MediaType.dockerManifest : MediaType.ociManifest
  const bytes = manifestBytes({
    schemaVersion: 2,
    mediaType,
    ...(options.artifactType && { artifactType: options.artifactType }),
    config,
    layers,
    ...(options.subject && { subject: options.subject }),
  })
  const digest = await pushManifest(target, repository, options.tag ?? sha256Digest(bytes), bytes, mediaType)
  return { digest, mediaType, bytes, blobs: [config, ...layers] }
}

/** Pushes one image per architecture and an index (OCI or Docker manifest list) over them. */
export async function pushIndex(
  target: PushTarget,
  repository: string,
  tag: string,
  architectures: string[],
  format: 'oci' | 'docker' = 'oci',
): Promise<{ digest: string; mediaType: string; children: PushedImage[] }> {
  const children: PushedImage[] = []
  for (const architecture of architectures) children.push(await pushImage(target, repository, { architecture, format }))
  const mediaType = format === 'docker' ? MediaType.dockerManifestList : MediaType.ociIndex
  const bytes = manifestBytes({
    schemaVersion: 2,
    mediaType,
    manifests: children.map((child, i) => ({
      mediaType: child.mediaType,
      digest: child.digest,
      size: child.bytes.byteLength,
      platform: { os: 'linux', architecture: architectures[i] },
    })),
  })
  return {
    digest: await pushManifest(target, repository, tag, bytes, mediaType),
    mediaType,
    children,
  }
}

export const descriptorOf = (image: PushedImage): Descriptor => ({
  mediaType: image.mediaType,
  digest: image.digest,
  size: image.bytes.byteLength,
})

/** GET through a registry: status, digest header and body digest. */
export async function pullManifest(
  url: string,
  repository: string,
  reference: string,
  init: RequestInit = {},
): Promise<{
  status: number
  digest: string | null
  bodyDigest: string
  contentType: string | null
  headers: Headers
}> {
  const response = await fetch(`${url}/v2/${repository}/manifests/${reference}`, {
    ...init,
    headers: {
      Accept: [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest].join(
        ', ',
      ),
      ...init.headers,
    },
  })
  const body = new Uint8Array(await response.arrayBuffer())
  return {
    status: response.status,
    digest: response.headers.get('Docker-Content-Digest'),
    bodyDigest: sha256Digest(body),
    contentType: response.headers.get('Content-Type'),
    headers: response.headers,
  }
}

/** GET a blob through a registry; returns its status and the digest of what arrived. */
export async function pullBlob(
  url: string,
  repository: string,
  digest: string,
): Promise<{ status: number; digest: string; size: number }> {
  const response = await fetch(`${url}/v2/${repository}/blobs/${digest}`)
  const hasher = new Bun.CryptoHasher('sha256')
  let size = 0
  for await (const chunk of response.body ?? new ReadableStream<Uint8Array>()) {
    hasher.update(chunk)
    size += chunk.byteLength
  }
  return { status: response.status, digest: `sha256:${hasher.digest('hex')}`, size }
}
