/**
 * @module
 * Registry host names compared the way users write them: Docker Hub has three names for one
 * registry (zot #3795, #1569), and `ghcr.io:443` is `ghcr.io`. Used for containerd's `?ns=`,
 * for credentials lookup and to spot URLs that point back at this registry.
 */

/** The names Docker Hub answers to; all of them mean the same registry. */
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
])

/** A host[:port] in canonical form: lower case, no default port, Docker Hub as `docker.io`. */
export function hostKey(host: string): string {
  const lower = host
    .trim()
    .toLowerCase()
    .replace(/:(443|80)$/, '')
  return DOCKER_HUB_ALIASES.has(lower) ? 'docker.io' : lower
}

/** The canonical host of a registry URL (`https://registry-1.docker.io` → `docker.io`). */
export function urlHostKey(url: string): string {
  return hostKey(new URL(url).host)
}

export const isDockerHub = (url: string): boolean => urlHostKey(url) === 'docker.io'
