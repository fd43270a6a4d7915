/**
 * @module
 * One report out of the reports of several stores (subPaths: each store is collected, scrubbed
 * and measured on its own, with its own settings), for `zot gc`, `zot scrub` and the metrics
 * endpoint, which speak of the registry as a whole.
 */
import type { DedupeReport } from '../dedupe'
import { emptyReport, type GcReport, type GcSubject } from '../gc/gc-report'
import type { MetricFamily } from './metrics'
import type { ScrubReport } from '../scrub/scrub'

const earliest = (reports: readonly { startedAt: string }[]): string =>
  reports.map((report) => report.startedAt).sort()[0] ?? new Date().toISOString()

/** The stores' GC reports as one: counts and bytes added, decisions in store order. */
export function mergeGcReports(reports: readonly GcReport[], dryRun: boolean): GcReport {
  const merged = emptyReport(dryRun, Date.parse(earliest(reports)))
  for (const report of reports) {
    merged.durationMs += report.durationMs
    merged.repositories += report.repositories
    for (const kind of Object.keys(merged.deleted) as GcSubject[]) {
      merged.deleted[kind] += report.deleted[kind]
      merged.bytesDeleted[kind] += report.bytesDeleted[kind]
    }
    merged.bytesFreed += report.bytesFreed
    merged.decisions.push(...report.decisions)
    merged.errors.push(...report.errors)
    merged.warnings.push(...report.warnings)
  }
  return merged
}

/** The stores' scrub reports as one. */
export function mergeScrubReports(reports: readonly ScrubReport[]): ScrubReport {
  return {
    startedAt: earliest(reports),
    durationMs: reports.reduce((sum, report) => sum + report.durationMs, 0),
    repositories: reports.reduce((sum, report) => sum + report.repositories, 0),
    blobsChecked: reports.reduce((sum, report) => sum + report.blobsChecked, 0),
    bytesChecked: reports.reduce((sum, report) => sum + report.bytesChecked, 0),
    rows: reports.flatMap((report) => report.rows),
    quarantined: reports.flatMap((report) => report.quarantined),
    errors: reports.flatMap((report) => report.errors),
    placeholders: reports.flatMap((report) => report.placeholders ?? []),
  }
}

/** The stores' start-up dedupe walks as one: the first walk that ran names it. */
export function mergeDedupeReports(reports: readonly DedupeReport[]): DedupeReport {
  return {
    walk: reports.find((report) => report.walk !== 'skipped')?.walk ?? 'skipped',
    blobs: reports.reduce((sum, report) => sum + report.blobs, 0),
    replaced: reports.reduce((sum, report) => sum + report.replaced, 0),
  }
}

/**
 * The stores' metric families as one set: samples with the same labels are added, so
 * `zot_gc_runs_total` counts the runs of every store, as zot's one counter does.
 */
export function mergeMetricFamilies(sets: readonly MetricFamily[][]): MetricFamily[] {
  const families = new Map<string, MetricFamily>()
  for (const family of sets.flat()) {
    const known = families.get(family.name)
    if (!known) {
      families.set(family.name, { ...family, samples: family.samples.map((sample) => ({ ...sample })) })
      continue
    }
    for (const sample of family.samples) {
      const key = sampleKey(sample)
      const same = known.samples.find((candidate) => sampleKey(candidate) === key)
      if (same) same.value += sample.value
      else known.samples.push({ ...sample })
    }
  }
  return [...families.values()]
}

const sampleKey = (sample: MetricFamily['samples'][number]): string =>
  `${sample.suffix ?? ''}${JSON.stringify(Object.entries(sample.labels).sort())}`
