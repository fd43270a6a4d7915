/**
 * @module
 * The default store and the `subPaths` stores as one list, for the defaults and checks that
 * apply to each store alike.
 */
import { entryPath } from './findings'
import type { Config, StorageConfig } from './schema'

type SubPathStore = NonNullable<StorageConfig['subPaths']>[string]
export type AnyStore = StorageConfig | SubPathStore

export interface StoreEntry {
  /** Key path of the store: `storage` or `storage.subPaths["/route"]`. */
  path: string
  /** `undefined` for the default store. */
  route: string | undefined
  store: AnyStore
}

export function allStores(config: Config): StoreEntry[] {
  const subPaths = Object.entries(config.storage.subPaths ?? {}).map(([route, store]) => ({
    path: entryPath('storage.subPaths', route),
    route,
    store,
  }))
  return [{ path: 'storage', route: undefined, store: config.storage }, ...subPaths]
}

export function describeStore(entry: StoreEntry): string {
  return entry.route === undefined ? 'the default store' : `the store of route ${entry.route}`
}

/** The driver name of a store: `local` without `storageDriver`. */
export function driverName(store: AnyStore): string {
  return store.storageDriver === undefined ? 'local' : String(store.storageDriver.name ?? '')
}

export function isRemote(store: AnyStore): boolean {
  return store.storageDriver !== undefined
}
