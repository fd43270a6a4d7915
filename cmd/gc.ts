/**
 * @module
 * `zot gc CONFIG [--dry-run] [--json]`: one GC and retention pass now, whatever `storage.gc`
 * says, with the configured delays and policies. Prints every deletion with the rule behind it
 * (or, with `--dry-run`, what would go), then a summary line. With `subPaths` every store is
 * collected, each with its own `gcDelay` and `retention`, and the summary covers them all; a
 * sub-store whose `gc` is off (zot's default there) is skipped and said so: its delays are then
 * 0, and collecting it would delete every untagged manifest at once.
 */
import type { Command } from 'commander'
import {
  collectGarbage,
  decisionLine,
  type GcReport,
  type MaintenanceIo,
  resolveGcSettings,
  summaryLine,
} from '../lib/maintenance'
import { mergeGcReports } from '../lib/maintenance/reports/merge-reports'
import type { GcSettings } from '../lib/maintenance/options'
import { startProgress } from '../lib/maintenance/reports/progress'
import { storeSettings } from '../lib/maintenance/stores-maintenance'
import { processIo } from './io'
import { loadConfigOrExplain } from './load-config'
import { type MaintenanceCommandOptions, openCommandStore, passProgress, refuseBesideServer } from './maintenance-store'

export interface GcCommandOptions extends MaintenanceCommandOptions {
  /** Report only (also forced by `storage.retention.dryRun`). */
  dryRun?: boolean
  json?: boolean
}

/** Adds `gc` to the program. */
export function registerGc(program: Command): void {
  program
    .command('gc')
    .description(
      'run one garbage-collection and retention pass now (whatever storage.gc says), with the configured delays',
    )
    .argument('<config>', 'zot configuration file')
    .option('--dry-run', 'report what would be deleted and why, delete nothing')
    .option('--json', 'print the report as JSON')
    .action(async (path: string, options: { dryRun?: boolean; json?: boolean }) => {
      const loaded = await loadConfigOrExplain(path, 'gc')
      if (!loaded) return void (process.exitCode = 1)
      const { config } = loaded
      process.exitCode = await gcCommand(
        { storage: config.storage, http: config.http, dryRun: options.dryRun ?? false, json: options.json ?? false },
        processIo(),
      )
    })
}

/**
 * Runs the command; resolves to the exit code: 0 done, 1 refused or a repository failed.
 *
 * @example
 * process.exitCode = await gcCommand({ storage: config.storage, http: config.http, dryRun }, processIo())
 */
export async function gcCommand(options: GcCommandOptions, io: MaintenanceIo): Promise<number> {
  const dryRun = options.dryRun ?? false
  // Every store's settings first: a bad pattern stops the command before anything is opened.
  const subPaths = Object.entries(options.storage.subPaths ?? {})
  for (const [route] of subPaths.filter(([, sub]) => !sub.gc))
    io.err(`zot gc: storage.subPaths[${JSON.stringify(route)}] has gc off: not collected (set "gc": true there)`)
  const routes = [undefined, ...subPaths.filter(([, sub]) => sub.gc).map(([route]) => route)]
  const settings = new Map<string | undefined, GcSettings>()
  try {
    for (const route of routes)
      settings.set(route, resolveGcSettings(storeSettings(options.storage, route), { dryRun }))
  } catch (error) {
    io.err(`zot gc: ${(error as Error).message}`)
    return 1
  }
  if (await refuseBesideServer('gc', options, io)) return 1
  const store = await openCommandStore('gc', options, io)
  if (!store) return 1
  const { registry, logger } = store
  const parts = store.parts.filter((part) => settings.has(part.route))
  const progress = startProgress('gc', io, registry)
  try {
    const reports: GcReport[] = []
    const onProgress = progress && (await passProgress(parts, progress))
    for (const [index, part] of parts.entries()) {
      const partProgress = onProgress?.(index)
      const context = {
        registry: part.registry,
        logger,
        meta: part.meta,
        ...(partProgress && { onProgress: partProgress }),
      }
      reports.push(await collectGarbage(context, settings.get(part.route)!))
    }
    // A store's own `retention.dryRun` makes its pass a dry run while the others delete.
    const report = mergeGcReports(
      reports,
      reports.every((own) => own.dryRun),
    )
    progress?.stop()
    if (options.json) {
      io.out(JSON.stringify(report, null, 2))
    } else {
      for (const own of reports) {
        const deletions = own.decisions.filter((decision) => decision.action === 'delete')
        for (const decision of deletions) io.out(decisionLine(decision, own.dryRun))
      }
      for (const { repository, message } of [...report.warnings, ...report.errors])
        io.err(`zot gc: ${repository}: ${message}`)
      io.out(summaryLine(report))
    }
    return report.errors.length > 0 ? 1 : 0
  } finally {
    progress?.stop()
    await store.close()
  }
}
