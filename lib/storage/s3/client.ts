/**
 * @module
 * The SDK client of the S3 driver, on Bun's fetch (fetch-handler.ts): the SDK signs, retries and
 * parses; Bun moves the bytes. Every streamed blob download holds a connection until its last
 * byte; Bun's fetch bounds the requests in flight process-wide (`BUN_CONFIG_MAX_HTTP_REQUESTS`,
 * 256 by default, the default of `maxsockets` too), and the session keeps up to `maxsockets` idle
 * ones for reuse.
 */
import { S3Client } from '@aws-sdk/client-s3'
import { BunFetchHandler } from './fetch-handler'
import type { ResolvedS3Options } from './options'

/**
 * SigV4 signs a request's body by its SHA-256 unless told `UNSIGNED-PAYLOAD`: a third hash of every
 * byte pushed or cached (the registry hashes it already), half the CPU of an upload part. Over TLS
 * the bytes are integrity-protected anyway, so only plain-HTTP endpoints keep the signed hash.
 */
function sendUnsignedPayloads(client: S3Client): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string> }
      if (request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD'
      return next(args)
    },
    { step: 'build', name: 'zotUnsignedPayload' },
  )
}

export function createS3Client(options: ResolvedS3Options, overrides: { maxAttempts?: number } = {}): S3Client {
  const client = new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.userAgent ? { customUserAgent: options.userAgent } : {}),
    useDualstackEndpoint: options.useDualstack,
    useAccelerateEndpoint: options.accelerate,
    ...(overrides.maxAttempts ? { maxAttempts: overrides.maxAttempts } : {}),
    // The SDK's default streamed `aws-chunked` checksums are rejected (411) by Ceph RGW and other
    // S3-compatible servers; checksums are only sent where S3 demands them (DeleteObjects).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new BunFetchHandler({
      skipVerify: options.skipVerify,
      maxIdleSockets: options.maxSockets,
    }),
  })
  // AWS's own endpoints are HTTPS.
  if (!/^http:/i.test(options.endpoint ?? '')) sendUnsignedPayloads(client)
  return client
}
