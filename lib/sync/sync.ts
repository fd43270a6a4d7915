/**
 * @module
 * What the rest of the server sees of sync: its options, the running engine's interface, and the
 * local-only stand-in used when sync has nothing to do. A leaf of lib/sync, so `load.ts` can
 * decide without loading the engine (`index.ts`) and the engine can use the same stand-in.
 */
import type { MiddlewareHandler } from 'hono'
import type { SyncConfig } from '../config'
import type { AppEnv } from '../http/context'
import type { PullSource } from '../http/pull-source'
import type { Logger } from '../log/logger'
import type { MetricFamily } from '../maintenance/reports/metrics'
import type { Registry } from '../registry/registry'
import type { BudgetStore } from './cache/budget/cache-budget'

export interface SyncOptions {
  registry: Registry
  /** `extensions.sync` as lib/config decodes it; absent, disabled or without registries: local only. */
  config: SyncConfig | undefined
  logger: Logger
  /**
   * Every store with its metadata store and root, the default first: the cache budget counts and
   * evicts through them. Absent: nothing is evicted (blobs still bypass a full disk).
   */
  stores?: readonly BudgetStore[]
  /** host[:port] names this registry is reached by (externalUrl host, listen address). */
  ownHosts?: readonly string[]
  /**
   * The server's shutdown: aborting it cancels periodic mirroring (retry waits included) and
   * fills nobody waits for, as `stop()` does.
   */
  signal?: AbortSignal
}

export interface Sync {
  /** Serves every pull (narrowed per `?ns=` request); pass to `createApp({ source })`. */
  source: PullSource
  /** The `?ns=` router; run it before authorization, which must see the mapped name. */
  middleware: MiddlewareHandler<AppEnv>[]
  /** Starts periodic mirroring and the cache budget's first count. */
  start(): void
  /** The pull-through cache's `zot_sync_cache_*` families. */
  metrics(): MetricFamily[]
  /**
   * Cancels periodic mirroring and fills nobody waits for, waits for them to end and records
   * pending tag checks. Fills that clients are reading go on until the last of them is gone.
   */
  stop(): Promise<void>
}

/** Sync is on when the config has the section, does not disable it and names an upstream. */
export const syncEnabled = (config: SyncConfig | undefined): config is SyncConfig =>
  config?.enable === true && config.registries.length > 0

/** What a registry without sync serves: its own storage, no background work. */
export const localOnlySync = (registry: Registry): Sync => ({
  source: registry,
  middleware: [],
  start: () => {},
  metrics: () => [],
  stop: async () => {},
})
