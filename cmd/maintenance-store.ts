/**
 * @module
 * What `zot gc` and `zot scrub` share: refusing to run beside a live server (or as root on a data
 * directory another user owns), then opening the store the configuration names (local disk or
 * S3) with its metadata store, as `serve` does, every `subPaths` store included.
 */
import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { HttpConfig, StorageConfig } from '../lib/config'
import { createLogger, type Logger } from '../lib/log/logger'
import type { MaintenanceIo } from '../lib/maintenance'
import { refuseAsRootOnForeignStore } from '../lib/maintenance/owner-check'
import type { Progress } from '../lib/maintenance/reports/progress'
import { somethingListens } from '../lib/maintenance/server-check'
import type { MetaStore } from '../lib/meta/meta-store'
import { openStore, type StorePart } from '../lib/registry/open-store'
import type { Registry } from '../lib/registry/registry'

/** What `gc` and `scrub` take from the configuration. */
export interface MaintenanceCommandOptions {
  /** The `storage` section: the default store (`storageDriver` included for S3) and `subPaths`. */
  storage: StorageConfig
  /** The `http` section: the command refuses to run while something listens there. */
  http: Pick<HttpConfig, 'address' | 'port'>
  /** Default: errors as JSON lines on `io.err` (the results themselves go to `io.out`). */
  logger?: Logger
}

/** The store a maintenance command works on, opened as `serve` opens it. */
export interface OpenedStore {
  /** Every repository of every store (progress lines count them all). */
  registry: Registry
  meta: MetaStore
  /** Each store on its own: GC and scrub visit every one with its own settings. */
  parts: StorePart[]
  logger: Logger
  /** Flushes what the metadata store buffered, then closes the store. */
  close(): Promise<void>
}

/** Prints why and resolves true when a server answers on the configured address. */
export async function refuseBesideServer(
  command: string,
  options: MaintenanceCommandOptions,
  io: MaintenanceIo,
): Promise<boolean> {
  const { address, port } = options.http
  if (!(await somethingListens(address, port))) return false
  io.err(`zot ${command}: something listens on ${address}:${port} (this config's http.address and http.port).`)
  io.err(`  Is the server running on this storage?`)
  io.err('  Stop it first: a second process would race its pushes and its cached indexes.')
  io.err('  A running server does this itself: storage.gc and extensions.scrub.')
  return true
}

/** The local roots of the stores: the default one, then each subPaths store on local disk. */
function localRoots(storage: StorageConfig): { key: string; rootDirectory: string }[] {
  const roots = storage.storageDriver ? [] : [{ key: 'storage.rootDirectory', root: storage.rootDirectory }]
  for (const [route, sub] of Object.entries(storage.subPaths ?? {})) {
    if (!sub.storageDriver)
      roots.push({ key: `storage.subPaths[${JSON.stringify(route)}].rootDirectory`, root: sub.rootDirectory })
  }
  return roots.map(({ key, root }) => ({ key, rootDirectory: resolve(root) }))
}

/** Opens the store, or prints why it cannot and resolves undefined. */
export async function openCommandStore(
  command: string,
  options: MaintenanceCommandOptions,
  io: MaintenanceIo,
): Promise<OpenedStore | undefined> {
  const defaultRoot = resolve(options.storage.rootDirectory)
  if (!statSync(defaultRoot, { throwIfNoEntry: false })?.isDirectory()) {
    io.err(`zot ${command}: storage.rootDirectory ${defaultRoot} is not a directory`)
    return undefined
  }
  // Local disk only: a remote driver (S3) creates nothing on this machine's disk. A sub-store's
  // root that does not exist yet holds nothing to collect (opening it creates it, as serve does).
  for (const { key, rootDirectory } of localRoots(options.storage)) {
    const root = statSync(rootDirectory, { throwIfNoEntry: false })
    if (!root) continue
    if (!root.isDirectory()) {
      io.err(`zot ${command}: ${key} ${rootDirectory} is not a directory`)
      return undefined
    }
    if (refuseAsRootOnForeignStore(command, rootDirectory, root.uid, io)) return undefined
  }
  const logger = options.logger ?? createLogger({ level: 'error', write: io.err })
  // On S3 push and pull times live in the bucket, and dedupe links are local-disk only, so it
  // gets no dedupe index (docs/gc.md): openStore decides both, as for `serve`.
  const { registry, meta, parts, close } = await openStore(options.storage)
  return { registry, meta, parts, logger, close }
}

/** Reports one store's pass: repositories done and in all so far, the one being worked on. */
export type StorePassProgress = (done: number, total: number, repository: string, bytesProcessed?: () => number) => void

/**
 * The status line over a pass that visits the stores one after another: the counts run on from
 * store to store (`12/40` across all), so the line reads as one pass. `forStore(index)` is the
 * progress callback of the pass over `parts[index]`.
 */
export async function passProgress(
  parts: readonly StorePart[],
  progress: Progress,
): Promise<(index: number) => StorePassProgress> {
  // The pass lists each catalog anyway; the lists are cached, so this costs nothing twice.
  const counts = await Promise.all(parts.map(async (part) => (await part.registry.catalog.list()).length))
  const total = counts.reduce((sum, count) => sum + count, 0)
  const offsets = counts.map((_, index) => counts.slice(0, index).reduce((sum, count) => sum + count, 0))
  return (index) => (done, _total, repository, bytesProcessed) =>
    progress.repository(offsets[index]! + done, total, repository, bytesProcessed)
}
