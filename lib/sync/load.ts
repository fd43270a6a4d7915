/**
 * @module
 * The sync engine is loaded only when it has something to do: a registry without
 * `extensions.sync` never loads the upstream client, its TLS setup or the spool (part of the
 * idle-memory budget, see docs/performance.md).
 */
import type { SyncConfig } from '../config'
import type { Registry } from '../registry/registry'
import type { Sync, SyncOptions } from './index'

/** Sync is on when the config has the section, does not disable it and names an upstream. */
export const syncEnabled = (config: SyncConfig | undefined): config is SyncConfig =>
  config?.enable === true && config.registries.length > 0

/** What a registry without sync serves: its own storage, no background work. */
export const localOnlySync = (registry: Registry): Sync => ({
  source: registry,
  middleware: [],
  start: () => {},
  stop: async () => {},
})

export async function loadSync(options: SyncOptions): Promise<Sync> {
  if (!syncEnabled(options.config)) return localOnlySync(options.registry)
  const { createSync } = await import('./index')
  return createSync(options)
}
