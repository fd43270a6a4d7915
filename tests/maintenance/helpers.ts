/**
 * @module
 * A registry on a temp directory with the metadata store, the activity tracker and the app, as
 * `serve` will assemble them, plus helpers to age files and run GC passes "in the future".
 */
import { utimes } from 'node:fs/promises'
import { join } from 'node:path'
import { createApp } from '../../lib/http/app'
import { silentLogger } from '../../lib/log/logger'
import { RecentActivity } from '../../lib/maintenance/gc/activity'
import { collectGarbage } from '../../lib/maintenance/gc/gc'
import type { GcReport } from '../../lib/maintenance/gc/gc-report'
import type { Config } from '../../lib/config'
import { resolveGcSettings } from '../../lib/maintenance/options'
import type { MetaStore } from '../../lib/meta/meta-store'
import { recordRegistryEvents } from '../../lib/meta/record-events'
import { blobPath } from '../../lib/registry/layout'
import { openStore, type StoreConfig } from '../../lib/registry/open-store'
import type { Harness } from '../http/harness'
import { testConfig, testStorageConfig } from '../support/config'
import { tempDirectory } from '../support/temp'

export const HOUR = 3_600_000

export interface MaintenanceHarness extends Harness {
  meta: MetaStore
  activity: RecentActivity
  /**
   * One GC pass with the clock `ahead` ms in the future (default 2h: everything is idle), under
   * `gcDelay` and `retention` as a config file writes them (durations as Go strings).
   */
  gc(options?: {
    gcDelay?: string
    retention?: Record<string, unknown>
    dryRun?: boolean
    ahead?: number
  }): Promise<GcReport>
  /** The blob's file on disk. */
  blobFile(repository: string, digest: string): string
  close(): void
}

export { tempDirectory }

export async function makeMaintenanceHarness(
  options: { rootDirectory?: string; redirectBlobURL?: boolean } & Omit<Partial<StoreConfig>, 'rootDirectory'> = {},
): Promise<MaintenanceHarness> {
  const rootDirectory = options.rootDirectory ?? (await tempDirectory('gc'))
  const logger = silentLogger()
  // As `serve` opens it: a bucket (storageDriver) keeps its metadata in the bucket and gets no
  // dedupe index (docs/gc.md).
  const storage = testStorageConfig({ ...options, rootDirectory })
  const store = await openStore(storage)
  const { registry, meta } = store
  const activity = new RecentActivity()
  const unsubscribe = [activity.follow(registry.events), recordRegistryEvents(registry.events, meta, logger)]
  const app = createApp({ registry, logger, redirectBlobs: storage.redirectBlobURL })
  return {
    rootDirectory,
    registry,
    meta,
    activity,
    request: async (path, init) => app.request(`http://registry.test${path}`, init),
    gc: ({ gcDelay, retention, dryRun, ahead = 2 * HOUR } = {}) => {
      const storage = testStorageConfig({ rootDirectory, gcDelay, retention })
      const settings = resolveGcSettings(storage, { dryRun: dryRun ?? false })
      return collectGarbage({ registry, logger, meta, activity, clock: () => Date.now() + ahead }, settings)
    },
    blobFile: (repository, digest) => join(rootDirectory, blobPath(repository, digest)),
    close: () => {
      for (const stop of unsubscribe) stop()
      void store.close()
    },
  }
}

/** Sets a file's mtime `ms` into the past. */
export async function age(file: string, ms: number): Promise<void> {
  const when = new Date(Date.now() - ms)
  await utimes(file, when, when)
}

export async function exists(file: string): Promise<boolean> {
  return Bun.file(file).exists()
}

/** The `storage` and `http` sections `zot gc` and `zot scrub` read, decoded as from a config file. */
export function commandSections(
  storage: Record<string, unknown>,
  http: Record<string, unknown>,
): Pick<Config, 'storage' | 'http'> {
  const config = testConfig({ storage, http })
  return { storage: config.storage, http: config.http }
}

/** Collects what a command writes. */
export function captureIo() {
  const out: string[] = []
  const err: string[] = []
  return { out, err, io: { out: (line: string) => void out.push(line), err: (line: string) => void err.push(line) } }
}

/** Overwrites a file with different bytes of the same length (bit rot). */
export async function corrupt(file: string): Promise<void> {
  const data = new Uint8Array(await Bun.file(file).arrayBuffer())
  data[0] = data[0]! ^ 0xff
  await Bun.write(file, data)
}
