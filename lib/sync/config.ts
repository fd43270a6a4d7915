/**
 * @module
 * A `registries[]` entry as sync runs it. lib/config decodes `extensions.sync` and applies every
 * default (lib/config/schema); this adds the entry's position and what a few values mean at run
 * time, and applies no default of its own.
 */
import type { SyncRegistryConfig } from '../config'

/** A registry entry ready for the upstream client, the router and periodic sync. */
export interface ResolvedRegistry extends Omit<SyncRegistryConfig, 'reqPerSec'> {
  /** Position in the config; names the entry in logs and routes. */
  index: number
  /** Requests per second per upstream host; Infinity when unlimited. */
  reqPerSec: number
}

/** The entry at `index` of the config's `registries`, for the parts of sync that run it. */
export function resolveRegistry(config: SyncRegistryConfig, index: number): ResolvedRegistry {
  return {
    ...config,
    index,
    urls: config.urls.map((url) => url.replace(/\/+$/, '')),
    // The config check refuses a cap below the first delay and no concurrency; a config built
    // in code without that check still backs off and sends.
    maxRetryDelay: Math.max(config.maxRetryDelay, config.retryDelay),
    reqConcurrent: Math.max(1, config.reqConcurrent),
    reqPerSec: config.reqPerSec !== undefined && config.reqPerSec > 0 ? config.reqPerSec : Number.POSITIVE_INFINITY,
  }
}
