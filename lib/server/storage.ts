/**
 * @module
 * Opens the storage a configuration names: S3 (`storageDriver.name: s3`), else local disk. Used
 * by `serve` and by the `gc` and `scrub` commands, so all three work on the same store.
 */
import type { Config } from '../config'
import type { StorageDriver } from '../storage/driver'
import { createLocalDriver } from '../storage/local-driver'

export interface OpenedStorage {
  driver: StorageDriver
  /** Other processes may use it too (a bucket behind several replicas). */
  shared: boolean
}

/**
 * The AWS SDK is loaded only for S3, so a local registry never pays for it in memory or
 * start-up. A bucket that cannot be used stops here with one line naming it and the fix.
 */
export async function openStorage(storage: Config['storage'], rootDirectory: string): Promise<OpenedStorage> {
  const params = storage.storageDriver
  if (!params) return { driver: createLocalDriver({ rootDirectory, commit: storage.commit }), shared: false }
  const name = String(params.name ?? '')
  if (name !== 's3') throw new Error(`storage.storageDriver.name: "${name}" is not supported yet; use "s3" or remove storageDriver for local disk`)
  const { checkS3Bucket, createS3Driver, s3OptionsFromZotParams } = await import('../storage/s3')
  const options = s3OptionsFromZotParams(params)
  await checkS3Bucket(options)
  return { driver: createS3Driver(options), shared: true }
}
