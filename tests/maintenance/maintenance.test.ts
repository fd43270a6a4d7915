import { describe, expect, test } from 'bun:test'
import { silentLogger } from '../../lib/log/logger'
import { startMaintenance, type Maintenance } from '../../lib/maintenance/maintenance'
import { MetricsRegistry } from '../../lib/metrics/prometheus'
import { delayUntilOpen, parseTimeWindow } from '../../lib/maintenance/gc/time-window'
import { pushImage } from '../http/harness'
import { testStorageConfig } from '../support/config'
import { corrupt, makeMaintenanceHarness } from './helpers'

const sample = (maintenance: Maintenance, name: string, labels: Record<string, string> = {}, suffix?: string) =>
  maintenance
    .metrics()
    .find((family) => family.name === name)
    ?.samples.find((s) => s.suffix === suffix && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value

/** Waits (bounded by the test timeout, asserting nothing about time) until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await Bun.sleep(10)
}

describe('serve maintenance', () => {
  test('GC runs every gcInterval, counts its runs and deletions, and stops cleanly', async () => {
    const h = await makeMaintenanceHarness()
    const image = await pushImage(h, 'app', 'old')
    await pushImage(h, 'app', 'live')
    await h.request('/v2/app/manifests/old', { method: 'DELETE' })
    const maintenance = startMaintenance({
      registry: h.registry,
      meta: h.meta,
      logger: silentLogger(),
      options: {
        storage: testStorageConfig({
          rootDirectory: h.rootDirectory,
          gcDelay: '0s',
          gcInterval: '20ms',
          retention: { delay: '0s' },
        }),
        maxStartJitter: 0,
      },
    })

    await until(() => (sample(maintenance, 'zot_gc_runs_total', { error: 'false' }) ?? 0) >= 2)
    await maintenance.stop()
    const runs = sample(maintenance, 'zot_gc_runs_total', { error: 'false' })

    expect((await h.request(`/v2/app/manifests/${image.digest}`)).status).toBe(404)
    expect(sample(maintenance, 'zot_gc_deleted_total', { type: 'manifest' })).toBe(1)
    expect(sample(maintenance, 'zot_gc_deleted_total', { type: 'blob' })).toBe(3)
    expect(sample(maintenance, 'zot_gc_duration_seconds', {}, '_count')).toBe(runs)
    await Bun.sleep(60)
    expect(sample(maintenance, 'zot_gc_runs_total', { error: 'false' })).toBe(runs)
    h.close()
  })

  test('storage.gc false: no GC runs; runGc still works on demand', async () => {
    const h = await makeMaintenanceHarness()
    await pushImage(h, 'app', 'v1')
    const maintenance = startMaintenance({
      registry: h.registry,
      meta: h.meta,
      logger: silentLogger(),
      options: {
        storage: testStorageConfig({ rootDirectory: h.rootDirectory, gc: false, gcInterval: '1ms' }),
        maxStartJitter: 0,
      },
    })
    await maintenance.dedupe
    await Bun.sleep(30)
    expect(sample(maintenance, 'zot_gc_runs_total', { error: 'false' })).toBe(0)
    const report = await maintenance.runGc({ dryRun: true })
    expect(report.dryRun).toBe(true)
    expect(sample(maintenance, 'zot_gc_runs_total', { error: 'false' })).toBe(1)
    await maintenance.stop()
    h.close()
  })

  test('periodic scrub quarantines and counts corrupt blobs', async () => {
    const h = await makeMaintenanceHarness()
    const image = await pushImage(h, 'app', 'v1')
    await corrupt(h.blobFile('app', image.layers[0]!))
    const maintenance = startMaintenance({
      registry: h.registry,
      meta: h.meta,
      logger: silentLogger(),
      options: {
        storage: testStorageConfig({ rootDirectory: h.rootDirectory, gc: false }),
        scrub: { enable: true, interval: 20 },
      },
    })
    await until(() => (sample(maintenance, 'zot_scrub_quarantined_blobs_total') ?? 0) >= 1)
    await maintenance.stop()
    expect(sample(maintenance, 'zot_scrub_affected_images')).toBe(1)
    expect((await h.request(`/v2/app/blobs/${image.layers[0]}`, { method: 'HEAD' })).status).toBe(404)
    h.close()
  })

  test('metrics render with zot names in the exposition format', async () => {
    const h = await makeMaintenanceHarness()
    const options = { storage: testStorageConfig({ rootDirectory: h.rootDirectory, gc: false }) }
    const maintenance = startMaintenance({ registry: h.registry, meta: h.meta, logger: silentLogger(), options })
    await maintenance.runGc()
    const registry = new MetricsRegistry()
    registry.registerCollector(() => maintenance.metrics())
    const lines = registry.render().split('\n')
    expect(lines).toContain('# TYPE zot_gc_runs_total counter')
    expect(lines).toContain('zot_gc_runs_total{error="false"} 1')
    expect(lines).toContain('zot_gc_deleted_total{type="upload"} 0')
    expect(lines).toContain('zot_gc_duration_seconds_count 1')
    await maintenance.stop()
    h.close()
  })
})

describe('gcTimeWindow', () => {
  const at = (hh: number, mm: number) => Date.UTC(2026, 0, 1, hh, mm)

  test('inside the window the sweep starts now; outside it waits for the start', () => {
    const window = parseTimeWindow('01:00-05:00')
    expect(delayUntilOpen(window, at(3, 0))).toBe(0)
    expect(delayUntilOpen(window, at(0, 30))).toBe(30 * 60_000)
    expect(delayUntilOpen(window, at(5, 0))).toBe(20 * 3_600_000)
  })

  test('a window may wrap midnight', () => {
    const window = parseTimeWindow('22:00-02:00')
    expect(delayUntilOpen(window, at(23, 0))).toBe(0)
    expect(delayUntilOpen(window, at(1, 59))).toBe(0)
    expect(delayUntilOpen(window, at(2, 0))).toBe(20 * 3_600_000)
  })

  test('malformed windows and empty ones are rejected', () => {
    for (const text of ['1:0-5:00', '01:00', '25:00-01:00', '03:00-03:00']) {
      expect(() => parseTimeWindow(text)).toThrow(/gcTimeWindow/)
    }
  })
})
