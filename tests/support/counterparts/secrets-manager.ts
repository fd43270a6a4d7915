/**
 * @module
 * A small AWS Secrets Manager endpoint for the bearer tests (no emulator is installable here): it
 * speaks the service's AWS JSON 1.1 protocol for GetSecretValue (`POST /` with
 * `X-Amz-Target: secretsmanager.GetSecretValue` and `{"SecretId": ...}`; the secret's
 * `ARN`/`Name`/`SecretString`/`VersionId`, or AWS's error shape `{"__type", "message"}` with 400)
 * and checks each request's Signature Version 4 against the one access key, secret key and region
 * it knows (aws-json-endpoint.ts), so a request passes only if the real SDK signed it with the
 * configured region and credentials. It counts the reads it answers, can answer slowly, and can
 * be stopped and started again on its port (an endpoint that is down).
 */
import { type AwsCredentials, awsError, startAwsJsonEndpoint } from './aws-json-endpoint'

export type SecretsManagerCredentials = AwsCredentials

export interface SecretsManagerEndpoint {
  /** `http://127.0.0.1:PORT`: `AWS_ENDPOINT_URL_SECRETS_MANAGER`. */
  url: string
  /** The environment a client needs: credentials and the endpoint, isolated from the machine's AWS config. */
  env: Record<string, string>
  /** Sets (or with undefined removes) a secret's SecretString, or its SecretBinary with `binary`. */
  setSecret(name: string, value: string | undefined, options?: { binary?: boolean }): void
  /** GetSecretValue answers counted per secret name (signed requests only). */
  reads(name: string): number
  /** Requests refused for their signature. */
  refused: string[]
  /** Each answer waits this long first. */
  delayMs: number
  /** Closes the port: clients get connection refused. */
  stop(): Promise<void>
  /** Listens again on the same port. */
  start(): void
}

/** Starts the endpoint, stopped after the file's tests unless `stopAfterTests` is false (benchmarks). */
export function startSecretsManager(
  credentials: SecretsManagerCredentials,
  { stopAfterTests = true } = {},
): SecretsManagerEndpoint {
  const secrets = new Map<string, { value: string; version: number; binary: boolean }>()
  const counts = new Map<string, number>()

  function getSecretValue({ SecretId: name }: Record<string, unknown>): unknown {
    if (typeof name !== 'string') return awsError(400, 'InvalidParameterException', 'SecretId is required')
    counts.set(name, (counts.get(name) ?? 0) + 1)
    const secret = secrets.get(name)
    if (!secret) return awsError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.")
    return {
      ARN: `arn:aws:secretsmanager:${credentials.region}:123456789012:secret:${name}-AbCdEf`,
      Name: name,
      ...(secret.binary
        ? { SecretBinary: Buffer.from(secret.value).toString('base64') }
        : { SecretString: secret.value }),
      VersionId: `00000000-0000-4000-8000-${String(secret.version).padStart(12, '0')}`,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: Math.floor(Date.now() / 1000),
    }
  }

  const endpoint = startAwsJsonEndpoint({
    credentials,
    signingName: 'secretsmanager',
    operations: { 'secretsmanager.GetSecretValue': getSecretValue },
    endpointVariable: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
    stopAfterTests,
  })
  return Object.assign(endpoint, {
    setSecret(name: string, value: string | undefined, { binary = false } = {}) {
      if (value === undefined) secrets.delete(name)
      else secrets.set(name, { value, version: (secrets.get(name)?.version ?? 0) + 1, binary })
    },
    reads: (name: string) => counts.get(name) ?? 0,
  })
}
