/**
 * @module
 * Options of the S3 driver, and their mapping from a decoded `storage.storageDriver` (the config
 * schema defaults and checks distribution's `s3-aws` parameters; nothing here defaults them).
 */
import type { S3DriverConfig } from '../../config'

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

/**
 * Options of the S3 driver: a decoded `storageDriver` renamed (`s3OptionsFromZotParams`). Every
 * value is given; the config schema (lib/config/schema/storage.ts) owns the defaults.
 */
export interface S3DriverOptions {
  bucket: string
  region: string
  /** An S3-compatible endpoint URL, scheme included; AWS's own endpoints when absent. */
  endpoint?: string
  /** Path-style URLs (`endpoint/bucket/key`). */
  forcePathStyle: boolean
  /** Accept any TLS certificate (zot's `skipverify`). */
  skipVerify: boolean
  /** Static credentials; when absent, the AWS default chain (environment, files, IAM role). */
  credentials?: S3Credentials
  /** zot's `rootdirectory`. Keys carry it twice (`zot/zot/<repo>/...`), as zot lays them out. */
  rootDirectory?: string
  /** Part size of uploads; also the most an upload buffers in memory. Clamped to 5 MiB..5 GiB. */
  chunkSize: number
  /** `NONE` sends no storage class (for servers that reject the header). */
  storageClass: string
  /** Canned ACL of written objects (`private` is sent as no header, the same effect). */
  objectAcl: string
  /** Server-side encryption: SSE-S3, or SSE-KMS with `kmsKeyId`. */
  encrypt: boolean
  kmsKeyId?: string
  userAgent?: string
  useDualstack: boolean
  accelerate: boolean
  /** Size of the ranges a multipart server-side copy splits an object into. */
  multipartCopyChunkSize: number
  /** Parallel part copies of one multipart server-side copy. */
  multipartCopyMaxConcurrency: number
  /**
   * Objects above this size are copied in parallel ranges instead of one CopyObject. The schema's
   * 5 GiB (CopyObject's limit) is unlike distribution's 32 MiB: Ceph RGW (and other servers that
   * share data between copies) copies a whole object far faster with CopyObject than in ranges
   * (docs/performance.md, "On S3").
   */
  multipartCopyThresholdSize: number
  /** Idle connections kept open to the endpoint (client.ts). */
  maxSockets: number
}

export type ResolvedS3Options = Omit<S3DriverOptions, 'rootDirectory'> & {
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

/** The options clamped to what S3 allows, with the key prefix and the server's name for errors. */
export function resolveS3Options(options: S3DriverOptions): ResolvedS3Options {
  const { rootDirectory, ...rest } = options
  return {
    ...rest,
    keyPrefix: keyPrefixFor(rootDirectory),
    // A part is held in memory whole; S3 allows 5 MiB to 5 GiB.
    chunkSize: clamp(options.chunkSize, MIN_PART_SIZE, MAX_PART_SIZE),
    // Ranges are split evenly with at least this size, so a range stays below 2 x chunk <= 5 GiB.
    multipartCopyChunkSize: clamp(options.multipartCopyChunkSize, MIN_PART_SIZE, MAX_PART_SIZE / 2),
    multipartCopyMaxConcurrency: clamp(options.multipartCopyMaxConcurrency, 1, 1000),
    multipartCopyThresholdSize: clamp(options.multipartCopyThresholdSize, 0, MAX_PART_SIZE),
    maxSockets: clamp(options.maxSockets, 1, 65_536),
    endpointLabel: options.endpoint === undefined ? `AWS S3 (${options.region})` : options.endpoint,
  }
}

/**
 * Maps a decoded `storageDriver` with `name: s3` to driver options. The config schema owns the
 * parameters' defaults, checks and the values that depend on other keys (endpoint scheme, region,
 * path style); this only renames. Unknown keys (`loglevel`, `v4auth`...) are ignored: the SDK
 * always signs with SigV4 and logs through the registry's logger.
 */
export function s3OptionsFromZotParams(params: S3DriverConfig): S3DriverOptions {
  const { accesskey, secretkey, sessiontoken } = params
  return {
    bucket: params.bucket,
    region: params.region,
    endpoint: params.regionendpoint,
    forcePathStyle: params.forcepathstyle,
    skipVerify: params.skipverify,
    credentials:
      accesskey !== undefined && secretkey !== undefined
        ? {
            accessKeyId: accesskey,
            secretAccessKey: secretkey,
            ...(sessiontoken === undefined ? {} : { sessionToken: sessiontoken }),
          }
        : undefined,
    rootDirectory: params.rootdirectory,
    chunkSize: params.chunksize,
    storageClass: params.storageclass,
    objectAcl: params.objectacl,
    encrypt: params.encrypt,
    kmsKeyId: params.keyid,
    userAgent: params.useragent,
    useDualstack: params.usedualstack,
    accelerate: params.accelerate,
    multipartCopyChunkSize: params.multipartcopychunksize,
    multipartCopyMaxConcurrency: params.multipartcopymaxconcurrency,
    multipartCopyThresholdSize: params.multipartcopythresholdsize,
    maxSockets: params.maxsockets,
  }
}
