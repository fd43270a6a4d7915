/**
 * @module
 * `zot scrub CONFIG [--json]`: checks every image of every store (the default one and each
 * `subPaths` store), prints zot's table (or JSON) and a summary line, and quarantines corrupt
 * blobs. Unlike zot it exits non-zero when anything is affected, so cron and CI notice.
 */
import type { Command } from 'commander'
import { type MaintenanceIo, type ScrubReport, scrubStorage } from '../lib/maintenance'
import { mergeScrubReports } from '../lib/maintenance/reports/merge-reports'
import { startProgress } from '../lib/maintenance/reports/progress'
import { scrubJson, scrubSummary, scrubTable } from '../lib/maintenance/scrub/scrub-output'
import { processIo } from './io'
import { loadConfigOrExplain } from './load-config'
import { type MaintenanceCommandOptions, openCommandStore, passProgress, refuseBesideServer } from './maintenance-store'

export interface ScrubCommandOptions extends MaintenanceCommandOptions {
  json?: boolean
  /** Move corrupt blobs aside so the registry answers 404 for them (default true). */
  quarantine?: boolean
}

/** The exit codes of `zot scrub`. */
export const SCRUB_EXIT = { clean: 0, failed: 1, affected: 2 } as const

/** Adds `scrub` to the program. */
export function registerScrub(program: Command): void {
  program
    .command('scrub')
    .description('re-hash everything every repository references; exit 2 when anything is affected')
    .argument('<config>', 'zot configuration file')
    .option('--json', 'print the results as JSON')
    .action(async (path: string, options: { json?: boolean }) => {
      const loaded = await loadConfigOrExplain(path, 'scrub')
      if (!loaded) return void (process.exitCode = SCRUB_EXIT.failed)
      const { config } = loaded
      process.exitCode = await scrubCommand(
        { storage: config.storage, http: config.http, json: options.json ?? false },
        processIo(),
      )
    })
}

/**
 * Runs the command; resolves to the exit code: 0 all ok, 2 something affected, 1 refused or a
 * repository could not be checked.
 *
 * @example
 * process.exitCode = await scrubCommand({ storage: config.storage, http: config.http, json }, processIo())
 */
export async function scrubCommand(options: ScrubCommandOptions, io: MaintenanceIo): Promise<number> {
  if (await refuseBesideServer('scrub', options, io)) return SCRUB_EXIT.failed
  const store = await openCommandStore('scrub', options, io)
  if (!store) return SCRUB_EXIT.failed
  const progress = startProgress('scrub', io, store.registry)
  try {
    const onProgress = progress && (await passProgress(store.parts, progress))
    const reports: ScrubReport[] = []
    for (const [index, part] of store.parts.entries()) {
      const partProgress = onProgress?.(index)
      reports.push(
        await scrubStorage({
          registry: part.registry,
          logger: store.logger,
          quarantine: options.quarantine ?? true,
          ...(partProgress && {
            onProgress: (done: number, total: number, repository: string, running: ScrubReport) =>
              partProgress(done, total, repository, () => running.bytesChecked),
          }),
        }),
      )
    }
    const report = mergeScrubReports(reports)
    progress?.stop()
    if (options.json) io.out(scrubJson(report))
    else for (const line of scrubTable(report.rows)) io.out(line)
    for (const error of report.errors) io.err(`zot scrub: ${error.repository}: ${error.message}`)
    if (!options.json) io.out(scrubSummary(report))
    if (report.errors.length > 0) return SCRUB_EXIT.failed
    return report.rows.some((row) => row.status === 'affected') ? SCRUB_EXIT.affected : SCRUB_EXIT.clean
  } finally {
    progress?.stop()
    await store.close()
  }
}
