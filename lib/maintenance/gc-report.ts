/**
 * @module
 * What a GC pass did or, in a dry run, would do: one decision per deletion (and per retention
 * keep), each naming the rule that made it, plus totals. Rendered as log lines, as the text of
 * `zot gc [--dry-run]` and as JSON.
 */
import { formatBytes, plural } from './format'

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
  report.bytesFreed += decision.bytes ?? 0
}

/** `gc: 3 repositories, deleted 2 tags, 1 manifest, 4 blobs (1.2 MiB), 0 uploads in 0.4s`. */
export function summaryLine(report: GcReport): string {
  const { deleted } = report
  const verb = report.dryRun ? 'would delete' : 'deleted'
  const parts = [
    plural(deleted.tag, 'tag'),
    plural(deleted.manifest, 'manifest'),
    `${plural(deleted.blob, 'blob')} (${formatBytes(report.bytesFreed)})`,
    plural(deleted.upload, 'upload'),
  ]
  if (deleted.repository > 0) parts.push(plural(deleted.repository, 'empty repository', 'empty repositories'))
  const errors = report.errors.length > 0 ? `, ${plural(report.errors.length, 'error')}` : ''
  const repositories = plural(report.repositories, 'repository', 'repositories')
  const seconds = (report.durationMs / 1000).toFixed(1)
  const mode = report.dryRun ? ' (dry run)' : ''
  return `gc${mode}: ${repositories}, ${verb} ${parts.join(', ')}${errors} in ${seconds}s`
}

/** One line per deletion: `would delete  blob  repo  sha256:...  unreferenced ...`. */
export function decisionLine(decision: GcDecision, dryRun: boolean): string {
  const verb = decision.action === 'keep' ? 'keep' : dryRun ? 'would delete' : 'deleted'
  const { kind, repository, reference, rule } = decision
  return `${verb.padEnd(12)}  ${kind.padEnd(10)}  ${repository}  ${reference}  ${rule}`
}
