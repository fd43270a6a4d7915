/**
 * @module
 * containerd's `?ns=<host>` (distribution-spec "Registry Proxying", zot #4187): one `_default`
 * mirror entry in hosts.toml serves every upstream. The namespace is a closed-world lookup key,
 * never a host to dial: it selects the registry entry whose URL host it names (Docker Hub's
 * aliases and default ports normalised), the repository name is mapped through that entry's
 * content rules (`library/` added for Docker Hub), and the response echoes `OCI-Namespace`. An
 * unknown namespace is a 404, so containerd falls back to its next host. A namespace naming this
 * registry itself means its own repositories, with no upstream involved.
 *
 * A path that already carries the entry's destination (zot's documented per-host setup,
 * `server = "https://zot/v2/docker.io"` with `override_path`) is left as it is, so both setups
 * work side by side.
 */
import type { MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import { RegistryError } from '../../errors/registry-error'
import type { AppEnv, NamespaceScope } from '../../http/context'
import type { RequestTarget } from '../../oci/request-target'
import { requireRepositoryName } from '../../oci/names'
import type { ResolvedRegistry } from '../config'
import { hostKey, isDockerHub, urlHostKey } from '../upstream/hosts'
import { contentForLocal, contentForRemote, dockerHubName, localName } from './name-mapping'

export interface NamespaceRoutingOptions {
  registries: readonly ResolvedRegistry[]
  /** host[:port] names of this registry (externalUrl, listen address). */
  ownHosts: ReadonlySet<string>
}

/** The local repository a namespaced request means; throws a 404 naming the reason. */
export function namespacedRepository(registry: ResolvedRegistry, path: string, ns: string): string {
  const dockerHub = registry.urls[0] !== undefined && isDockerHub(registry.urls[0])
  const remote = dockerHub ? dockerHubName(path) : path
  if (registry.content.length === 0) return remote
  const asLocal = contentForLocal(registry.content, path)
  const destination = asLocal?.destination.replace(/^\/+|\/+$/g, '')
  if (destination && path.startsWith(`${destination}/`)) return path
  const rule = contentForRemote(registry.content, remote)
  if (!rule) {
    throw new RegistryError('NAME_UNKNOWN', {
      detail: {
        description: `no content rule of the sync registry for ${ns} covers ${remote}`,
        name: remote,
        namespace: ns,
      },
    })
  }
  return requireRepositoryName(localName(rule, remote))
}

/**
 * A registry host as containerd sends it: a DNS name or bracketed IPv6 address, optional port.
 * Checked before anything else looks at it: the value comes from anyone (this middleware runs
 * before authentication) and is echoed in the `OCI-Namespace` header, where CR/LF would make the
 * response itself fail.
 */
const NAMESPACE_HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/
const NAMESPACE_MAX_LENGTH = 255

/** Hono middleware resolving `?ns=`; runs after the request target is parsed. */
export function namespaceRouting(options: NamespaceRoutingOptions): MiddlewareHandler<AppEnv> {
  return createMiddleware<AppEnv>(async function namespaceRouting(c, next) {
    const ns = c.req.query('ns')
    const target = c.get('target')
    if (!ns || !target || !('repository' in target)) return next()
    if (ns.length > NAMESPACE_MAX_LENGTH || !NAMESPACE_HOST.test(ns)) {
      throw new RegistryError('NAME_INVALID', {
        message: 'invalid namespace',
        detail: { description: 'ns must be a registry host, optionally with :port (e.g. docker.io, 10.0.0.5:5000)' },
      })
    }
    const key = hostKey(ns)
    let scope: NamespaceScope
    if (options.ownHosts.has(key)) {
      scope = { kind: 'own' }
    } else {
      const registry = options.registries.find((entry) => entry.urls.some((url) => urlHostKey(url) === key))
      if (!registry) {
        throw new RegistryError('NAME_UNKNOWN', {
          detail: {
            description: `no sync registry serves namespace ${ns}; ask the upstream directly`,
            namespace: ns,
          },
          headers: { 'OCI-Namespace': ns },
        })
      }
      const repository = namespacedRepository(registry, target.repository, ns)
      c.set('target', { ...target, repository } as RequestTarget)
      scope = { kind: 'registry', index: registry.index }
    }
    c.set('namespace', scope)
    await next()
    c.res.headers.set('OCI-Namespace', ns)
  })
}
