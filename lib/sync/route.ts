/**
 * @module
 * A route: where a local repository's content comes from — one registry entry, its upstream
 * source, and the repository's upstream name. The router produces them, the pull-through source
 * and the blob fills consume them.
 */
import type { ResolvedRegistry } from './config'
import type { UpstreamSource } from './upstream-source'

export interface Route {
  registry: ResolvedRegistry
  upstream: UpstreamSource
  /** The repository's name upstream. */
  remote: string
}

/** A short label for logs and error details: `https://ghcr.io/org/app`. */
export const routeLabel = (route: Route): string => `${route.upstream.name}/${route.remote}`
