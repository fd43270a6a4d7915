/**
 * @module
 * The usual pair of the sync tests that run our registry for real: Debian's docker-registry as
 * the upstream, holding what the test pushed first, and a `zot serve` child syncing from it with
 * the registry entry's keys. The upstream's access log answers how often it was asked for what.
 */
import { afterAll } from 'bun:test'
import { startRegistry, type RunningRegistry } from '../../support/server'
import { startDockerRegistry, type DockerRegistry } from './docker-registry'

export interface UpstreamAndCache<T> {
  upstream: DockerRegistry
  cache: RunningRegistry
  /** What `prepare` pushed. */
  pushed: T
  /** Stops both (the upstream may have been stopped by the test already). */
  stop(): Promise<void>
}

/**
 * Starts the upstream, pushes with `prepare`, then starts the cache with one registry entry for
 * the upstream (`registry` merged over its URL and a 5 s `responseHeaderTimeout`).
 */
export async function startUpstreamAndCache<T>(
  registry: Record<string, unknown>,
  prepare: (upstream: DockerRegistry) => Promise<T>,
  options: {
    metrics?: boolean
    /** Keys of `extensions.sync` besides the registry (the cache budget's). */
    sync?: Record<string, unknown>
    /** The file's stop list: the pair's `stop` is added to it once both run. */
    stops?: (() => Promise<void>)[]
  } = {},
): Promise<UpstreamAndCache<T>> {
  const upstream = await startDockerRegistry()
  try {
    const pushed = await prepare(upstream)
    const cache = await startRegistry({
      config: {
        log: { level: 'debug' },
        extensions: {
          ...(options.metrics && { metrics: { enable: true, prometheus: { path: '/metrics' } } }),
          sync: { ...options.sync, registries: [{ urls: [upstream.url], responseHeaderTimeout: '5s', ...registry }] },
        },
      },
    })
    const stop = async (): Promise<void> => {
      await cache.stop()
      await upstream.stop()
    }
    options.stops?.push(stop)
    return { upstream, cache, pushed, stop }
  } catch (error) {
    await upstream.stop()
    throw error
  }
}

/** GETs of `digest` (a manifest or a blob) the upstream served. */
export const upstreamGets = (upstream: DockerRegistry, digest: string): number =>
  upstream.count('GET', new RegExp(`/(manifests|blobs)/${digest}$`))

/**
 * A starter for a test file: each pair gets `defaults` under the test's own keys, and every pair
 * started is stopped when the file ends.
 */
export function upstreamAndCacheStarter(
  defaults: Record<string, unknown> = {},
  options: { metrics?: boolean } = {},
): <T>(
  registry: Record<string, unknown>,
  prepare: (upstream: DockerRegistry) => Promise<T>,
  /** Keys of `extensions.sync` besides the registry. */
  sync?: Record<string, unknown>,
) => Promise<UpstreamAndCache<T>> {
  const stops: (() => Promise<void>)[] = []
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop()
  })
  return (registry, prepare, sync) =>
    startUpstreamAndCache({ ...defaults, ...registry }, prepare, { ...options, ...(sync && { sync }), stops })
}
