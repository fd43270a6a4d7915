/**
 * @module
 * `zot verify-config FILE [--json]` (alias `verify`): loads the config exactly as `serve` does
 * and reports every finding. Exit status 0 when valid (warnings allowed), 1 when not. The human
 * output ends with a one-line verdict; `--json` prints one JSON document instead.
 */
import type { Command } from 'commander'
import { formatFinding, inspectConfigFile } from '../lib/config'
import type { MaintenanceIo } from '../lib/maintenance'
import { plural } from '../lib/maintenance/format'
import { processIo } from './io'

/** Adds `verify-config` (alias `verify`) to the program. */
export function registerVerifyConfig(program: Command): void {
  program
    .command('verify-config')
    .alias('verify')
    .description('check a configuration file; exit 0 when valid, 1 when not')
    .argument('<config>', 'zot configuration file (JSON, YAML or TOML)')
    .option('--json', 'print the findings as JSON')
    .action(async (config: string, options: { json?: boolean }) => {
      process.exitCode = await verifyConfigCommand(config, { json: options.json ?? false }, processIo())
    })
}

/** Checks the file and prints the findings; resolves to the exit code (0 valid, 1 not). */
export async function verifyConfigCommand(
  path: string,
  options: { json: boolean },
  io: Pick<MaintenanceIo, 'out' | 'err'>,
): Promise<number> {
  const { findings } = await inspectConfigFile(path)
  const errors = findings.filter((finding) => finding.severity === 'error').length
  const warnings = findings.length - errors
  const valid = errors === 0
  if (options.json) {
    io.out(JSON.stringify({ file: path, valid, errors, warnings, findings }, null, 2))
  } else {
    for (const finding of findings) for (const line of formatFinding(finding)) io.out(line)
    io.out(verdict(path, valid, errors, warnings))
  }
  return valid ? 0 : 1
}

function verdict(path: string, valid: boolean, errors: number, warnings: number): string {
  const warningText = warnings === 0 ? '' : plural(warnings, 'warning')
  if (valid) return `${path}: valid${warningText ? ` (${warningText})` : ''}`
  return `${path}: invalid, ${plural(errors, 'error')}${warningText ? `, ${warningText}` : ''}`
}
