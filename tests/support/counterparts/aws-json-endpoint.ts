/**
 * @module
 * A small AWS service endpoint speaking the AWS JSON 1.1 protocol (no emulator is installable
 * here): `POST /` with `X-Amz-Target: <prefix>.<Operation>` and a JSON body, answered by the
 * operation's handler, or AWS's error shape `{"__type", "message"}` with 400. Each request's
 * Signature Version 4 is checked against the one access key, secret key, region and signing name
 * it knows, recomputed here with node:crypto from the AWS specification
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html),
 * so a request passes only if the real SDK signed it with the configured region and credentials.
 * Unsigned or wrongly signed requests get AWS's 400 `InvalidSignatureException` /
 * `UnrecognizedClientException`. It can answer slowly, and can be stopped and started again on
 * its port (an endpoint that is down). Secrets Manager (`secrets-manager.ts`) and ECR (`ecr.ts`)
 * are built on it.
 */
import { afterAll } from 'bun:test'
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { restartableServer } from './restartable-server'

export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  region: string
}

/** An operation: its parsed JSON input, answered with a JSON body or a Response (an AWS error). */
export type AwsOperation = (input: Record<string, unknown>) => unknown

export interface AwsJsonEndpointOptions {
  credentials: AwsCredentials
  /** The SigV4 signing name (`secretsmanager`, `ecr`). */
  signingName: string
  /** Operations by their full `X-Amz-Target`. */
  operations: Record<string, AwsOperation>
  /** The SDK's endpoint variable for this service (`AWS_ENDPOINT_URL_ECR`). */
  endpointVariable: string
  /** Stopped after the file's tests (default); false for benchmarks. */
  stopAfterTests?: boolean
}

export interface AwsJsonEndpoint {
  /** `http://127.0.0.1:PORT`. */
  url: string
  /** The environment a client needs: credentials and the endpoint, isolated from the machine's AWS config. */
  env: Record<string, string>
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

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex')
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest()

/** AWS's error answer. */
export const awsError = (status: number, type: string, message: string): Response =>
  new Response(JSON.stringify({ __type: type, message }), {
    status,
    headers: { 'Content-Type': JSON_TYPE, 'x-amzn-ErrorType': type },
  })

/** Why the request's SigV4 signature is not the one these credentials make, or undefined when it is. */
function signatureProblem(request: Request, body: Uint8Array, credentials: AwsCredentials, signingName: string) {
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
  if (region !== credentials.region || service !== signingName) {
    return {
      type: 'InvalidSignatureException',
      message: `Credential should be scoped to ${credentials.region}/${signingName}`,
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

/** Starts the endpoint on 127.0.0.1. */
export function startAwsJsonEndpoint(options: AwsJsonEndpointOptions): AwsJsonEndpoint {
  const { credentials, signingName, operations } = options
  const refused: string[] = []

  async function answer(request: Request): Promise<Response> {
    const body = new Uint8Array(await request.arrayBuffer())
    if (endpoint.delayMs > 0) await Bun.sleep(endpoint.delayMs)
    const problem = signatureProblem(request, body, credentials, signingName)
    if (problem) {
      refused.push(`${problem.type}: ${problem.message}`)
      return awsError(400, problem.type, problem.message)
    }
    const target = request.headers.get('x-amz-target') ?? ''
    const operation = operations[target]
    if (request.method !== 'POST' || !operation) {
      return awsError(400, 'UnknownOperationException', `unsupported operation ${target}`)
    }
    const input = JSON.parse(new TextDecoder().decode(body) || '{}') as Record<string, unknown>
    const output = operation(input)
    if (output instanceof Response) return output
    return new Response(JSON.stringify(output), { headers: { 'Content-Type': JSON_TYPE } })
  }

  const server = restartableServer(answer)
  const url = `http://127.0.0.1:${server.port}`
  const endpoint: AwsJsonEndpoint = {
    url,
    env: {
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      [options.endpointVariable]: url,
      // Nothing from the machine's AWS setup may sign in their place.
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    refused,
    delayMs: 0,
    stop: server.stop,
    start: server.start,
  }
  if (options.stopAfterTests !== false) afterAll(() => endpoint.stop())
  return endpoint
}
