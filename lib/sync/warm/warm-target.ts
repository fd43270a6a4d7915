/**
 * @module
 * What `zot sync warm` pulls for an image as a containerd mirror user writes it. A name whose
 * first component is a host one of the config's sync registries names (`docker.io/library/alpine:3`,
 * `ghcr.io/org/app@sha256:…`) is that upstream's image: it is mapped to the local name the way
 * the server maps a containerd request with `?ns=<host>` (ns-parameter.ts: the entry's content
 * rules, `library/` for Docker Hub). Any other name (`library/nginx:1.27`, `docker.io/alpine`
 * under a `/docker.io` destination) is a local repository name, pulled as written, which the
 * server's own routing maps to an upstream. No tag means `latest`, as for docker and containerd.
 */
import { RegistryError } from '../../errors/registry-error'
import { isDigest } from '../../oci/digest'
import { isValidRepositoryName, isValidTag } from '../../oci/names'
import type { ResolvedRegistry } from '../config'
import { platformSpecs, type PlatformSpec } from '../platforms'
import { namespacedRepository } from '../routing/ns-parameter'
import { remoteFor } from '../routing/router'
import { hostKey, urlHostKey } from '../upstream/hosts'

export interface WarmTarget {
  /** As given on the command line. */
  image: string
  /** The local repository the server serves it under. */
  repository: string
  /** Tag or digest. */
  reference: string
  /** The platforms of the registry entry that serves it (none: every platform). */
  platforms: PlatformSpec[]
}

/** Docker's rule: a first component with a dot or a port, or `localhost`, is a registry host. */
const looksLikeHost = (component: string): boolean =>
  component.includes('.') || component.includes(':') || component === 'localhost'

/** Splits `name[:tag][@digest]`; throws an Error saying what is wrong. */
function splitReference(image: string): { name: string; reference: string } {
  const at = image.indexOf('@')
  let name = at < 0 ? image : image.slice(0, at)
  const digest = at < 0 ? undefined : image.slice(at + 1)
  const colon = name.lastIndexOf(':')
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : undefined
  if (tag !== undefined) name = name.slice(0, colon)
  if (digest !== undefined && !isDigest(digest)) throw new Error(`${digest} is not a digest (sha256:<64 hex>)`)
  if (tag !== undefined && !isValidTag(tag)) throw new Error(`${tag} is not a valid tag`)
  return { name, reference: digest ?? tag ?? 'latest' }
}

/**
 * The local repository and reference of an image, and the platforms its registry entry syncs;
 * throws an Error saying why the name cannot be warmed.
 */
export function warmTarget(image: string, registries: readonly ResolvedRegistry[]): WarmTarget {
  const { name, reference } = splitReference(image.trim())
  const slash = name.indexOf('/')
  const first = slash < 0 ? '' : name.slice(0, slash)
  const entry = looksLikeHost(first)
    ? registries.find((registry) => registry.urls.some((url) => urlHostKey(url) === hostKey(first)))
    : undefined
  let repository = name
  if (entry) {
    if (!entry.onDemand) throw new Error(`the sync registry for ${first} has no onDemand: the server cannot pull it`)
    try {
      repository = namespacedRepository(entry, name.slice(slash + 1), first)
    } catch (error) {
      if (error instanceof RegistryError) throw new Error(String(error.detail.description ?? error.message))
      throw error
    }
  }
  if (!isValidRepositoryName(repository)) throw new Error(`${repository} is not a valid repository name`)
  const serving =
    entry ?? registries.find((registry) => registry.onDemand && remoteFor(registry, repository) !== undefined)
  return { image, repository, reference, platforms: serving ? platformSpecs(serving) : [] }
}
