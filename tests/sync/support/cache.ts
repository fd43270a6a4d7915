/**
 * @module
 * The system under test: a registry with sync composed in, served by Bun.serve on 127.0.0.1 the
 * way `serve` will wire it (`createSync` → `createApp({ source, middleware })`). A cache can be
 * stopped and started again on the same root directory to test what survives a restart.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../../../lib/http/app'
import { createLogger, type Logger } from '../../../lib/log/logger'
import { openStore } from '../../../lib/registry/open-store'
import type { Registry } from '../../../lib/registry/registry'
import { createSync } from '../../../lib/sync'
import type { Sync } from '../../../lib/sync/sync'
import { testStorageConfig, testSyncConfig } from '../../support/config'

export interface RunningCache {
  url: string
  host: string
  rootDirectory: string
  registry: Registry
  sync: Sync
  /** JSON log lines the cache wrote. */
  logs: string[]
  /** Stops the server and the sync jobs; keeps the root directory. */
  stop(): Promise<void>
}

export interface CacheOptions {
  rootDirectory?: string
  ownHosts?: string[]
  /** Start periodic sync (default true). */
  start?: boolean
}

const roots: string[] = []

/** `extensions.sync` as a config file writes it (durations as Go strings). */
export interface SyncJson {
  registries: Record<string, unknown>[]
  [key: string]: unknown
}

/**
 * Starts a cache over `extensions.sync`, decoded as `serve` decodes it (pulls staged under the
 * root directory); the root directory is temporary unless given.
 */
export async function startCache(syncJson: SyncJson, options: CacheOptions = {}): Promise<RunningCache> {
  const rootDirectory = options.rootDirectory ?? (await mkdtemp(join(tmpdir(), 'zot-sync-cache-')))
  if (!options.rootDirectory) roots.push(rootDirectory)
  const logs: string[] = []
  const logger: Logger = createLogger({ level: 'debug', write: (line) => void logs.push(line) })
  const storage = testStorageConfig({ rootDirectory })
  const store = await openStore(storage)
  const { registry } = store
  const config = testSyncConfig(syncJson, rootDirectory)
  const sync = createSync({ registry, config, logger, ownHosts: options.ownHosts ?? [] })
  const app = createApp({
    registry,
    logger,
    redirectBlobs: storage.redirectBlobURL,
    source: sync.source,
    middleware: sync.middleware,
  })
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: app.fetch,
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    idleTimeout: 0,
  })
  if (options.start !== false) sync.start()
  return {
    url: `http://127.0.0.1:${server.port}`,
    host: `127.0.0.1:${server.port}`,
    rootDirectory,
    registry,
    sync,
    logs,
    stop: async () => {
      await server.stop(true)
      await sync.stop()
      await store.close()
    },
  }
}

/** Removes every temporary root directory `startCache` created. */
export async function removeCacheRoots(): Promise<void> {
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })))
}

/** A registry entry pulling `urls` on demand, with test-friendly timings. */
export function onDemandConfig(urls: string[], extra: Record<string, unknown> = {}): SyncJson {
  return { registries: [{ urls, onDemand: true, responseHeaderTimeout: '5s', ...extra }] }
}
