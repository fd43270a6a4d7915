/**
 * @module
 * S3 failures in the driver's vocabulary: a missing key is `PathNotFoundError`; everything else
 * (no bucket, refused credentials, unreachable endpoint, 5xx) is `StorageUnavailableError`, whose
 * message names the bucket and endpoint, because that is what an operator has to fix.
 */
import { PathNotFoundError, StorageUnavailableError } from '../driver'

export type S3FailureKind =
  | 'not-found'
  | 'no-bucket'
  | 'credentials'
  | 'denied'
  | 'precondition'
  | 'unreachable'
  | 'other'

export interface S3Failure {
  kind: S3FailureKind
  /** The S3 error code (`NoSuchKey`), or the socket error code (`ECONNREFUSED`). */
  code: string
  status?: number
}

const CREDENTIAL_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'CredentialsProviderError',
])
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ConnectionRefused',
  'ConnectionClosed',
])
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'AbortError'])

/** The permission an S3 multipart operation needs, for AccessDenied messages. */
const MULTIPART_PERMISSIONS: Record<string, string> = {
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  UploadPartCopy: 's3:PutObject (and s3:GetObject on the source)',
  CompleteMultipartUpload: 's3:PutObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
  ListParts: 's3:ListMultipartUploadParts',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
}

export function classifyS3Error(error: unknown): S3Failure {
  const fields = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {}
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)
  const name = text(fields.name) ?? 'Error'
  // SDK errors carry the S3 code as `Code` (and `name`); socket errors as `code`.
  const code = text(fields.Code) ?? text(fields.code) ?? name
  const metadata = fields.$metadata as { httpStatusCode?: unknown } | undefined
  const status = typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined
  return { kind: kindOf(code, name, status), code, ...(status === undefined ? {} : { status }) }
}

function kindOf(code: string, name: string, status: number | undefined): S3FailureKind {
  if (code === 'NoSuchBucket') return 'no-bucket'
  // HEAD answers carry no body, hence no code: a bare 404 is a missing key.
  if (code === 'NoSuchKey' || (code === 'NotFound' && status === 404)) return 'not-found'
  if (code === 'PreconditionFailed' || status === 412) return 'precondition'
  if (CREDENTIAL_CODES.has(code) || CREDENTIAL_CODES.has(name)) return 'credentials'
  if (code === 'AccessDenied' || code === 'Forbidden' || status === 403) return 'denied'
  if (NETWORK_CODES.has(code) || NETWORK_NAMES.has(name)) return 'unreachable'
  // Any other errno-style code without an HTTP answer is a socket failure too.
  if (status === undefined && /^E[A-Z]+$/.test(code)) return 'unreachable'
  return 'other'
}

export interface S3ErrorContext {
  /** The S3 operation, e.g. `GetObject`. */
  operation: string
  bucket: string
  endpointLabel: string
  /** The driver path involved, for PathNotFoundError. */
  path?: string
}

/** Translates an SDK or socket error; errors of the driver's own vocabulary pass through. */
export function toStorageError(error: unknown, context: S3ErrorContext): Error {
  if (error instanceof PathNotFoundError || error instanceof StorageUnavailableError) return error
  const failure = classifyS3Error(error)
  if (failure.kind === 'not-found' && context.path !== undefined) {
    return new PathNotFoundError(context.path)
  }
  return new StorageUnavailableError(describeS3Failure(failure, context), { cause: error })
}

export function describeS3Failure(failure: S3Failure, context: S3ErrorContext): string {
  const where = `bucket "${context.bucket}" at ${context.endpointLabel}`
  const what = `S3 ${context.operation} failed on ${where}`
  switch (failure.kind) {
    case 'no-bucket':
      return `${what}: the bucket does not exist`
    case 'credentials':
      return `${what}: the server rejected the credentials (${failure.code})`
    case 'denied': {
      const permission = MULTIPART_PERMISSIONS[context.operation]
      return permission
        ? `${what}: access denied; the bucket policy must allow ${permission} for multipart uploads`
        : `${what}: access denied (${failure.code}); check the bucket policy`
    }
    case 'unreachable':
      return `${what}: the endpoint is unreachable (${failure.code})`
    default:
      return `${what}: ${failure.code}${failure.status ? ` (HTTP ${failure.status})` : ''}`
  }
}
