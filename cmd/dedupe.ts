/**
 * @module
 * `zot dedupe --restore CONFIG [--json]`: replaces every dedupe placeholder (the zero-byte objects
 * zot's dedupe leaves on S3, docs/s3.md "Dedupe") with a server-side copy of its content, so a
 * bucket migrated from zot, or deduped here, no longer needs any dedupe cache and reads the same
 * in zot with any setting. Sets zot's `_restore_complete` marker when nothing is left. The reverse
 * (turning copies into placeholders) is what `storage.dedupe: true` does for new blobs; on local
 * disk the start-up dedupe walk of `serve` converts both ways. Exits 2 when a placeholder has no
 * content anywhere (it stays as it is, listed).
 */
import type { Command } from 'commander'
import type { MaintenanceIo } from '../lib/maintenance'
import { restorePlaceholders } from '../lib/maintenance/dedupe'
import { plural } from '../lib/maintenance/reports/format'
import { processIo } from './io'
import { loadConfigOrExplain } from './load-config'
import { type MaintenanceCommandOptions, openCommandStore, refuseBesideServer } from './maintenance-store'

export interface DedupeCommandOptions extends MaintenanceCommandOptions {
  restore: boolean
  json?: boolean
}

/** The exit codes of `zot dedupe`. */
export const DEDUPE_EXIT = { done: 0, failed: 1, missing: 2 } as const

/** Adds `dedupe` to the program. */
export function registerDedupe(program: Command): void {
  program
    .command('dedupe')
    .description('with --restore: replace every dedupe placeholder with a copy of its content (S3)')
    .argument('<config>', 'zot configuration file')
    .option('--restore', 'make the store self-contained: no placeholder left')
    .option('--json', 'print the report as JSON')
    .action(async (path: string, options: { restore?: boolean; json?: boolean }) => {
      const loaded = await loadConfigOrExplain(path, 'dedupe')
      if (!loaded) return void (process.exitCode = DEDUPE_EXIT.failed)
      const { config } = loaded
      process.exitCode = await dedupeCommand(
        { storage: config.storage, http: config.http, restore: options.restore ?? false, json: options.json ?? false },
        processIo(),
      )
    })
}

/**
 * Runs the command; resolves to the exit code: 0 done, 2 placeholders without content remain,
 * 1 refused or a repository failed.
 *
 * @example
 * process.exitCode = await dedupeCommand({ storage: config.storage, http: config.http, restore: true }, processIo())
 */
export async function dedupeCommand(options: DedupeCommandOptions, io: MaintenanceIo): Promise<number> {
  if (!options.restore) {
    io.err('zot dedupe: only --restore is a command; dedupe itself is storage.dedupe: true in the config')
    return DEDUPE_EXIT.failed
  }
  const stores = [options.storage, ...Object.values(options.storage.subPaths ?? {})]
  if (!stores.some((store) => store.storageDriver)) {
    io.err('zot dedupe: storage is on local disk, where dedupe uses hard links and leaves no placeholder;')
    io.err('  set storage.dedupe to false and serve turns shared files into copies at start')
    return DEDUPE_EXIT.failed
  }
  if (await refuseBesideServer('dedupe', options, io)) return DEDUPE_EXIT.failed
  const store = await openCommandStore('dedupe', options, io)
  if (!store) return DEDUPE_EXIT.failed
  try {
    const report = await restorePlaceholders({ registry: store.registry, logger: store.logger })
    if (options.json) io.out(JSON.stringify(report, null, 2))
    for (const { repository, digest } of report.missing) {
      io.err(`zot dedupe: ${repository}: placeholder of ${digest} has no content in any repository`)
    }
    for (const error of report.errors) io.err(`zot dedupe: ${error.repository}: ${error.message}`)
    if (!options.json) {
      const found = plural(report.placeholders, 'placeholder')
      const scanned = plural(report.repositories, 'repository', 'repositories')
      io.out(`dedupe --restore: ${scanned}, ${found}, ${report.restored} restored, ${report.missing.length} missing`)
    }
    if (report.errors.length > 0) return DEDUPE_EXIT.failed
    return report.missing.length > 0 ? DEDUPE_EXIT.missing : DEDUPE_EXIT.done
  } finally {
    await store.close()
  }
}
