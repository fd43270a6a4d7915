/**
 * @module
 * Maintenance of a store: GC and retention, scrub, dedupe, their scheduling for `serve`, the
 * reports and progress lines the `zot gc` and `zot scrub` commands (cmd/) print, and metrics.
 */
export { RecentActivity } from './gc/activity'
export { reconcileDedupe, type DedupeReport } from './dedupe'
export { collectGarbage, type GcContext } from './gc/gc'
export { decisionLine, summaryLine, type GcDecision, type GcReport } from './gc/gc-report'
export type { MaintenanceIo } from './io'
export {
  startMaintenance,
  type Maintenance,
  type MaintenanceOptions,
  type StartMaintenanceOptions,
} from './maintenance'
export { MaintenanceMetrics, type MetricFamily, type MetricSample } from './reports/metrics'
export { resolveGcSettings, type StoreMaintenanceOptions } from './options'
export { scrubStorage, type ScrubReport, type ScrubRow } from './scrub/scrub'
