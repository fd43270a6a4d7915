/**
 * @module
 * `http.auth.bearer.awsSecretsManager` (zot 2.1): the keys that check bearer tokens come from an
 * AWS Secrets Manager secret (secret-keys.ts for its format, secret-keyring.ts for when it is
 * read). The official client, imported only when this is configured (it weighs several MB), reads
 * it with the SDK's default credential chain (environment, shared config and credentials files,
 * web identity, container and instance roles) in the configured region. The SDK itself honours
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`, then `AWS_ENDPOINT_URL` (and `endpoint_url` in the shared
 * config), for VPC endpoints and test servers.
 *
 * Unlike zot, which reads the secret at the first token, the first read starts at once in the
 * background: a wrong secret name or missing credentials show in the log at start, and the first
 * client does not wait. Each read is bounded in time, so a dead endpoint fails instead of hanging
 * the requests waiting for it.
 */
import type { Logger } from '../../log/logger'
import { SecretFormatError, type SecretKeyring, secretKeyring } from './secret-keyring'

export interface AwsSecretsManagerConfig {
  region?: string
  secretName?: string
  /** ms; 0 takes zot's default of a minute. */
  refreshInterval: number
}

const CONNECT_TIMEOUT_MS = 3_000
const REQUEST_TIMEOUT_MS = 5_000
/** One retry by the SDK (throttling, a dropped connection); the keyring's backoff does the rest. */
const MAX_ATTEMPTS = 2

/** The keyring of the configured secret; its first read is under way when this resolves. */
export async function awsSecretsManagerKeys(config: AwsSecretsManagerConfig, logger: Logger): Promise<SecretKeyring> {
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager')
  const secretName = config.secretName ?? ''
  const client = new SecretsManagerClient({
    ...(config.region && { region: config.region }),
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
  })
  const keyring = secretKeyring({
    secretName,
    refreshMs: config.refreshInterval,
    logger,
    async read() {
      const output = await client.send(new GetSecretValueCommand({ SecretId: secretName }), {
        abortSignal: AbortSignal.timeout(MAX_ATTEMPTS * (CONNECT_TIMEOUT_MS + REQUEST_TIMEOUT_MS)),
      })
      if (output.SecretString !== undefined) return output.SecretString
      throw new SecretFormatError(
        output.SecretBinary ? 'it holds binary data (SecretBinary), not a SecretString' : 'it has no SecretString',
      )
    },
  })
  logger.info('bearer token keys come from AWS Secrets Manager', {
    region: config.region,
    secretName,
    refreshIntervalMs: config.refreshInterval,
  })
  void keyring.refresh()
  return keyring
}
