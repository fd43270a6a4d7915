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

export function createS3Client(options: ResolvedS3Options, overrides: { maxAttempts?: number } = {}): S3Client {
  return new S3Client({
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
}
