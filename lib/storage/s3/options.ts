/**
 * @module
 * Options of the S3 driver, and their mapping from zot's `storage.storageDriver` parameters (the
 * parameters of distribution's `s3-aws` driver that zot embeds, lower-case keys, values that may
 * arrive as strings). Defaults match distribution's, except where noted.
 */

const MiB = 1024 * 1024
const GiB = 1024 * MiB
/** S3's smallest part size (except a multipart upload's last part). */
export const MIN_PART_SIZE = 5 * MiB
/** S3's largest part, and largest object CopyObject copies in one request. */
export const MAX_PART_SIZE = 5 * GiB
/** S3's largest number of parts in one multipart upload. */
export const MAX_PARTS = 10_000

export interface S3Credentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

export interface S3DriverOptions {
  bucket: string
  region: string
  /** An S3-compatible endpoint URL, scheme included; AWS's own endpoints when absent. */
  endpoint?: string
  /** Path-style URLs (`endpoint/bucket/key`); default: true with `endpoint`, else false. */
  forcePathStyle?: boolean
  /** Accept any TLS certificate (zot's `skipverify`). */
  skipVerify?: boolean
  /** Static credentials; when absent, the AWS default chain (environment, files, IAM role). */
  credentials?: S3Credentials
  /** zot's `rootdirectory`. Keys carry it twice (`zot/zot/<repo>/...`), as zot lays them out. */
  rootDirectory?: string
  /** Part size of uploads; also the most an upload buffers in memory. Default 10 MiB. */
  chunkSize?: number
  /** Default `STANDARD`; `NONE` sends no storage class (for servers that reject the header). */
  storageClass?: string
  /** Canned ACL of written objects; default `private` (sent as no header, the same effect). */
  objectAcl?: string
  /** Server-side encryption: SSE-S3, or SSE-KMS with `kmsKeyId`. */
  encrypt?: boolean
  kmsKeyId?: string
  userAgent?: string
  useDualstack?: boolean
  accelerate?: boolean
  /** Size of the ranges a multipart server-side copy splits an object into. Default 32 MiB. */
  multipartCopyChunkSize?: number
  /** Parallel part copies of one multipart server-side copy. Default 100. */
  multipartCopyMaxConcurrency?: number
  /**
   * Objects above this size are copied in parallel ranges instead of one CopyObject. Default 5 GiB
   * (CopyObject's limit), unlike distribution's 32 MiB: Ceph RGW (and other servers that share
   * data between copies) copies a whole object far faster with CopyObject than in ranges
   * (docs/performance.md, "On S3").
   */
  multipartCopyThresholdSize?: number
  /** Sockets kept per endpoint: every streamed blob download holds one. Default 256. */
  maxSockets?: number
}

export type ResolvedS3Options = Required<
  Omit<S3DriverOptions, 'endpoint' | 'credentials' | 'kmsKeyId' | 'userAgent' | 'rootDirectory'>
> &
  Pick<S3DriverOptions, 'endpoint' | 'credentials' | 'kmsKeyId' | 'userAgent'> & {
    /** The prefix every key starts with: '' or `<root>/<root>/`. */
    keyPrefix: string
    /** Names the server in errors: the endpoint, or AWS and the region. */
    endpointLabel: string
  }

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, Math.floor(value)))

/**
 * zot hands `rootdirectory` to the s3 driver as its key prefix *and* uses it as the store's root
 * path, so every key holds it twice; we keep that layout so zot and we can share a bucket.
 */
export function keyPrefixFor(rootDirectory: string | undefined): string {
  const root = (rootDirectory ?? '').replace(/^\/+|\/+$/g, '')
  return root === '' ? '' : `${root}/${root}/`
}

export function resolveS3Options(options: S3DriverOptions): ResolvedS3Options {
  return {
    bucket: options.bucket,
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    skipVerify: options.skipVerify ?? false,
    credentials: options.credentials,
    keyPrefix: keyPrefixFor(options.rootDirectory),
    // A part is held in memory whole; S3 allows 5 MiB to 5 GiB.
    chunkSize: clamp(options.chunkSize ?? 10 * MiB, MIN_PART_SIZE, MAX_PART_SIZE),
    storageClass: options.storageClass ?? 'STANDARD',
    objectAcl: options.objectAcl ?? 'private',
    encrypt: options.encrypt ?? false,
    kmsKeyId: options.kmsKeyId,
    userAgent: options.userAgent,
    useDualstack: options.useDualstack ?? false,
    accelerate: options.accelerate ?? false,
    // Ranges are split evenly with at least this size, so a range stays below 2 x chunk <= 5 GiB.
    multipartCopyChunkSize: clamp(options.multipartCopyChunkSize ?? 32 * MiB, MIN_PART_SIZE, MAX_PART_SIZE / 2),
    multipartCopyMaxConcurrency: clamp(options.multipartCopyMaxConcurrency ?? 100, 1, 1000),
    multipartCopyThresholdSize: clamp(options.multipartCopyThresholdSize ?? MAX_PART_SIZE, 0, MAX_PART_SIZE),
    maxSockets: clamp(options.maxSockets ?? 256, 1, 65_536),
    endpointLabel: options.endpoint ?? `AWS S3 (${options.region})`,
  }
}

/**
 * Maps zot's `storageDriver` map (`name: s3` plus distribution's parameters) to driver options.
 * Throws one line naming the offending key. Unknown keys (`loglevel`, `v4auth`...) are ignored:
 * the SDK always signs with SigV4 and logs through the registry's logger.
 */
export function s3OptionsFromZotParams(params: Record<string, unknown>): S3DriverOptions {
  const read = paramReader(params)
  const bucket = read.string('bucket')
  if (!bucket) throw new Error('storage.storageDriver.bucket is required for the s3 driver')
  const regionEndpoint = read.string('regionendpoint')
  const secure = read.boolean('secure') ?? true
  // distribution (aws-sdk-go) adds the scheme `secure` selects to an endpoint written without one.
  const endpoint =
    regionEndpoint && !/^[a-z][a-z0-9+.-]*:\/\//i.test(regionEndpoint)
      ? `${secure ? 'https' : 'http'}://${regionEndpoint}`
      : regionEndpoint
  const region = read.string('region') ?? (endpoint ? 'us-east-1' : undefined)
  if (!region) {
    throw new Error('storage.storageDriver.region is required for the s3 driver (or set regionendpoint)')
  }
  const accessKeyId = read.string('accesskey')
  const secretAccessKey = read.string('secretkey')
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw new Error(
      'storage.storageDriver: set both accesskey and secretkey, ' + 'or neither to use the AWS credential chain',
    )
  }
  const sessionToken = read.string('sessiontoken')
  return {
    bucket,
    region,
    endpoint: endpoint ?? (secure ? undefined : `http://s3.${region}.amazonaws.com`),
    forcePathStyle: read.boolean('forcepathstyle') ?? endpoint !== undefined,
    skipVerify: read.boolean('skipverify') ?? false,
    credentials:
      accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }
        : undefined,
    rootDirectory: read.string('rootdirectory'),
    chunkSize: read.number('chunksize'),
    storageClass: read.string('storageclass'),
    objectAcl: read.string('objectacl'),
    encrypt: read.boolean('encrypt'),
    kmsKeyId: read.string('keyid'),
    userAgent: read.string('useragent'),
    useDualstack: read.boolean('usedualstack'),
    accelerate: read.boolean('accelerate'),
    multipartCopyChunkSize: read.number('multipartcopychunksize'),
    multipartCopyMaxConcurrency: read.number('multipartcopymaxconcurrency'),
    multipartCopyThresholdSize: read.number('multipartcopythresholdsize'),
    // Not a zot parameter: zot-bun's own knob for the socket pool.
    maxSockets: read.number('maxsockets'),
  }
}

/** Typed access to a YAML/JSON parameter map where numbers and booleans may be strings. */
function paramReader(params: Record<string, unknown>) {
  const invalid = (key: string, expected: string): Error =>
    new Error(`storage.storageDriver.${key} must be ${expected}, got ${JSON.stringify(params[key])}`)
  return {
    string(key: string): string | undefined {
      const value = params[key]
      if (value === undefined || value === null || value === '') return undefined
      if (typeof value === 'string') return value
      if (typeof value === 'number' || typeof value === 'boolean') return String(value)
      throw invalid(key, 'a string')
    },
    boolean(key: string): boolean | undefined {
      const value = params[key]
      if (value === undefined || value === null || value === '') return undefined
      if (typeof value === 'boolean') return value
      if (value === 'true' || value === 'false') return value === 'true'
      throw invalid(key, 'true or false')
    },
    number(key: string): number | undefined {
      const value = params[key]
      if (value === undefined || value === null || value === '') return undefined
      const number = typeof value === 'string' ? Number(value) : value
      if (typeof number === 'number' && Number.isFinite(number) && number >= 0) return number
      throw invalid(key, 'a non-negative number')
    },
  }
}
