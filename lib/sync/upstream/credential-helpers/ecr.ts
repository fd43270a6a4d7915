/**
 * @module
 * `credentialHelper: "ecr"`: Amazon ECR's GetAuthorizationToken, as zot does it. The account and
 * region come from each URL's host (`ecr-host.ts`); the token is base64 `AWS:<password>`, valid
 * 12 hours, refreshed an hour before it expires. The official client (imported only when this
 * helper is configured) signs with the SDK's default credential chain (environment, shared
 * config and credentials files, web identity, container and instance roles) and honours
 * `AWS_ENDPOINT_URL_ECR`, then `AWS_ENDPOINT_URL`, for VPC endpoints and test servers.
 */
import type { ECRClient } from '@aws-sdk/client-ecr'
import { ECR_HOST_FORM, ecrRegistryOf } from './ecr-host'
import type { CredentialHelper, ExpiringCredentials } from './refreshing-credentials'

/** zot's `expiryWindow`. */
const REFRESH_AHEAD_MS = 60 * 60_000
/** What ECR documents when a token comes without `expiresAt`. */
const TOKEN_LIFETIME_MS = 12 * 60 * 60_000
const CONNECT_TIMEOUT_MS = 3_000
const REQUEST_TIMEOUT_MS = 10_000
/** One retry by the SDK (throttling, a dropped connection); the refresher's backoff does the rest. */
const MAX_ATTEMPTS = 2

class EcrHostError extends Error {
  override name = 'EcrHostError'
}

/** Decodes `authorizationToken` (base64 `user:password`). */
export function decodeEcrToken(token: string): { username: string; password: string } {
  const decoded = Buffer.from(token, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon <= 0) throw new Error('the ECR authorization token is not base64 "user:password"')
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

export async function ecrHelper(): Promise<CredentialHelper> {
  const { ECRClient, GetAuthorizationTokenCommand } = await import('@aws-sdk/client-ecr')
  const clients = new Map<string, ECRClient>()
  const clientFor = (region: string): ECRClient => {
    let client = clients.get(region)
    if (!client) {
      client = new ECRClient({
        region,
        maxAttempts: MAX_ATTEMPTS,
        requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
      })
      clients.set(region, client)
    }
    return client
  }
  return {
    name: 'ecr',
    refreshAheadMs: REFRESH_AHEAD_MS,
    keyOf: (host) => host,
    async fetch(host): Promise<ExpiringCredentials> {
      const registry = ecrRegistryOf(host)
      if (!registry) throw new EcrHostError(`${host} is not an ECR registry host (${ECR_HOST_FORM})`)
      const output = await clientFor(registry.region).send(
        new GetAuthorizationTokenCommand({ registryIds: [registry.account] }),
        { abortSignal: AbortSignal.timeout(MAX_ATTEMPTS * (CONNECT_TIMEOUT_MS + REQUEST_TIMEOUT_MS)) },
      )
      const data = output.authorizationData?.[0]
      if (!data?.authorizationToken)
        throw new Error(`ECR returned no authorization token for account ${registry.account}`)
      return {
        ...decodeEcrToken(data.authorizationToken),
        expiresAt: data.expiresAt?.getTime() ?? Date.now() + TOKEN_LIFETIME_MS,
      }
    },
    fixFor(error) {
      if (error instanceof EcrHostError) return `use the registry's ECR URL, https://${ECR_HOST_FORM}`
      const name = error instanceof Error ? error.name : ''
      if (name === 'CredentialsProviderError')
        return 'give zot AWS credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, web identity or an instance role'
      if (name === 'AccessDeniedException')
        return 'allow ecr:GetAuthorizationToken (and pulls from the repositories) for these AWS credentials'
      return undefined
    },
  }
}
