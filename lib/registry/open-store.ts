/**
 * @module
 * Opening the store a configuration names, the one way every caller gets a registry: `serve`,
 * `zot gc`, `zot scrub` and the tests. S3 (`storageDriver.name: s3`) or local disk, with its
 * metadata store: replicas sharing a bucket keep push and pull times in it, a single registry
 * keeps them in SQLite under its local root (where zot keeps its BoltDB files).
 *
 * With `subPaths`, every store (the default one and one per route) is opened the same way, with
 * its own driver, metadata store and settings, and one registry routes between them
 * (routed-registry.ts); maintenance runs per store over `parts`.
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
import { RoutedRegistry } from './sub-paths/routed-registry'
import { createRegistry } from './storage-registry'
import { createStateStore } from './storage/state-store'
import { UploadQuota } from './storage/upload-quota'

type SubPathConfig = NonNullable<StorageConfig['subPaths']>[string]

/** The keys of one store that decide what is opened, as lib/config decodes them (defaults applied). */
export type StorePartConfig = Pick<SubPathConfig, 'rootDirectory' | 'dedupe' | 'commit' | 'storageDriver'>

/** The `storage` section: the default store and, keyed by route, the subPaths stores. */
export type StoreConfig = StorePartConfig & { subPaths?: Record<string, StorePartConfig> | undefined }

/** One store: the default one, or the store of a subPaths route. */
export interface StorePart {
  /** The subPaths key (`/a`) as configured; undefined for the default store. */
  route: string | undefined
  /** This store alone: maintenance (GC, retention, scrub, dedupe) runs on it. */
  registry: Registry
  /** Push and pull times (retention), blob locations (dedupe) of this store's repositories. */
  meta: MetaStore
  /** `rootDirectory`, resolved: the data on local disk, the local metadata with S3. */
  rootDirectory: string
}

export interface Store {
  /** Every repository, each in its store (the default store's registry without subPaths). */
  registry: Registry
  /** The default store's metadata store. */
  meta: MetaStore
  /** The default store's `rootDirectory`, resolved. */
  rootDirectory: string
  /** The default store first, then the subPaths stores sorted by route. */
  parts: StorePart[]
  /** Flushes and closes the metadata stores, then lets go of the storage's connections. */
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
async function openDriver(config: StorePartConfig, rootDirectory: string, keyPath: string): Promise<OpenedDriver> {
  const params = config.storageDriver
  if (!params)
    return { driver: createLocalDriver({ rootDirectory, commit: config.commit }), shared: false, release: () => {} }
  const s3 = s3DriverConfig(params)
  if (!s3)
    throw new Error(
      `${keyPath}.storageDriver.name: "${String(params.name ?? '')}" is not supported yet; use "s3" or remove storageDriver for local disk`,
    )
  const { checkS3Bucket, createS3Driver, s3OptionsFromZotParams } = await import('../storage/s3')
  const options = s3OptionsFromZotParams(s3)
  await checkS3Bucket(options)
  const driver = createS3Driver(options)
  return { driver, shared: true, release: () => driver.destroy() }
}

interface OpenedPart extends StorePart {
  close(): Promise<void>
}

async function openPart(
  config: StorePartConfig,
  route: string | undefined,
  uploadQuota: UploadQuota,
): Promise<OpenedPart> {
  const rootDirectory = resolve(config.rootDirectory)
  const keyPath = route === undefined ? 'storage' : `storage.subPaths[${JSON.stringify(route)}]`
  const { driver, shared, release } = await openDriver(config, rootDirectory, keyPath)
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
    uploadQuota,
  })
  return {
    route,
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

/** Opens the subPaths stores in route order; if one cannot be opened, closes the others. */
async function openSubParts(
  subPaths: Record<string, StorePartConfig>,
  uploadQuota: UploadQuota,
): Promise<OpenedPart[]> {
  const parts: OpenedPart[] = []
  try {
    for (const route of Object.keys(subPaths).sort()) parts.push(await openPart(subPaths[route]!, route, uploadQuota))
  } catch (error) {
    await Promise.all(parts.map((part) => part.close()))
    throw error
  }
  return parts
}

/**
 * Opens the store: storage, registry and metadata store, one of each per subPaths route too.
 *
 * @example
 * const { registry, meta, close } = await openStore(config.storage)
 */
export async function openStore(config: StoreConfig): Promise<Store> {
  // One set of caps for all stores: a client cannot open more sessions by spreading them.
  const uploadQuota = new UploadQuota()
  const main = await openPart(config, undefined, uploadQuota)
  let subs: OpenedPart[]
  try {
    subs = await openSubParts(config.subPaths ?? {}, uploadQuota)
  } catch (error) {
    await main.close()
    throw error
  }
  const parts = [main, ...subs]
  const registry =
    subs.length === 0
      ? main.registry
      : new RoutedRegistry(
          { route: undefined, registry: main.registry },
          subs.map(({ route, registry: sub }) => ({ route, registry: sub })),
        )
  return {
    registry,
    meta: main.meta,
    rootDirectory: main.rootDirectory,
    parts: parts.map(({ route, registry: own, meta, rootDirectory }) => ({
      route,
      registry: own,
      meta,
      rootDirectory,
    })),
    async close() {
      await Promise.all(parts.map((part) => part.close()))
    },
  }
}
