/**
 * @module
 * The credentials of a registry entry with `credentialHelper`: the helper's module is imported
 * only when an entry names it (the ECR client alone weighs several MB), its first fetch starts at
 * once, and `RefreshingCredentials` keeps them fresh. As in zot, such an entry ignores
 * `credentialsFile`.
 */
import type { Logger } from '../../../log/logger'
import type { ResolvedRegistry } from '../../config'
import type { Credentials } from '../credentials'
import { UpstreamError } from '../upstream-error'
import { type CredentialHelper, RefreshingCredentials } from './refreshing-credentials'

export type HelperName = NonNullable<ResolvedRegistry['credentialHelper']>

async function loadHelper(name: HelperName, registry: ResolvedRegistry): Promise<CredentialHelper> {
  switch (name) {
    case 'ecr':
      return (await import('./ecr')).ecrHelper()
    case 'oauth2':
      return (await import('./oauth2')).oauth2Helper(registry.oauth2CredentialHelper ?? { scopes: [] })
    case 'gcp':
      return (await import('./gcp')).gcpHelper()
  }
}

export interface HelperCredentials {
  /** The credentials of one of the entry's hosts (undefined for any other host). */
  credentials(host: string): Promise<Credentials | undefined>
  /** The upstream refused what `host` was given; true when new credentials will be fetched. */
  credentialsRefused(host: string): boolean
}

export function helperCredentials(name: HelperName, registry: ResolvedRegistry, logger: Logger): HelperCredentials {
  const hosts = registry.urls.map((url) => new URL(url).host)
  let loaded: RefreshingCredentials | undefined
  const refreshing = loadHelper(name, registry).then((helper) => {
    loaded = new RefreshingCredentials(helper, hosts, logger)
    loaded.prime()
    return loaded
  })
  refreshing.catch((error: unknown) =>
    logger.error(`sync: cannot load the ${name} credential helper; requests to this upstream fail`, {
      upstream: registry.urls[0],
      error: (error as Error).message,
    }),
  )
  return {
    async credentials(host) {
      const credentials = await refreshing.catch((error: unknown) => {
        throw new UpstreamError(
          'unavailable',
          `the ${name} credential helper did not load: ${(error as Error).message}`,
        )
      })
      return credentials.lookup(host)
    },
    credentialsRefused: (host) => loaded?.refused(host) ?? false,
  }
}
