/**
 * @module
 * The pull-through cache's counters and their Prometheus families (`zot_sync_cache_*`; zot has
 * none, so the names follow its `zot_<area>_<what>` style). Blobs only: a hit is a blob served
 * from storage, a miss one fetched from the upstream (cached, or straight through).
 */
import type { MetricFamily } from '../../../maintenance/reports/metrics'
import type { UpstreamMeter } from './metered-upstream'

export class CacheCounters implements UpstreamMeter {
  hits = 0
  misses = 0
  /** Images evicted, and the bytes their deleted blobs held. */
  evictions = 0
  evictedBytes = 0
  /** Blobs served straight from the upstream without caching (no room). */
  straightThrough = 0
  upstreamBytes = 0
  /** Blobs `prefetch` fetched before any client asked, and their bytes. */
  prefetchedBlobs = 0
  prefetchedBytes = 0

  /** The families; `bytes` and `maxBytes` only when a budget counts the cache. */
  families(budget: { bytes: number; maxBytes: number | undefined } | undefined): MetricFamily[] {
    const counter = (name: string, help: string, value: number): MetricFamily => ({
      name,
      type: 'counter',
      help,
      samples: [{ labels: {}, value }],
    })
    const gauge = (name: string, help: string, value: number): MetricFamily => ({
      name,
      type: 'gauge',
      help,
      samples: [{ labels: {}, value }],
    })
    return [
      counter('zot_sync_cache_hits_total', 'Blobs the pull-through cache served from storage', this.hits),
      counter('zot_sync_cache_misses_total', 'Blobs the pull-through cache fetched from an upstream', this.misses),
      counter('zot_sync_cache_evictions_total', 'Cached images evicted to keep the cache budget', this.evictions),
      counter('zot_sync_cache_evicted_bytes_total', 'Bytes of the blobs eviction deleted', this.evictedBytes),
      counter(
        'zot_sync_cache_passthrough_total',
        'Blobs served straight from an upstream without caching, for lack of room',
        this.straightThrough,
      ),
      counter('zot_sync_cache_upstream_bytes_total', 'Bytes fetched from upstreams', this.upstreamBytes),
      counter('zot_sync_prefetch_blobs_total', 'Blobs prefetch fetched before a client asked', this.prefetchedBlobs),
      counter('zot_sync_prefetch_bytes_total', 'Bytes of the blobs prefetch fetched', this.prefetchedBytes),
      ...(budget
        ? [gauge('zot_sync_cache_bytes', 'Bytes of content only the pull-through cache holds', budget.bytes)]
        : []),
      ...(budget?.maxBytes !== undefined
        ? [gauge('zot_sync_cache_max_bytes', 'The cache budget (cacheMaxBytes)', budget.maxBytes)]
        : []),
    ]
  }
}
