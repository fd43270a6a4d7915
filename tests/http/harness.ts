/**
 * @module
 * In-process harness: a registry on fresh storage behind the real app, called with
 * `app.request()` (no sockets), plus helpers that push content the way clients do. The storage is
 * a temp directory, or a fresh S3 bucket with `ZOT_TEST_STORAGE=s3` (support/storage-under-test).
 */
import { afterAll } from 'bun:test'
import { createApp } from '../../lib/http/app'
import { silentLogger } from '../../lib/log/logger'
import { digestOf } from '../../lib/oci/digest'
import { MediaType } from '../../lib/oci/media-types'
import type { Registry } from '../../lib/registry/registry'
import { testStorageConfig } from '../support/config'
import { createTestStorage, type TestStorage } from '../support/storage-under-test'

export interface Harness {
  /** zot's `storage.rootDirectory`: the data on disk, local metadata only with S3. */
  rootDirectory: string
  registry: Registry
  request(path: string, init?: RequestInit): Promise<Response>
}

/** A harness on the storage under test. */
export interface StorageHarness extends Harness {
  /** What the registry stored, seen behind its back (files on disk, objects in the bucket). */
  storage: TestStorage
}

export async function makeHarness(): Promise<StorageHarness> {
  const storage = await createTestStorage({ label: 'http' })
  // Registered per call: bun evaluates this module once per process, so a hook at its top level
  // would belong to the first test file only and never clean up after the others.
  afterAll(() => storage.remove())
  const { registry } = await storage.openStore()
  const { redirectBlobURL } = testStorageConfig(storage.config)
  const app = createApp({ registry, logger: silentLogger(), redirectBlobs: redirectBlobURL })
  return {
    rootDirectory: storage.rootDirectory,
    storage,
    registry,
    request: async (path, init) => app.request(`http://registry.test${path}`, init),
  }
}

export const bytes = (text: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(text)

export function randomBlob(size: number): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(size)
  for (let offset = 0; offset < size; offset += 65536)
    crypto.getRandomValues(data.subarray(offset, Math.min(size, offset + 65536)))
  return data
}

/** Pushes a blob monolithically and returns its digest. */
export async function pushBlob(h: Harness, repository: string, data: Uint8Array): Promise<string> {
  const digest = digestOf(data)
  const response = await h.request(`/v2/${repository}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: data })
  if (response.status !== 201) throw new Error(`blob push failed: ${response.status} ${await response.text()}`)
  return digest
}

export interface PushedImage {
  manifest: Uint8Array<ArrayBuffer>
  digest: string
  config: string
  layers: string[]
}

/** Builds an OCI image manifest over freshly pushed blobs (not yet pushed itself). */
export async function buildImage(
  h: Harness,
  repository: string,
  options: { layers?: number; extra?: Record<string, unknown> } = {},
): Promise<PushedImage> {
  const configBytes = bytes(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
      nonce: crypto.randomUUID(),
    }),
  )
  const config = await pushBlob(h, repository, configBytes)
  const layers: string[] = []
  const layerDescriptors = []
  for (let i = 0; i < (options.layers ?? 1); i++) {
    const data = randomBlob(1024 + i)
    layers.push(await pushBlob(h, repository, data))
    layerDescriptors.push({
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: layers[i],
      size: data.length,
    })
  }
  const manifest = bytes(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: configBytes.length },
      layers: layerDescriptors,
      ...options.extra,
    }),
  )
  return { manifest, digest: digestOf(manifest), config, layers }
}

export async function putManifest(
  h: Harness,
  repository: string,
  reference: string,
  manifest: Uint8Array,
  mediaType: string = MediaType.ociManifest,
): Promise<Response> {
  return h.request(`/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    body: manifest,
    headers: { 'Content-Type': mediaType },
  })
}

/** Pushes an image under a tag; returns it. */
export async function pushImage(
  h: Harness,
  repository: string,
  tag: string,
  options: { layers?: number; extra?: Record<string, unknown> } = {},
): Promise<PushedImage> {
  const image = await buildImage(h, repository, options)
  const response = await putManifest(h, repository, tag, image.manifest)
  if (response.status !== 201) throw new Error(`manifest push failed: ${response.status} ${await response.text()}`)
  return image
}

/** The first error code of a spec error body. */
export async function errorCode(response: Response): Promise<string | undefined> {
  const body = (await response.json()) as { errors?: { code: string }[] }
  return body.errors?.[0]?.code
}
