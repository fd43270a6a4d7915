/**
 * @module
 * `zot verify-config FILE [--strict] [--json]` (alias `verify`): loads the config exactly as
 * `serve` does and reports every finding, plus one warning per accepted-but-not-implemented key.
 * Files the config names (htpasswd, TLS, credentials, certDir) that are not on this machine are
 * warnings, since CI machines rarely have production's secrets; `--strict` (alias
 * `--check-files`) makes them errors, as they are for `serve`. Everything else `serve` refuses,
 * `verify-config` refuses. Exit status 0 when valid (warnings allowed), 1 when not. The human
 * output ends with a one-line verdict; `--json` prints one JSON document instead.
 */
import type { Command } from 'commander'
import { formatFinding, inspectConfigFile, plannedKeyWarnings } from '../lib/config'
import type { MaintenanceIo } from '../lib/maintenance'
import { plural } from '../lib/maintenance/reports/format'
import { processIo } from './io'

export interface VerifyOptions {
  json: boolean
  /** Files the config names must exist here (on the production host). */
  strict: boolean
}

/** Adds `verify-config` (alias `verify`) to the program. */
export function registerVerifyConfig(program: Command): void {
  program
    .command('verify-config')
    .alias('verify')
    .description('check a configuration file; exit 0 when valid, 1 when not')
    .argument('<config>', 'zot configuration file (JSON, YAML or TOML)')
    .option('--strict', 'files the config names must exist on this machine (missing ones are errors, not warnings)')
    .option('--check-files', 'the same as --strict')
    .option('--json', 'print the findings as JSON')
    .action(async (config: string, options: { json?: boolean; strict?: boolean; checkFiles?: boolean }) => {
      const strict = options.strict === true || options.checkFiles === true
      process.exitCode = await verifyConfigCommand(config, { json: options.json ?? false, strict }, processIo())
    })
}

/** Checks the file and prints the findings; resolves to the exit code (0 valid, 1 not). */
export async function verifyConfigCommand(
  path: string,
  options: VerifyOptions,
  io: Pick<MaintenanceIo, 'out' | 'err'>,
): Promise<number> {
  const inspection = await inspectConfigFile(path, { missingFiles: options.strict ? 'error' : 'warning' })
  const findings = [...inspection.findings, ...(inspection.config ? plannedKeyWarnings(inspection.config) : [])]
  const errors = findings.filter((finding) => finding.severity === 'error').length
  const warnings = findings.length - errors
  const valid = errors === 0
  if (options.json) {
    io.out(JSON.stringify({ file: path, valid, strict: options.strict, errors, warnings, findings }, null, 2))
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
