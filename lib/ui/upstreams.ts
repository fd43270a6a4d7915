/**
 * @module
 * Which upstream a local repository is mirrored from, by the sync configuration's name mapping
 * (the same rules the pull-through cache routes by), so the UI can mark cached content. A rule
 * covering the name is what counts: the UI cannot tell a cached image from one pushed under a
 * mirrored name, and mirrored names are meant for cached content.
 */
import type { SyncConfig } from '../config'
import { contentForLocal, dockerHubName, remoteName } from '../sync/routing/name-mapping'
import { isDockerHub, urlHostKey } from '../sync/upstream/hosts'

/** `repository` → "docker.io/library/alpine", or undefined for the registry's own content. */
export type UpstreamOf = (repository: string) => string | undefined

export function upstreamOf(sync: SyncConfig | undefined): UpstreamOf {
  const registries = sync?.enable ? sync.registries.filter((registry) => registry.urls[0]) : []
  if (registries.length === 0) return () => undefined
  return (repository) => {
    for (const registry of registries) {
      const url = registry.urls[0] as string
      const rule = registry.content.length > 0 ? contentForLocal(registry.content, repository) : undefined
      if (registry.content.length > 0 && !rule) continue
      const remote = rule ? remoteName(rule, repository) : repository
      return `${urlHostKey(url)}/${isDockerHub(url) ? dockerHubName(remote) : remote}`
    }
    return undefined
  }
}
