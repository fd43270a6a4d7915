/**
 * @module
 * The SDK client of the S3 driver. Every streamed blob download holds a socket for its whole
 * duration, so the HTTP handler keeps a large keep-alive pool instead of the SDK's default 50, and
 * bounds connecting and idling so a dead endpoint fails requests instead of hanging them.
 */
import { S3Client } from '@aws-sdk/client-s3'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import type { ResolvedS3Options } from './options'

const CONNECT_TIMEOUT_MS = 10_000
/** A socket idle this long is dead; generous because a slow client pauses a streamed download. */
const SOCKET_IDLE_TIMEOUT_MS = 120_000

export function createS3Client(options: ResolvedS3Options, overrides: { maxAttempts?: number } = {}): S3Client {
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets,
    maxFreeSockets: Math.min(options.maxSockets, 64),
  }
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
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent({ ...agentOptions, rejectUnauthorized: !options.skipVerify }),
      connectionTimeout: CONNECT_TIMEOUT_MS,
      socketTimeout: SOCKET_IDLE_TIMEOUT_MS,
    }),
  })
}
