/**
 * @module
 * Opening the store a configuration names, the one way every caller gets a registry: `serve`,
 * `zot gc`, `zot scrub` and the tests. S3 (`storageDriver.name: s3`) or local disk, with its
 * metadata store: replicas sharing a bucket keep push and pull times in it, a single registry
 * keeps them in SQLite under its local root (where zot keeps its BoltDB files).
 */
import { resolve } from 'node:path'
import { s3DriverConfig, type StorageConfig } from '../config'
import { createBucketMetaStore } from '../meta/bucket-meta-store'
import type { MetaStore } from '../meta/meta-store'
import { openSqliteMetaStore } from '../meta/sqlite-meta-store'
import type { StorageDriver } from '../storage/driver'
import { createLocalDriver } from '../storage/local-driver'
import { metaStorePath } from './layout'
import type { Registry } from './registry'
import { createRegistry } from './storage-registry'
import { createStateStore } from './state-store'

/** The `storage` keys that decide what is opened, as lib/config decodes them (defaults applied). */
export type StoreConfig = Pick<StorageConfig, 'rootDirectory' | 'dedupe' | 'commit' | 'storageDriver'>

export interface Store {
  registry: Registry
  /** Push and pull times (retention), blob locations (dedupe). */
  meta: MetaStore
  /** `rootDirectory`, resolved: the data on local disk, the local metadata with S3. */
  rootDirectory: string
  /** Flushes and closes the metadata store, then lets go of the storage's connections. */
  close(): Promise<void>
}

interface OpenedDriver {
  driver: StorageDriver
  /** Other processes may use it too (a bucket behind several replicas). */
  shared: boolean
  release(): void
}

/**
 * The AWS SDK is loaded only for S3, so a local registry never pays for it in memory or
 * start-up. A bucket that cannot be used stops here with one line naming it and the fix.
 */
async function openDriver(config: StoreConfig, rootDirectory: string): Promise<OpenedDriver> {
  const params = config.storageDriver
  if (!params)
    return { driver: createLocalDriver({ rootDirectory, commit: config.commit }), shared: false, release: () => {} }
  const s3 = s3DriverConfig(params)
  if (!s3)
    throw new Error(
      `storage.storageDriver.name: "${String(params.name ?? '')}" is not supported yet; use "s3" or remove storageDriver for local disk`,
    )
  const { checkS3Bucket, createS3Driver, s3OptionsFromZotParams } = await import('../storage/s3')
  const options = s3OptionsFromZotParams(s3)
  await checkS3Bucket(options)
  const driver = createS3Driver(options)
  return { driver, shared: true, release: () => driver.destroy() }
}

/**
 * Opens the store: storage, registry and metadata store.
 *
 * @example
 * const { registry, meta, close } = await openStore(config.storage)
 */
export async function openStore(config: StoreConfig): Promise<Store> {
  const rootDirectory = resolve(config.rootDirectory)
  const { driver, shared, release } = await openDriver(config, rootDirectory)
  const meta = shared
    ? createBucketMetaStore(createStateStore(driver))
    : openSqliteMetaStore(metaStorePath(rootDirectory))
  const registry = createRegistry({
    driver,
    dedupe: config.dedupe,
    // A bucket may be shared by replicas: no cached index.json, compare-and-swap updates.
    sharedStorage: shared,
    // Hard links exist on local disk only.
    ...(!shared && { dedupeIndex: meta.blobLocations }),
  })
  return {
    registry,
    meta,
    rootDirectory,
    async close() {
      await meta.flush()
      meta.close()
      release()
    },
  }
}
