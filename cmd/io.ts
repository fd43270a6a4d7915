/**
 * @module
 * The process's stdout and stderr as the commands' {@link MaintenanceIo}.
 */
import type { MaintenanceIo } from '../lib/maintenance'

/** The process's stdout and stderr, with progress on stderr when it is a terminal. */
export function processIo(): MaintenanceIo {
  const terminal = process.stderr.isTTY === true
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    ...(terminal && { progress: (line: string) => void process.stderr.write(`\r\x1b[2K${line}`) }),
  }
}
