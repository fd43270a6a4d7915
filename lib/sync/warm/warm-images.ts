/**
 * @module
 * Warming images into a running server's cache: for each image its manifest, for an index the
 * children of the platforms wanted (the `--platform` options, else the platforms of the registry
 * entry that serves the image, else all), then every blob by GET, its bytes discarded once
 * hashed and checked. The server stores what it pulls through as for any client, so afterwards
 * the images pull with the upstream gone. A few blobs at a time for all images together; a blob
 * two images share is read once. One image failing does not stop the others.
 */
import type { Descriptor } from '../../oci/manifest'
import { platformLabel, platformWanted, type PlatformSpec } from '../platforms'
import { RequestLimiter } from '../upstream/request-limiter'
import type { ServerClient, ServerManifest } from './server-client'
import type { WarmTarget } from './warm-target'

/** An image the command line named, or why it cannot be warmed (a malformed name). */
export type WarmRequest = WarmTarget | { image: string; error: string }

export interface WarmResult {
  image: string
  repository?: string
  reference?: string
  /** The manifest (or index) digest the reference resolved to. */
  digest?: string
  /** Platforms warmed (index children); empty for a single-platform image. */
  platforms: string[]
  blobs: number
  bytes: number
  /** Why the image was not warmed wholly. */
  error?: string
}

export interface WarmProgressState {
  imagesDone: number
  imagesTotal: number
  /** Bytes read, and the sum of the blobs of the manifests read so far. */
  bytesDone: number
  bytesTotal: number
}

export interface WarmOptions {
  client: ServerClient
  requests: readonly WarmRequest[]
  /** `--platform`: replaces each image's own platforms; undefined keeps them. */
  platforms?: readonly PlatformSpec[]
  /** Blobs read at once, for all images together. */
  concurrency: number
  /** Told of every change (each chunk read): throttle before drawing. */
  onProgress?(state: WarmProgressState): void
  /** Told of each image once it is done or failed. */
  onImage?(result: WarmResult): void
}

/** Warms every image; resolves with one result per request, in their order. */
export async function warmImages(options: WarmOptions): Promise<WarmResult[]> {
  const state: WarmProgressState = { imagesDone: 0, imagesTotal: options.requests.length, bytesDone: 0, bytesTotal: 0 }
  const changed = (): void => options.onProgress?.(state)
  const blobs = new RequestLimiter(Math.max(1, options.concurrency), Number.POSITIVE_INFINITY)
  const reads = new Map<string, Promise<void>>()

  const readBlob = (repository: string, blob: Descriptor): Promise<void> => {
    const key = `${repository}@${blob.digest}`
    let read = reads.get(key)
    if (!read) {
      state.bytesTotal += blob.size
      read = (async () => {
        const release = await blobs.acquire()
        try {
          await options.client.blob(repository, blob.digest, blob.size, (bytes) => {
            state.bytesDone += bytes
            changed()
          })
        } finally {
          release()
        }
      })()
      reads.set(key, read)
    }
    return read
  }

  const warmOne = async (request: WarmRequest): Promise<WarmResult> => {
    const result: WarmResult = { image: request.image, platforms: [], blobs: 0, bytes: 0 }
    try {
      if ('error' in request) throw new Error(request.error)
      Object.assign(result, { repository: request.repository, reference: request.reference })
      const top = await options.client.manifest(request.repository, request.reference)
      result.digest = top.digest
      const images = await imagesOf(options.client, request, top, options.platforms ?? request.platforms, result)
      const needed = uniqueBlobs(images)
      result.blobs = needed.length
      result.bytes = needed.reduce((sum, blob) => sum + blob.size, 0)
      changed()
      const failures = (await Promise.allSettled(needed.map((blob) => readBlob(request.repository, blob)))).filter(
        (outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected',
      )
      if (failures.length > 0) {
        const reason = failures[0]!.reason as Error
        const more = failures.length > 1 ? ` (and ${failures.length - 1} more blobs)` : ''
        throw new Error(`${reason.message}${more}`)
      }
    } catch (error) {
      result.error = (error as Error).message
    }
    state.imagesDone++
    changed()
    options.onImage?.(result)
    return result
  }

  return Promise.all(options.requests.map(warmOne))
}

/** The image manifests to warm: the manifest itself, or an index's wanted children (read here). */
async function imagesOf(
  client: ServerClient,
  target: WarmTarget,
  top: ServerManifest,
  platforms: readonly PlatformSpec[],
  result: WarmResult,
): Promise<ServerManifest[]> {
  if (top.info.kind !== 'index') return [top]
  const children = top.info.manifests.filter((child) => platformWanted(child, platforms))
  if (children.length === 0) {
    const offered = top.info.manifests.map((child) => platformLabel(child.platform)).join(', ')
    throw new Error(`no platform of the index is wanted (it has ${offered})`)
  }
  const images: ServerManifest[] = []
  for (const child of children) {
    const manifest = await client.manifest(target.repository, child.digest)
    images.push(...(await imagesOf(client, target, manifest, platforms, result)))
  }
  result.platforms = children.map((child) => platformLabel(child.platform))
  return images
}

function uniqueBlobs(images: readonly ServerManifest[]): Descriptor[] {
  const byDigest = new Map<string, Descriptor>()
  for (const image of images) for (const blob of image.info.blobs) byDigest.set(blob.digest, blob)
  return [...byDigest.values()]
}
