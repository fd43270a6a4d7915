/**
 * @module
 * A route: where a local repository's content comes from — one registry entry, its upstream
 * source, and the repository's upstream name. The router (router.ts) picks a repository's routes;
 * the pull-through cache and the blob fills try them in order with `firstRoute`.
 */
import { RegistryError } from '../../errors/registry-error'
import type { ResolvedRegistry } from '../config'
import { isUpstreamError } from '../upstream/upstream-error'
import type { UpstreamSource } from '../upstream/upstream-source'

export interface Route {
  registry: ResolvedRegistry
  upstream: UpstreamSource
  /** The repository's name upstream. */
  remote: string
}

/** A short label for logs and error details: `https://ghcr.io/org/app`. */
export const routeLabel = (route: Route): string => `${route.upstream.name}/${route.remote}`

export interface RouteFailure {
  route: Route
  error: unknown
}

/** Runs `attempt` on each route in order until one succeeds; collects why the others failed. */
export async function firstRoute<T>(
  routes: readonly Route[],
  attempt: (route: Route) => Promise<T>,
): Promise<{ route: Route; value: T } | { failures: RouteFailure[] }> {
  const failures: RouteFailure[] = []
  for (const route of routes) {
    try {
      return { route, value: await attempt(route) }
    } catch (error) {
      if (!(error instanceof RegistryError) && !isUpstreamError(error)) throw error
      failures.push({ route, error })
    }
  }
  return { failures }
}
