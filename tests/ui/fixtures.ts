/**
 * @module
 * The images the UI tests browse, pushed over HTTP with credentials: a two-platform index with
 * annotations and history, a cosign-signed image with an SPDX SBOM referrer, a riscv64-only
 * image, a repository only admins may read, and content under a pull-through (sync) name.
 */
import { basicAuthorization } from '../../lib/auth/basic-credentials'
import { COSIGN_PAYLOAD_TYPE, cosignConfig, cosignPayload, cosignSignatureTag } from '../support/images/images'
import { MediaType, manifestBytes, sha256Digest, type Descriptor } from '../support/oci-layout'

export interface Pusher {
  origin: string
  username: string
  password: string
  /** How requests travel; the global fetch by default (an in-process `app.request` otherwise). */
  send?: (url: string, init: RequestInit) => Response | Promise<Response>
}

const sendOf = (pusher: Pusher) => pusher.send ?? ((url: string, init: RequestInit) => fetch(url, init))

const headers = (pusher: Pusher, extra: Record<string, string> = {}) => ({
  Authorization: basicAuthorization(pusher.username, pusher.password),
  ...extra,
})

async function pushBlob(pusher: Pusher, repository: string, body: string | Uint8Array, mediaType: string) {
  const data = typeof body === 'string' ? new TextEncoder().encode(body) : body
  const digest = sha256Digest(data)
  const response = await sendOf(pusher)(`${pusher.origin}/v2/${repository}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    body: data,
    headers: headers(pusher, { 'Content-Type': 'application/octet-stream' }),
  })
  if (response.status !== 201) throw new Error(`blob push ${repository}: ${response.status} ${await response.text()}`)
  return { mediaType, digest, size: data.byteLength } satisfies Descriptor
}

async function pushManifest(pusher: Pusher, repository: string, reference: string | undefined, manifest: object) {
  const bytes = manifestBytes(manifest)
  const digest = sha256Digest(bytes)
  const mediaType = (manifest as { mediaType: string }).mediaType
  const response = await sendOf(pusher)(`${pusher.origin}/v2/${repository}/manifests/${reference ?? digest}`, {
    method: 'PUT',
    body: bytes,
    headers: headers(pusher, { 'Content-Type': mediaType }),
  })
  if (response.status !== 201)
    throw new Error(`manifest push ${repository}: ${response.status} ${await response.text()}`)
  return { mediaType, digest, size: bytes.byteLength } satisfies Descriptor
}

export interface ImageOptions {
  os?: string
  arch?: string
  /** Dockerfile-like commands; each makes one layer. */
  commands?: string[]
  annotations?: Record<string, string>
}

/** An OCI image (config with history, one layer per command); pushed by `tag` or by digest. */
export async function pushImage(
  pusher: Pusher,
  repository: string,
  tag: string | undefined,
  options: ImageOptions = {},
) {
  const commands = options.commands ?? ['ADD rootfs.tar /']
  const layers: Descriptor[] = []
  for (const command of commands) {
    layers.push(await pushBlob(pusher, repository, `${command}\n${crypto.randomUUID()}`, MediaType.ociLayerGzip))
  }
  const config = await pushBlob(
    pusher,
    repository,
    JSON.stringify({
      architecture: options.arch ?? 'amd64',
      os: options.os ?? 'linux',
      created: '2026-01-02T03:04:05Z',
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.digest) },
      history: commands.map((command) => ({ created: '2026-01-02T03:04:05Z', created_by: command })),
    }),
    MediaType.ociConfig,
  )
  const manifest = await pushManifest(pusher, repository, tag, {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config,
    layers,
    ...(options.annotations && { annotations: options.annotations }),
  })
  return manifest
}

/** An index of one image per platform. */
export async function pushIndex(
  pusher: Pusher,
  repository: string,
  tag: string,
  platforms: { os: string; arch: string; commands: string[] }[],
  annotations: Record<string, string>,
) {
  const manifests = []
  for (const platform of platforms) {
    const image = await pushImage(pusher, repository, undefined, platform)
    manifests.push({ ...image, platform: { os: platform.os, architecture: platform.arch } })
  }
  return pushManifest(pusher, repository, tag, {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests,
    annotations,
  })
}

/** A cosign signature of `subject` under cosign's `sha256-<hex>.sig` tag. */
export async function pushCosignSignature(pusher: Pusher, repository: string, subject: Descriptor) {
  const payload = await pushBlob(pusher, repository, cosignPayload(repository, subject.digest), COSIGN_PAYLOAD_TYPE)
  const config = await pushBlob(pusher, repository, cosignConfig(payload.digest), MediaType.ociConfig)
  return pushManifest(pusher, repository, cosignSignatureTag(subject.digest), {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config,
    layers: [{ ...payload, annotations: { 'dev.cosignproject.cosign/signature': btoa('signature') } }],
  })
}

export const SBOM_TYPE = 'application/spdx+json'

/** An SPDX SBOM referring to `subject` (OCI 1.1 artifact, no tag). */
export async function pushSbom(pusher: Pusher, repository: string, subject: Descriptor) {
  const empty = await pushBlob(pusher, repository, '{}', MediaType.ociEmpty)
  const sbom = await pushBlob(pusher, repository, JSON.stringify({ spdxVersion: 'SPDX-2.3', packages: [] }), SBOM_TYPE)
  return pushManifest(pusher, repository, undefined, {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: SBOM_TYPE,
    config: empty,
    layers: [sbom],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: { 'org.opencontainers.image.created': '2026-01-02T03:04:05Z' },
  })
}

/** Every fixture; returns the digests the tests look for. `upstream` is the sync rule's registry. */
export async function pushFixtures(admin: Pusher, upstream: Pusher) {
  const web = await pushIndex(
    admin,
    'apps/web',
    '1.0',
    [
      { os: 'linux', arch: 'amd64', commands: ['ADD alpine-amd64.tar /', 'RUN apk add --no-cache nginx'] },
      { os: 'linux', arch: 'arm64', commands: ['ADD alpine-arm64.tar /', 'RUN apk add --no-cache nginx-arm'] },
    ],
    {
      'org.opencontainers.image.title': 'web',
      'org.opencontainers.image.description': 'The web frontend',
      'org.opencontainers.image.source': 'https://git.example.com/apps/web',
      'org.opencontainers.image.licenses': 'Apache-2.0',
      'org.opencontainers.image.vendor': 'Example Corp',
    },
  )
  await pushImage(admin, 'apps/web', 'old', { commands: ['ADD old.tar /'] })
  const signed = await pushImage(admin, 'apps/signed', 'v1', {
    commands: ['ADD debian.tar /', 'RUN useradd app'],
    annotations: { 'org.opencontainers.image.description': 'A signed service' },
  })
  await pushCosignSignature(admin, 'apps/signed', signed)
  const sbom = await pushSbom(admin, 'apps/signed', signed)
  await pushImage(admin, 'tools/riscv', 'edge', { arch: 'riscv64', commands: ['ADD riscv.tar /'] })
  const secret = await pushImage(admin, 'secret/vault', '1', {
    commands: ['ADD vault.tar /'],
    annotations: { 'org.opencontainers.image.description': 'Top secret vault' },
  })
  // Pulled through: pushed upstream as library/alpine, then pulled here as hub/library/alpine.
  await pushImage(upstream, 'library/alpine', '3.20', { commands: ['ADD alpine.tar /'] })
  const pulled = await fetch(`${admin.origin}/v2/hub/library/alpine/manifests/3.20`, {
    headers: headers(admin, { Accept: MediaType.ociManifest }),
  })
  if (pulled.status !== 200)
    throw new Error(`pull-through of hub/library/alpine: ${pulled.status} ${await pulled.text()}`)
  // Then the config and the layers, as a client's pull goes on.
  const manifest = (await pulled.json()) as { config: Descriptor; layers: Descriptor[] }
  for (const blob of [manifest.config, ...manifest.layers]) {
    const response = await fetch(`${admin.origin}/v2/hub/library/alpine/blobs/${blob.digest}`, {
      headers: headers(admin),
    })
    if (response.status !== 200) throw new Error(`pull-through of ${blob.digest}: ${response.status}`)
    await response.arrayBuffer()
  }
  // Two downloads make apps/signed the most downloaded repository.
  for (let pull = 0; pull < 2; pull++) {
    const response = await fetch(`${admin.origin}/v2/apps/signed/manifests/v1`, {
      headers: headers(admin, { Accept: MediaType.ociManifest }),
    })
    await response.arrayBuffer()
  }
  return { web, signed, sbom, secret }
}
