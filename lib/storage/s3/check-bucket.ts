/**
 * @module
 * The start-up check of `serve`: one request that proves the endpoint answers, the bucket exists
 * and the credentials may list it, turned into one line that says what to fix.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3'
import { StorageUnavailableError } from '../driver'
import { createS3Client } from './client'
import { classifyS3Error, type S3Failure } from './errors'
import { resolveS3Options, type ResolvedS3Options, type S3DriverOptions } from './options'

const CHECK_TIMEOUT_MS = 15_000

export async function checkS3Bucket(options: S3DriverOptions): Promise<void> {
  const resolved = resolveS3Options(options)
  const client = createS3Client(resolved, { maxAttempts: 1 })
  try {
    await client.send(new ListObjectsV2Command({ Bucket: resolved.bucket, Prefix: resolved.keyPrefix, MaxKeys: 1 }), {
      abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    })
  } catch (error) {
    throw new StorageUnavailableError(startupFailure(classifyS3Error(error), resolved), {
      cause: error,
    })
  } finally {
    client.destroy()
  }
}

const PARAMS = 'storage.storageDriver'
const REQUIRED_PERMISSIONS = 's3:ListBucket, s3:GetObject, s3:PutObject, s3:DeleteObject and s3:AbortMultipartUpload'

function startupFailure(failure: S3Failure, { bucket, endpointLabel }: ResolvedS3Options): string {
  const code = failure.status ? `${failure.code}, HTTP ${failure.status}` : failure.code
  switch (failure.kind) {
    case 'no-bucket':
      return (
        `S3 bucket "${bucket}" does not exist at ${endpointLabel}: ` +
        `create it (e.g. aws s3 mb s3://${bucket}) or fix ${PARAMS}.bucket`
      )
    case 'credentials':
      return (
        `S3 at ${endpointLabel} rejected the credentials for bucket "${bucket}" ` +
        `(${failure.code}): fix ${PARAMS}.accesskey/secretkey, or the AWS credential chain ` +
        '(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ~/.aws/credentials, IAM role)'
      )
    case 'denied':
      return (
        `S3 at ${endpointLabel} denied listing bucket "${bucket}" (${failure.code}): ` +
        `the bucket policy must allow ${REQUIRED_PERMISSIONS} to these credentials`
      )
    case 'unreachable':
      return (
        `S3 endpoint ${endpointLabel} is unreachable for bucket "${bucket}" (${failure.code}): ` +
        `check ${PARAMS}.regionendpoint and secure, and that the S3 server is running`
      )
    default:
      return `S3 bucket "${bucket}" at ${endpointLabel} is not usable (${code}): check ${PARAMS}`
  }
}
