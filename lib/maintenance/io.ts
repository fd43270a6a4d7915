/**
 * @module
 * Where the maintenance commands write: results to `out`, problems to `err`, and a status line
 * to `progress`, which only a terminal gets (redrawn in place), so pipes and cron logs stay clean.
 */
export interface MaintenanceIo {
  out(line: string): void
  err(line: string): void
  /** Redraws the status line; '' clears it. Absent: no progress shown. */
  progress?(line: string): void
}

/** The process's stdout and stderr, with progress on stderr when it is a terminal. */
export function processIo(): MaintenanceIo {
  const terminal = process.stderr.isTTY === true
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    ...(terminal && { progress: (line: string) => void process.stderr.write(`\r\x1b[2K${line}`) }),
  }
}
