/**
 * @module
 * Scrub results as zot prints them: a whitespace-aligned table `REPOSITORY TAG STATUS AFFECTED
 * BLOB ERROR` (minimum column widths as zot's), or JSON in zot's `scrubResults` shape, plus a
 * summary line.
 */
import { parseDigest } from '../../oci/digest'
import { formatBytes, formatElapsed, plural } from '../reports/format'
import type { ScrubReport, ScrubRow } from './scrub'

const HEADER = ['REPOSITORY', 'TAG', 'STATUS', 'AFFECTED BLOB', 'ERROR'] as const
const MIN_WIDTHS = [32, 24, 8, 16, 8] as const

/** zot shows the hex part of the affected digest. */
const hex = (digest: string): string => parseDigest(digest)?.encoded ?? digest

function cells(row: ScrubRow): string[] {
  // An untagged manifest has no tag: show its digest so the row can be acted on.
  const tag = row.tag === '' ? `@${row.digest}` : row.tag
  return [row.repository, tag, row.status, hex(row.affectedBlob), row.error]
}

export function scrubTable(rows: readonly ScrubRow[]): string[] {
  const table = [[...HEADER], ...rows.map(cells)]
  const widths = MIN_WIDTHS.map((min, column) => Math.max(min, ...table.map((line) => line[column]!.length)))
  return table.map((line) =>
    line
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd(),
  )
}

/** zot's JSON shape (`scrubResults`), with the summary and quarantined blobs added. */
export function scrubJson(report: ScrubReport): string {
  const scrubResults = report.rows.map((row) => ({
    imageName: row.repository,
    tag: row.tag,
    digest: row.digest,
    status: row.status,
    affectedBlob: hex(row.affectedBlob),
    error: row.error,
  }))
  const { rows: _rows, ...summary } = report
  return JSON.stringify({ scrubResults, ...summary }, null, 2)
}

export function scrubSummary(report: ScrubReport): string {
  const affected = report.rows.filter((row) => row.status === 'affected').length
  const volume = `${plural(report.blobsChecked, 'blob')}, ${formatBytes(report.bytesChecked)}`
  const parts = [
    plural(report.repositories, 'repository', 'repositories'),
    `${plural(report.rows.length, 'image')} checked (${volume})`,
    `${affected} affected`,
  ]
  if (report.quarantined.length > 0) parts.push(`${plural(report.quarantined.length, 'blob')} quarantined`)
  const placeholders = report.placeholders?.length ?? 0
  if (placeholders > 0) parts.push(`${plural(placeholders, 'dedupe placeholder')} resolved`)
  if (report.errors.length > 0) parts.push(plural(report.errors.length, 'error'))
  return `scrub: ${parts.join(', ')} in ${formatElapsed(report.durationMs)}`
}
