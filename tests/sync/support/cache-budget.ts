/**
 * @module
 * Helpers of the cache budget tests: a whole verified pull through the cache, metric values from
 * the Prometheus endpoint, the cache's config, what the storage holds of an image, and a cache
 * served on a small tmpfs, with an upstream holding images to pull through it.
 */
import { afterAll, beforeAll } from 'bun:test'
import { access, statfs, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from '../../support/clients'
import { startRegistry, type RunningRegistry } from '../../support/server'
import { createTestStorage, type TestStorage } from '../../support/storage-under-test'
import { pullBlob, pullManifest, pushImage, type PushedImage } from './content'
import { startDockerRegistry, type DockerRegistry } from './docker-registry'

/** Pulls an image's manifest and every blob through `url`; throws unless each digest is right. */
export async function pullVerified(url: string, repository: string, tag: string, image: PushedImage): Promise<void> {
  const manifest = await pullManifest(url, repository, tag)
  if (manifest.status !== 200 || manifest.bodyDigest !== image.digest)
    throw new Error(`${repository}:${tag}: manifest ${manifest.status} ${manifest.bodyDigest}, wanted ${image.digest}`)
  for (const blob of image.blobs) {
    const pulled = await pullBlob(url, repository, blob.digest)
    if (pulled.status !== 200 || pulled.digest !== blob.digest)
      throw new Error(
        `${repository}@${blob.digest}: ${pulled.status}, ${pulled.size} bytes hashing to ${pulled.digest}`,
      )
  }
}

/** The value of an unlabelled sample on the metrics page; undefined when absent. */
export async function metric(url: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `))
  return line === undefined ? undefined : Number(line.slice(name.length + 1))
}

/** zot config with metrics and an on-demand sync of `upstream`, plus the budget keys given. */
export function cacheConfig(upstream: string, budget: Record<string, unknown>): Record<string, unknown> {
  return {
    log: { level: 'debug' },
    extensions: {
      metrics: { enable: true, prometheus: { path: '/metrics' } },
      sync: {
        enable: true,
        ...budget,
        registries: [{ urls: [upstream], onDemand: true, tlsVerify: false, responseHeaderTimeout: '5s' }],
      },
    },
  }
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  )

/** Whether local storage under `root` holds the blob file of `digest` in `repository`. */
export const holdsBlob = (root: string, repository: string, digest: string): Promise<boolean> =>
  exists(join(root, repository, 'blobs', ...digest.split(':')))

/** Whether local storage holds every blob of the image (manifest included). */
export async function holdsImage(root: string, repository: string, image: PushedImage): Promise<boolean> {
  for (const digest of [image.digest, ...image.blobs.map((blob) => blob.digest)])
    if (!(await holdsBlob(root, repository, digest))) return false
  return true
}

/**
 * Whether the image is (or, within 10 s, becomes) wholly stored: a client may have its last byte
 * from the spool a moment before the fill renames it into storage.
 */
export const holdsImageSoon = (root: string, repository: string, image: PushedImage): Promise<boolean> =>
  eventually(() => holdsImage(root, repository, image), 10_000)

/** The cache's error lines and failed fills, for assertion messages. */
export const failuresLogged = (cache: RunningRegistry): string =>
  cache
    .logs()
    .split('\n')
    .filter((line) => line.includes('"level":"error"') || line.includes('blob not cached'))
    .join('\n')

/** Polls `check` every 200 ms until it holds or `timeoutMs` passes; returns its last answer. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await Bun.sleep(200)
  }
}

/** A cache served as a child process with its storage root (spools included) on a small tmpfs. */
export interface CacheOnSmallDisk {
  cache: RunningRegistry
  /** Bytes still free on the tmpfs. */
  freeBytes(): Promise<number>
  /** Takes space with a file no registry knows of until `left` bytes stay free (0: all of it). */
  fillUntil(name: string, left: number): Promise<void>
  /** Stops the cache, unmounts the tmpfs and removes the storage. */
  stop(): Promise<void>
}

export async function startCacheOnSmallDisk(
  label: string,
  bytes: number,
  config: Record<string, unknown>,
): Promise<CacheOnSmallDisk> {
  const storage: TestStorage = await createTestStorage({ label, kind: 'local' })
  const root = storage.rootDirectory
  await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', root])
  const stop = async (cache?: RunningRegistry) => {
    await cache?.stop()
    await run('umount', [root])
    await storage.remove()
  }
  let cache: RunningRegistry
  try {
    cache = await startRegistry({ storage, config: { ...config, storage: { gc: false } } })
  } catch (error) {
    await stop()
    throw error
  }
  const freeBytes = async () => {
    const stats = await statfs(root)
    return stats.bavail * stats.bsize
  }
  return {
    cache,
    freeBytes,
    async fillUntil(name, left) {
      const size = Math.max(0, (await freeBytes()) - left)
      // Filling to the last byte may end in ENOSPC: that is the point.
      await writeFile(join(root, name), new Uint8Array(size)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOSPC') throw error
      })
    },
    stop: () => stop(cache),
  }
}

/** An upstream docker-registry, a cache on a small tmpfs syncing from it, and what each holds. */
export interface SmallDiskScenario {
  upstream: DockerRegistry
  disk: CacheOnSmallDisk
  /** The upstream's images by repository, each tagged v1. */
  images: Map<string, PushedImage>
  /** The image pushed to the cache itself (mine/app:v1), which the cache must never evict. */
  mine: PushedImage
  stop(): Promise<void>
}

/**
 * Pushes one single-layer image per repository of `upstreamLayers` (repository → layer bytes) to
 * a fresh upstream, starts a cache of `bytes` with `budget` keys and pushes mine/app to it.
 */
export async function startSmallDiskScenario(options: {
  label: string
  bytes: number
  budget: Record<string, unknown>
  upstreamLayers: Record<string, number>
  mineLayer: number
}): Promise<SmallDiskScenario> {
  const upstream = await startDockerRegistry()
  let disk: CacheOnSmallDisk | undefined
  try {
    const images = new Map<string, PushedImage>()
    for (const [repository, layer] of Object.entries(options.upstreamLayers))
      images.set(repository, await pushImage(upstream, repository, { tag: 'v1', layers: [layer] }))
    disk = await startCacheOnSmallDisk(options.label, options.bytes, cacheConfig(upstream.url, options.budget))
    const mine = await pushImage(disk.cache, 'mine/app', { tag: 'v1', layers: [options.mineLayer] })
    const started = disk
    return {
      upstream,
      disk,
      images,
      mine,
      async stop() {
        await started.stop()
        await upstream.stop()
      },
    }
  } catch (error) {
    await disk?.stop()
    await upstream.stop()
    throw error
  }
}

/** Starts the scenario before the file's tests and stops it after; the accessor throws until started. */
export function useSmallDiskScenario(options: Parameters<typeof startSmallDiskScenario>[0]): () => SmallDiskScenario {
  let started: SmallDiskScenario | undefined
  beforeAll(async () => {
    started = await startSmallDiskScenario(options)
  }, 60_000)
  afterAll(async () => {
    await started?.stop()
  })
  return () => {
    if (started === undefined) throw new Error(`${options.label}: the small-disk scenario did not start`)
    return started
  }
}
