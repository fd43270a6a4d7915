/**
 * @module
 * What `zot gc` and `zot scrub` share: refusing to run beside a live server (or as root on a data
 * directory another user owns), then opening the store the configuration names (local disk or
 * S3) with its metadata store, as `serve` does.
 */
import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { HttpConfig } from '../lib/config'
import { createLogger, type Logger } from '../lib/log/logger'
import type { MaintenanceIo, StoreMaintenanceOptions } from '../lib/maintenance'
import { refuseAsRootOnForeignStore } from '../lib/maintenance/owner-check'
import { somethingListens } from '../lib/maintenance/server-check'
import type { MetaStore } from '../lib/meta/meta-store'
import { openStore, type StoreConfig } from '../lib/registry/open-store'
import type { Registry } from '../lib/registry/registry'

/** What `gc` and `scrub` take from the configuration. */
export interface MaintenanceCommandOptions {
  /** The `storage` section (the default store), `storageDriver` included for S3. */
  storage: StoreMaintenanceOptions & Pick<StoreConfig, 'commit' | 'storageDriver'>
  /** The `http` section: the command refuses to run while something listens there. */
  http: Pick<HttpConfig, 'address' | 'port'>
  /** Default: errors as JSON lines on `io.err` (the results themselves go to `io.out`). */
  logger?: Logger
}

/** The store a maintenance command works on, opened as `serve` opens it. */
export interface OpenedStore {
  registry: Registry
  meta: MetaStore
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

/** Opens the store, or prints why it cannot and resolves undefined. */
export async function openCommandStore(
  command: string,
  options: MaintenanceCommandOptions,
  io: MaintenanceIo,
): Promise<OpenedStore | undefined> {
  const rootDirectory = resolve(options.storage.rootDirectory)
  const root = statSync(rootDirectory, { throwIfNoEntry: false })
  if (!root?.isDirectory()) {
    io.err(`zot ${command}: storage.rootDirectory ${rootDirectory} is not a directory`)
    return undefined
  }
  // Local disk only: a remote driver (S3) creates nothing on this machine's disk.
  if (!options.storage.storageDriver && refuseAsRootOnForeignStore(command, rootDirectory, root.uid, io))
    return undefined
  const logger = options.logger ?? createLogger({ level: 'error', write: io.err })
  // On S3 push and pull times live in the bucket, and dedupe links are local-disk only, so it
  // gets no dedupe index (docs/gc.md): openStore decides both, as for `serve`.
  const { registry, meta, close } = await openStore(options.storage)
  return { registry, meta, logger, close }
}
