/**
 * @module
 * GC and scrub metrics with zot's names (docs/zot-compatibility.md 7.3): `zot_gc_runs_total{error}`,
 * `zot_gc_duration_seconds` (summary), `zot_gc_deleted_total{type}` with zot's types (a tag or
 * manifest removed from an index counts as `manifest`), plus scrub's results. Plain numbers in a
 * small neutral shape, which the Prometheus endpoint renders.
 */
import type { GcReport } from '../gc/gc-report'
import type { ScrubReport } from '../scrub/scrub'

export interface MetricSample {
  labels: Record<string, string>
  value: number
  /** Appended to the family's name: `_sum` and `_count` of a summary. */
  suffix?: '_sum' | '_count'
}

export interface MetricFamily {
  name: string
  type: 'counter' | 'gauge' | 'summary'
  help: string
  samples: MetricSample[]
}

export class MaintenanceMetrics {
  private readonly runs = { true: 0, false: 0 }
  private duration = { sum: 0, count: 0 }
  private readonly deleted = { manifest: 0, blob: 0, upload: 0 }
  private scrubAffected = 0
  private scrubQuarantined = 0

  recordGc(report: GcReport, failed: boolean): void {
    this.runs[failed || report.errors.length > 0 ? 'true' : 'false']++
    this.duration = { sum: this.duration.sum + report.durationMs / 1000, count: this.duration.count + 1 }
    if (report.dryRun) return
    this.deleted.manifest += report.deleted.tag + report.deleted.manifest
    this.deleted.blob += report.deleted.blob
    this.deleted.upload += report.deleted.upload
  }

  recordScrub(report: ScrubReport): void {
    this.scrubAffected = report.rows.filter((row) => row.status === 'affected').length
    this.scrubQuarantined += report.quarantined.length
  }

  families(): MetricFamily[] {
    return [
      {
        name: 'zot_gc_runs_total',
        type: 'counter',
        help: 'Total number of garbage collection runs',
        samples: (['false', 'true'] as const).map((error) => ({ labels: { error }, value: this.runs[error] })),
      },
      {
        name: 'zot_gc_duration_seconds',
        type: 'summary',
        help: 'Duration of garbage collection runs',
        samples: [
          { labels: {}, value: this.duration.sum, suffix: '_sum' },
          { labels: {}, value: this.duration.count, suffix: '_count' },
        ],
      },
      {
        name: 'zot_gc_deleted_total',
        type: 'counter',
        help: 'Total number of items deleted by garbage collection',
        samples: (['manifest', 'blob', 'upload'] as const).map((type) => ({
          labels: { type },
          value: this.deleted[type],
        })),
      },
      {
        name: 'zot_scrub_affected_images',
        type: 'gauge',
        help: 'Images found affected by the last scrub',
        samples: [{ labels: {}, value: this.scrubAffected }],
      },
      {
        name: 'zot_scrub_quarantined_blobs_total',
        type: 'counter',
        help: 'Corrupt blobs moved to quarantine by scrub',
        samples: [{ labels: {}, value: this.scrubQuarantined }],
      },
    ]
  }
}
