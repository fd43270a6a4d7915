/**
 * @module
 * `zot verify-config FILE [--json]` (alias `verify`): loads the config exactly as `serve` does
 * and reports every finding. Exit status 0 when valid (warnings allowed), 1 when not. The human
 * output ends with a one-line verdict; `--json` prints one JSON document instead.
 */
import { formatFinding } from './findings'
import { inspectConfigFile } from './load'

export interface CommandIo {
  out: (line: string) => void
  err: (line: string) => void
}

export async function verifyConfigCommand(path: string, options: { json: boolean }, io: CommandIo): Promise<number> {
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
  const warningText = warnings === 0 ? '' : `${warnings} ${plural(warnings, 'warning')}`
  if (valid) return `${path}: valid${warningText ? ` (${warningText})` : ''}`
  return `${path}: invalid, ${errors} ${plural(errors, 'error')}${warningText ? `, ${warningText}` : ''}`
}

function plural(count: number, word: string): string {
  return count === 1 ? word : `${word}s`
}
