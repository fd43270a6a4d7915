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
