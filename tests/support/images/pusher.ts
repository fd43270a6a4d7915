/**
 * @module
 * A raw HTTP pusher for crash tests: pushes one random image after another (chunked blob uploads,
 * then a manifest PUT by tag) and records each image the registry acknowledged with 201, until
 * told to stop. Errors after the stop request are the expected result of killing the server.
 */
import { randomBytes, randomInt } from 'node:crypto'
import { MediaType, manifestBytes, sha256Digest, type Descriptor } from '../oci-layout'
import { putManifest, uploadBlobInChunks } from '../registry-api'

export interface AcknowledgedImage {
  repository: string
  tag: string
  manifestDigest: string
  blobs: Descriptor[]
}

export interface PusherOptions {
  baseUrl: string
  repositories: string[]
  /** Prefix that keeps this pusher's tags apart from every other pusher's. */
  tagPrefix: string
  minLayerBytes: number
  maxLayerBytes: number
  chunkBytes: number
  /** Set before the server is killed, so the failures that follow are expected. */
  stop: { requested: boolean }
  acknowledged: AcknowledgedImage[]
}

/** Pushes until `stop.requested`; throws only for failures that happen while the server should be up. */
export async function pushUntilStopped(options: PusherOptions): Promise<void> {
  for (let count = 0; !options.stop.requested; count++) {
    try {
      await pushOneImage(options, `${options.tagPrefix}-${count}`)
    } catch (error) {
      if (options.stop.requested) return
      throw error
    }
  }
}

async function pushOneImage(options: PusherOptions, tag: string): Promise<void> {
  const repository = options.repositories[randomInt(options.repositories.length)]!
  const layerData = randomBytes(randomInt(options.minLayerBytes, options.maxLayerBytes + 1))
  const configData = new TextEncoder().encode(JSON.stringify({ architecture: 'amd64', os: 'linux', tag }))
  const layer = await uploadDescriptor(options, repository, layerData, 'application/vnd.oci.image.layer.v1.tar')
  const config = await uploadDescriptor(options, repository, configData, MediaType.ociConfig)
  const manifest = manifestBytes({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config,
    layers: [layer],
  })
  const response = await putManifest(options.baseUrl, repository, tag, manifest, MediaType.ociManifest)
  const body = await response.text()
  if (response.status !== 201) throw new Error(`PUT manifest ${repository}:${tag}: ${response.status} ${body}`)
  options.acknowledged.push({
    repository,
    tag,
    manifestDigest: sha256Digest(manifest),
    blobs: [config, layer],
  })
}

async function uploadDescriptor(
  options: PusherOptions,
  repository: string,
  data: Uint8Array,
  mediaType: string,
): Promise<Descriptor> {
  const digest = await uploadBlobInChunks(options.baseUrl, repository, data, options.chunkBytes)
  return { mediaType, digest, size: data.byteLength }
}
