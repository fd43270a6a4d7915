/**
 * @module
 * The metadata store: push and pull times for retention, and the dedupe index.
 */
export type { ManifestStats, MetaStore, RepositoryStats, TagStats, UserMark } from './meta-store'
export { recordRegistryEvents } from './record-events'
export { openSqliteMetaStore } from './sqlite-meta-store'
export { createBucketMetaStore } from './bucket-meta-store'
