/**
 * @module
 * The sync engine is loaded only when it has something to do: a registry without
 * `extensions.sync` never loads the upstream client, its TLS setup or the spool (part of the
 * idle-memory budget, see docs/performance.md).
 */
import { localOnlySync, syncEnabled, type Sync, type SyncOptions } from './sync'

export async function loadSync(options: SyncOptions): Promise<Sync> {
  if (!syncEnabled(options.config)) return localOnlySync(options.registry)
  const { createSync } = await import('./index')
  return createSync(options)
}
