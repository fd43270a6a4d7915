/**
 * @module
 * A small AWS Secrets Manager endpoint for the bearer tests (no emulator is installable here): it
 * speaks the service's AWS JSON 1.1 protocol for GetSecretValue (`POST /` with
 * `X-Amz-Target: secretsmanager.GetSecretValue` and `{"SecretId": ...}`; the secret's
 * `ARN`/`Name`/`SecretString`/`VersionId`, or AWS's error shape `{"__type", "message"}` with 400)
 * and checks each request's Signature Version 4 against the one access key, secret key and region
 * it knows, recomputed here with node:crypto from the AWS specification
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html),
 * so a request passes only if the real SDK signed it with the configured region and credentials.
 * Unsigned or wrongly signed requests get AWS's 400 `InvalidSignatureException` /
 * `UnrecognizedClientException`. It counts the reads it answers, can answer slowly, and can be
 * stopped and started again on its port (an endpoint that is down).
 */
import { afterAll } from 'bun:test'
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

export interface SecretsManagerCredentials {
  accessKeyId: string
  secretAccessKey: string
  region: string
}

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

const JSON_TYPE = 'application/x-amz-json-1.1'
const SERVICE = 'secretsmanager'

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex')
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest()

/** Why the request's SigV4 signature is not the one these credentials make, or undefined when it is. */
function signatureProblem(request: Request, body: Uint8Array, credentials: SecretsManagerCredentials) {
  const authorization = request.headers.get('authorization') ?? ''
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/.exec(
      authorization,
    )
  if (!match) return { type: 'IncompleteSignatureException', message: 'no SigV4 Authorization header' }
  const [, accessKeyId, date, region, service, signedHeaders = '', signature = ''] = match
  if (accessKeyId !== credentials.accessKeyId) {
    return { type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' }
  }
  if (region !== credentials.region || service !== SERVICE) {
    return {
      type: 'InvalidSignatureException',
      message: `Credential should be scoped to ${credentials.region}/${SERVICE}`,
    }
  }
  const amzDate = request.headers.get('x-amz-date') ?? ''
  const names = signedHeaders.split(';')
  if (!amzDate.startsWith(date ?? '-') || !names.includes('host') || !names.includes('x-amz-date')) {
    return { type: 'IncompleteSignatureException', message: 'host and x-amz-date must be signed, on the same date' }
  }
  const url = new URL(request.url)
  const canonicalHeaders = names
    .map((name) => `${name}:${(request.headers.get(name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('')
  const canonicalRequest = [
    request.method,
    url.pathname,
    url.search.slice(1),
    canonicalHeaders,
    signedHeaders,
    sha256(body),
  ].join('\n')
  const scope = `${date}/${region}/${service}/aws4_request`
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n')
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, date ?? ''), region ?? ''), service ?? ''),
    'aws4_request',
  )
  const expected = createHmac('sha256', signingKey).update(stringToSign).digest()
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    return {
      type: 'InvalidSignatureException',
      message: 'The request signature we calculated does not match the signature you provided.',
    }
  }
  return undefined
}

/** Starts the endpoint, stopped after the file's tests unless `stopAfterTests` is false (benchmarks). */
export function startSecretsManager(
  credentials: SecretsManagerCredentials,
  { stopAfterTests = true } = {},
): SecretsManagerEndpoint {
  const secrets = new Map<string, { value: string; version: number; binary: boolean }>()
  const counts = new Map<string, number>()
  const refused: string[] = []
  const awsError = (status: number, type: string, message: string) =>
    new Response(JSON.stringify({ __type: type, message }), {
      status,
      headers: { 'Content-Type': JSON_TYPE, 'x-amzn-ErrorType': type },
    })

  async function answer(request: Request): Promise<Response> {
    const body = new Uint8Array(await request.arrayBuffer())
    if (endpoint.delayMs > 0) await Bun.sleep(endpoint.delayMs)
    const problem = signatureProblem(request, body, credentials)
    if (problem) {
      refused.push(`${problem.type}: ${problem.message}`)
      return awsError(400, problem.type, problem.message)
    }
    const target = request.headers.get('x-amz-target')
    if (request.method !== 'POST' || target !== 'secretsmanager.GetSecretValue') {
      return awsError(400, 'UnknownOperationException', `unsupported operation ${target}`)
    }
    const { SecretId: name } = JSON.parse(new TextDecoder().decode(body)) as { SecretId?: string }
    if (typeof name !== 'string') return awsError(400, 'InvalidParameterException', 'SecretId is required')
    counts.set(name, (counts.get(name) ?? 0) + 1)
    const secret = secrets.get(name)
    if (!secret) return awsError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.")
    return new Response(
      JSON.stringify({
        ARN: `arn:aws:secretsmanager:${credentials.region}:123456789012:secret:${name}-AbCdEf`,
        Name: name,
        ...(secret.binary
          ? { SecretBinary: Buffer.from(secret.value).toString('base64') }
          : { SecretString: secret.value }),
        VersionId: `00000000-0000-4000-8000-${String(secret.version).padStart(12, '0')}`,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Math.floor(Date.now() / 1000),
      }),
      { headers: { 'Content-Type': JSON_TYPE } },
    )
  }

  const listen = (port: number) => Bun.serve({ hostname: '127.0.0.1', port, fetch: answer })
  let server: ReturnType<typeof listen> | undefined = listen(0)
  const port = server.port
  const url = `http://127.0.0.1:${port}`
  const endpoint: SecretsManagerEndpoint = {
    url,
    env: {
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: url,
      // Nothing from the machine's AWS setup may sign in their place.
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    setSecret(name, value, { binary = false } = {}) {
      if (value === undefined) secrets.delete(name)
      else secrets.set(name, { value, version: (secrets.get(name)?.version ?? 0) + 1, binary })
    },
    reads: (name) => counts.get(name) ?? 0,
    refused,
    delayMs: 0,
    async stop() {
      await server?.stop(true)
      server = undefined
    },
    start() {
      server ??= listen(port ?? 0)
    },
  }
  if (stopAfterTests) afterAll(() => endpoint.stop())
  return endpoint
}
