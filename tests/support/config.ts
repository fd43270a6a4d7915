/**
 * @module
 * Configurations for tests, built the way `serve` builds them: through the schema's decoder, so
 * a test runs with the defaults production has. Values are written as in a config file
 * (durations as Go strings such as "5s" or "400ms").
 */
import {
  configFromObject,
  s3DriverConfig,
  type Config,
  type S3DriverConfig,
  type StorageConfig,
  type SyncConfig,
} from '../../lib/config'

/** The storage root of configs whose storage a test never opens. */
const UNUSED_ROOT = '/nonexistent/zot-test-root'

/** The whole configuration; `storage` may be left out when the test does not use it. */
export function testConfig(raw: Record<string, unknown>): Config {
  return configFromObject({ storage: { rootDirectory: UNUSED_ROOT }, ...raw }, 'test config')
}

/** `extensions.sync`; pulls are staged under `rootDirectory`, as `serve` stages them. */
export function testSyncConfig(sync: Record<string, unknown>, rootDirectory = UNUSED_ROOT): SyncConfig {
  const decoded = testConfig({ storage: { rootDirectory }, extensions: { sync } }).extensions?.sync
  if (!decoded) throw new Error('extensions.sync did not decode')
  return decoded
}

/** The `storage` section, with the defaults that depend on other keys (`gc` off zeroes delays). */
export function testStorageConfig(storage: Record<string, unknown>): StorageConfig {
  return testConfig({ storage }).storage
}

/** `storage.storageDriver` with `name: s3` as the decoder resolves it (defaults, endpoint scheme,
 * region, path style), from parameters written as in a config file. */
export function testS3DriverConfig(params: Record<string, unknown>): S3DriverConfig {
  const driver = s3DriverConfig(
    testStorageConfig({ rootDirectory: UNUSED_ROOT, dedupe: false, storageDriver: { name: 's3', ...params } })
      .storageDriver,
  )
  if (!driver) throw new Error('storage.storageDriver did not decode as s3')
  return driver
}
