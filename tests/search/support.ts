/**
 * @module
 * A registry with search for the search tests: the real app from `assemble` served over HTTP
 * (Bun.serve on 127.0.0.1), and pushes the way clients make them (blobs, then manifests), built
 * here so each test states the platforms, annotations, history and signatures it queries.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import bcrypt from 'bcryptjs'
import { parseConfigText } from '../../lib/config'
import { silentLogger } from '../../lib/log/logger'
import { digestOf } from '../../lib/oci/digest'
import { MediaType } from '../../lib/oci/media-types'
import { assemble, type Runtime } from '../../lib/server/assemble'

export interface SearchRegistry {
  url: string
  rootDirectory: string
  runtime: Runtime
  /** Where its htpasswd file and data live. */
  directory: string
  /** Stops the server, keeping its data. */
  stop(): Promise<void>
  /** Stops the server and removes its data (call from afterAll). */
  close(): Promise<void>
  /** Basic credentials of a user from the htpasswd file. */
  as(user: string): Record<string, string>
  fetch(path: string, init?: RequestInit): Promise<Response>
  /** A GraphQL query by GET, as zui sends it. */
  query(query: string, headers?: Record<string, string>): Promise<{ status: number; body: GraphQLAnswer }>
}

export interface GraphQLAnswer {
  data?: Record<string, unknown> | null
  errors?: { message: string; path?: string[] }[]
}

/** Users of every test registry; the password is the name with `-pw`. */
export const USERS = ['alice', 'bob', 'admin']

/**
 * Starts a registry; `config` is merged with `{ storage: { rootDirectory } }` (the string `HTPASSWD` becomes the
 * path of a file listing USERS).
 */
export async function startSearchRegistry(
  config: Record<string, unknown>,
  /** Restart on the data of a stopped registry (its `directory`). */
  directory?: string,
): Promise<SearchRegistry> {
  directory ??= await mkdtemp(join(tmpdir(), 'zot-search-'))
  const htpasswd = join(directory, 'htpasswd')
  await writeFile(htpasswd, USERS.map((user) => `${user}:${bcrypt.hashSync(`${user}-pw`, 4)}\n`).join(''))
  const rootDirectory = join(directory, 'data')
  const storage = { rootDirectory, ...(config.storage as Record<string, unknown> | undefined) }
  const text = JSON.stringify({ ...config, storage }).replaceAll('HTPASSWD', htpasswd)
  const { config: parsed } = await parseConfigText(text, 'json', 'search test')
  const { app, runtime } = await assemble(parsed, silentLogger())
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (request) => app.fetch(request) })
  const url = `http://127.0.0.1:${server.port}`
  const registry: SearchRegistry = {
    url,
    rootDirectory,
    runtime,
    directory,
    async stop() {
      server.stop(true)
      await runtime.close()
    },
    async close() {
      await registry.stop()
      await rm(directory!, { recursive: true, force: true })
    },
    as: (user) => ({ Authorization: `Basic ${btoa(`${user}:${user}-pw`)}` }),
    fetch: (path, init) => fetch(`${url}${path}`, init),
    async query(query, headers = {}) {
      const response = await registry.fetch(`/v2/_zot/ext/search?query=${encodeURIComponent(query)}`, { headers })
      return { status: response.status, body: (await response.json()) as GraphQLAnswer }
    },
  }
  return registry
}

const json = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value))

async function pushBlob(
  registry: SearchRegistry,
  repository: string,
  data: Uint8Array,
  headers: Record<string, string>,
): Promise<string> {
  const digest = digestOf(data)
  const response = await registry.fetch(`/v2/${repository}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    body: data,
    headers,
  })
  if (response.status !== 201)
    throw new Error(`blob push to ${repository}: ${response.status} ${await response.text()}`)
  return digest
}

export interface Pushed {
  digest: string
  size: number
  mediaType: string
  /** Total of manifest, config and layers, as zot counts an image's size. */
  imageSize: number
  layers: string[]
}

export async function pushManifest(
  registry: SearchRegistry,
  repository: string,
  reference: string,
  manifest: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ digest: string; size: number; mediaType: string }> {
  const body = json(manifest)
  const mediaType = String(manifest.mediaType)
  const response = await registry.fetch(`/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    body,
    headers: { 'Content-Type': mediaType, ...headers },
  })
  if (response.status !== 201)
    throw new Error(`manifest push ${repository}:${reference}: ${response.status} ${await response.text()}`)
  return { digest: digestOf(body), size: body.byteLength, mediaType }
}

export interface ImageOptions {
  os?: string
  architecture?: string
  variant?: string
  /** Layer contents (each becomes a blob); a fresh random layer when absent. */
  layers?: Uint8Array[]
  annotations?: Record<string, string>
  labels?: Record<string, string>
  created?: string
  history?: Record<string, unknown>[]
  headers?: Record<string, string>
  /** Push by digest only (an index child). */
  untagged?: boolean
}

export const randomLayer = (): Uint8Array => crypto.getRandomValues(new Uint8Array(512))

export async function pushImage(
  registry: SearchRegistry,
  repository: string,
  tag: string,
  options: ImageOptions = {},
): Promise<Pushed> {
  const headers = options.headers ?? {}
  const layers = options.layers ?? [randomLayer()]
  const layerDescriptors = []
  for (const layer of layers) {
    layerDescriptors.push({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: await pushBlob(registry, repository, layer, headers),
      size: layer.byteLength,
    })
  }
  const config = json({
    ...(options.created && { created: options.created }),
    architecture: options.architecture ?? 'amd64',
    os: options.os ?? 'linux',
    ...(options.variant && { variant: options.variant }),
    config: { Labels: options.labels ?? {} },
    rootfs: { type: 'layers', diff_ids: layerDescriptors.map((layer) => layer.digest) },
    ...(options.history && { history: options.history }),
  })
  const configDigest = await pushBlob(registry, repository, config, headers)
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.byteLength },
    layers: layerDescriptors,
    ...(options.annotations && { annotations: options.annotations }),
  }
  const pushed = await pushManifest(
    registry,
    repository,
    options.untagged ? digestOf(json(manifest)) : tag,
    manifest,
    headers,
  )
  return {
    ...pushed,
    imageSize: pushed.size + config.byteLength + layers.reduce((sum, layer) => sum + layer.byteLength, 0),
    layers: layerDescriptors.map((layer) => layer.digest),
  }
}

/** A multi-platform index of freshly pushed images. */
export async function pushIndex(
  registry: SearchRegistry,
  repository: string,
  tag: string,
  platforms: { os: string; architecture: string; variant?: string }[],
  annotations?: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ digest: string; children: Pushed[] }> {
  const children: Pushed[] = []
  for (const platform of platforms)
    children.push(await pushImage(registry, repository, '', { ...platform, untagged: true, headers }))
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: children.map((child, i) => ({
      mediaType: child.mediaType,
      digest: child.digest,
      size: child.size,
      platform: platforms[i],
    })),
    ...(annotations && { annotations }),
  }
  const { digest } = await pushManifest(registry, repository, tag, index, headers)
  return { digest, children }
}

const EMPTY_CONFIG = new TextEncoder().encode('{}')

/** An OCI 1.1 artifact referring to `subject` (a notation signature, an SBOM...). */
export async function pushReferrer(
  registry: SearchRegistry,
  repository: string,
  subject: { digest: string; size: number; mediaType: string },
  artifactType: string,
  annotations: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<string> {
  const config = await pushBlob(registry, repository, EMPTY_CONFIG, headers)
  const payload = randomLayer()
  const layer = await pushBlob(registry, repository, payload, headers)
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType,
    config: { mediaType: MediaType.ociEmpty, digest: config, size: EMPTY_CONFIG.byteLength },
    layers: [{ mediaType: 'application/octet-stream', digest: layer, size: payload.byteLength }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  }
  const body = json(manifest)
  return (await pushManifest(registry, repository, digestOf(body), manifest, headers)).digest
}

/** cosign's tag-based signature: `sha256-<hex>.sig` holding a simple-signing payload layer. */
export async function pushCosignSignature(
  registry: SearchRegistry,
  repository: string,
  subject: string,
): Promise<string> {
  const payload = json({
    critical: { image: { 'docker-manifest-digest': subject }, type: 'cosign container image signature' },
  })
  const layer = await pushBlob(registry, repository, payload, {})
  const config = json({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [layer] } })
  const configDigest = await pushBlob(registry, repository, config, {})
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.byteLength },
    layers: [
      {
        mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
        digest: layer,
        size: payload.byteLength,
        annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ==' },
      },
    ],
  }
  return (await pushManifest(registry, repository, `${subject.replace(':', '-')}.sig`, manifest)).digest
}
