/**
 * @module
 * What a GC pass did or, in a dry run, would do: one decision per deletion (and per retention
 * keep), each naming the rule that made it, plus totals. Rendered as log lines, as the text of
 * `zot gc [--dry-run]` and as JSON.
 */
import { formatBytes, formatElapsed, plural } from '../reports/format'

export type GcSubject = 'tag' | 'manifest' | 'blob' | 'upload' | 'quarantine' | 'repository'

export interface GcDecision {
  repository: string
  kind: GcSubject
  /** Tag, digest, upload id or repository name. */
  reference: string
  action: 'delete' | 'keep'
  rule: string
  /** Bytes freed by a blob, upload or quarantine deletion. */
  bytes?: number
}

export interface GcReport {
  dryRun: boolean
  startedAt: string
  durationMs: number
  repositories: number
  deleted: Record<GcSubject, number>
  /** Bytes freed (or, in a dry run, that would be) by kind: blobs, uploads, quarantined copies. */
  bytesDeleted: Record<GcSubject, number>
  /** All of bytesDeleted. */
  bytesFreed: number
  decisions: GcDecision[]
  errors: { repository: string; message: string }[]
  /** Why a repository's blobs were all kept (a manifest GC could not read). */
  warnings: { repository: string; message: string }[]
}

export function emptyReport(dryRun: boolean, startedAt: number): GcReport {
  return {
    dryRun,
    startedAt: new Date(startedAt).toISOString(),
    durationMs: 0,
    repositories: 0,
    deleted: { tag: 0, manifest: 0, blob: 0, upload: 0, quarantine: 0, repository: 0 },
    bytesDeleted: { tag: 0, manifest: 0, blob: 0, upload: 0, quarantine: 0, repository: 0 },
    bytesFreed: 0,
    decisions: [],
    errors: [],
    warnings: [],
  }
}

export function addDecision(report: GcReport, decision: GcDecision): void {
  report.decisions.push(decision)
  if (decision.action !== 'delete') return
  report.deleted[decision.kind]++
  report.bytesDeleted[decision.kind] += decision.bytes ?? 0
  report.bytesFreed += decision.bytes ?? 0
}

/**
 * `gc: 3 repositories, deleted 2 tags, 1 manifest, 4 blobs (1.2 MiB), 1 upload (38.2 MiB) in 0.4s`:
 * each count that frees space carries its own bytes, so a count and its size always agree.
 */
export function summaryLine(report: GcReport): string {
  const { deleted, bytesDeleted } = report
  const verb = report.dryRun ? 'would delete' : 'deleted'
  const sized = (kind: GcSubject, word: string, many?: string): string => {
    const count = plural(deleted[kind], word, many)
    return deleted[kind] > 0 ? `${count} (${formatBytes(bytesDeleted[kind])})` : count
  }
  const parts = [
    plural(deleted.tag, 'tag'),
    plural(deleted.manifest, 'manifest'),
    sized('blob', 'blob'),
    sized('upload', 'upload'),
  ]
  if (deleted.quarantine > 0) parts.push(sized('quarantine', 'quarantined copy', 'quarantined copies'))
  if (deleted.repository > 0) parts.push(plural(deleted.repository, 'empty repository', 'empty repositories'))
  const errors = report.errors.length > 0 ? `, ${plural(report.errors.length, 'error')}` : ''
  const repositories = plural(report.repositories, 'repository', 'repositories')
  const mode = report.dryRun ? ' (dry run)' : ''
  return `gc${mode}: ${repositories}, ${verb} ${parts.join(', ')}${errors} in ${formatElapsed(report.durationMs)}`
}

/** One line per deletion: `would delete  blob  repo  sha256:...  unreferenced ...`. */
export function decisionLine(decision: GcDecision, dryRun: boolean): string {
  const verb = decision.action === 'keep' ? 'keep' : dryRun ? 'would delete' : 'deleted'
  const { kind, repository, reference, rule } = decision
  return `${verb.padEnd(12)}  ${kind.padEnd(10)}  ${repository}  ${reference}  ${rule}`
}
