/**
 * @module
 * The S3 storage driver's public surface: the driver, its options and zot's parameter mapping,
 * the start-up bucket check, and the conditional-write types.
 */
export { createS3Driver, type S3Driver } from './driver'
export { checkS3Bucket } from './check-bucket'
export {
  s3OptionsFromZotParams,
  keyPrefixFor,
  type S3DriverOptions,
  type S3Credentials,
} from './options'
export type { PutCondition, ConditionalPutResult, ContentWithETag } from './conditional-writes'
