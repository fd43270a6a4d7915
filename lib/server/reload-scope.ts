/**
 * @module
 * What a SIGHUP can change and what it cannot. The listener (address, port, TLS on or off, its
 * timeouts), the main log file and the storage itself (where it is, its driver, dedupe, fsync,
 * sub-stores) are fixed when `serve` starts; everything the app and the background jobs are
 * rebuilt from is applied. A reload that changes a restart-only setting says so by name, since
 * otherwise the log's "configuration reloaded" would read as if the new value were in force.
 */
import type { Config } from '../config'

/** The settings a SIGHUP applies (the app, sync and maintenance are rebuilt from them). */
export const RELOADED_SETTINGS = [
  'log.level',
  'log.audit',
  'http.auth',
  'http.accessControl',
  'http.realm',
  'http.externalUrl',
  'http.allowOrigin',
  'extensions.metrics',
  'extensions.sync',
  'extensions.scrub',
  'storage.gc',
  'storage.retention',
  'storage.redirectBlobURL',
  'storage.subPaths.<route>.gc',
  'storage.subPaths.<route>.retention',
  'storage.subPaths.<route>.redirectBlobURL',
] as const

/** Settings read once at start, each with how to read it from a config. */
const RESTART_ONLY: Record<string, (config: Config) => unknown> = {
  'http.address': (config) => config.http.address,
  'http.port': (config) => config.http.port,
  'http.tls': (config) => Boolean(config.http.tls?.cert),
  'http.readTimeout': (config) => config.http.readTimeout,
  'http.writeTimeout': (config) => config.http.writeTimeout,
  'log.output': (config) => config.log.output,
  'storage.rootDirectory': (config) => config.storage.rootDirectory,
  'storage.storageDriver': (config) => config.storage.storageDriver,
  'storage.dedupe': (config) => config.storage.dedupe,
  'storage.commit': (config) => config.storage.commit,
  'storage.remoteCache': (config) => config.storage.remoteCache,
  // Which stores exist, where, and how they store; each route's GC and retention reload (zot too).
  'storage.subPaths': (config) =>
    Object.entries(config.storage.subPaths ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([route, store]) => [route, store.rootDirectory, store.storageDriver, store.dedupe, store.commit]),
}

/**
 * The restart-only settings whose value in `next` differs from the one the process started
 * with (`started`: restart-only values never change while it runs).
 */
export function restartOnlyChanges(started: Config, next: Config): string[] {
  return Object.entries(RESTART_ONLY)
    .filter(([, read]) => JSON.stringify(read(started)) !== JSON.stringify(read(next)))
    .map(([setting]) => setting)
}
