/**
 * @module
 * Which upstreams a local repository is pulled through: the on-demand registry entries, in config
 * order, whose content rules cover the name, each with the upstream name rebuilt from the rule
 * (docs/zot-compatibility.md 5.2, 5.4). A request routed by containerd's `?ns=` is pinned to the entry
 * the namespace names, or to local storage only when it names this registry: the `ns`
 * middleware (ns-parameter.ts) decides that scope, and the caller passes it in.
 */
import { RegistryError } from '../../errors/registry-error'
import type { NamespaceScope } from '../../http/context'
import { isValidRepositoryName } from '../../oci/names'
import type { ResolvedRegistry } from '../config'
import { isDockerHub } from '../upstream/hosts'
import { contentForLocal, dockerHubName, localPattern, remoteName } from './name-mapping'
import type { Route } from './route'
import type { UpstreamSource } from '../upstream/upstream-source'

export interface SyncEntry {
  registry: ResolvedRegistry
  upstream: UpstreamSource
}

/** The upstream name of a local repository under one entry, if the entry covers it. */
export function remoteFor(registry: ResolvedRegistry, local: string): string | undefined {
  let remote: string = local
  if (registry.content.length > 0) {
    const rule = contentForLocal(registry.content, local)
    if (!rule) return undefined
    remote = remoteName(rule, local)
  }
  if (registry.urls[0] && isDockerHub(registry.urls[0])) remote = dockerHubName(remote)
  return isValidRepositoryName(remote) ? remote : undefined
}

export class Router {
  constructor(readonly entries: readonly SyncEntry[]) {}

  /** Whether any entry pulls on demand (and so whether a miss deserves a "no rule" answer). */
  get onDemand(): boolean {
    return this.entries.some((entry) => entry.registry.onDemand)
  }

  /** The routes a local repository is pulled through, most preferred first, within `scope`. */
  routes(local: string, scope?: NamespaceScope): Route[] {
    if (scope?.kind === 'own') return []
    const candidates = scope ? this.entries.filter((entry) => entry.registry.index === scope.index) : this.entries
    const routes: Route[] = []
    for (const { registry, upstream } of candidates) {
      if (!registry.onDemand) continue
      const remote = remoteFor(registry, local)
      if (remote !== undefined) routes.push({ registry, upstream, remote })
    }
    return routes
  }

  /**
   * The 404 for a name no rule covers, saying so: "manifest unknown" alone is the most common
   * and most confusing failure of a mirror setup.
   */
  noRule(local: string, reference: string | undefined, scope: NamespaceScope | undefined): RegistryError {
    const rules = this.entries
      .filter(
        (entry) => entry.registry.onDemand && (!scope || scope.kind === 'own' || entry.registry.index === scope.index),
      )
      .flatMap(({ registry }) =>
        registry.content.length > 0
          ? registry.content.map((rule) => `${localPattern(rule) || '**'} <- ${registry.urls[0]}`)
          : [`** <- ${registry.urls[0]}`],
      )
    const description =
      scope?.kind === 'own'
        ? `${local} is not in this registry (the request's ns names this registry itself)`
        : `${local} is not cached and no sync rule allows pulling it from an upstream; ` +
          `local names the rules cover: ${rules.join('; ') || 'none (no on-demand registry)'}`
    return new RegistryError(reference === undefined ? 'NAME_UNKNOWN' : 'MANIFEST_UNKNOWN', {
      detail: { description, name: local, ...(reference !== undefined && { reference }) },
    })
  }
}
