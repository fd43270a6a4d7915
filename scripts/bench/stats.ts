/**
 * @module
 * Latency statistics and the result record every benchmark scenario returns.
 */
export interface ScenarioResult {
  name: string
  /** Whole operations (an image push or pull, a manifest GET...). */
  completed: number
  failed: number
  seconds: number
  /** Operations per second. */
  rate: number
  /** Payload MB/s (10^6 bytes), when the scenario moves bytes. */
  megabytesPerSecond?: number
  latencyMs: { p50: number; p90: number; p99: number; max: number }
}

const percentile = (sorted: number[], p: number): number => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!)

export function summarize(name: string, latencies: number[], failed: number, seconds: number, bytes = 0): ScenarioResult {
  const sorted = [...latencies].sort((a, b) => a - b)
  const round = (n: number) => Math.round(n * 100) / 100
  return {
    name,
    completed: latencies.length,
    failed,
    seconds: round(seconds),
    rate: round(latencies.length / seconds),
    ...(bytes > 0 && { megabytesPerSecond: round(bytes / 1e6 / seconds) }),
    latencyMs: { p50: round(percentile(sorted, 50)), p90: round(percentile(sorted, 90)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? 0) },
  }
}

/** Runs `operation` `total` times with `concurrency` workers; returns latencies and failures. */
export async function runPool(total: number, concurrency: number, operation: (index: number) => Promise<number | void>): Promise<{ latencies: number[]; failed: number; seconds: number; bytes: number }> {
  const latencies: number[] = []
  let failed = 0
  let bytes = 0
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) {
        const index = next++
        const begin = performance.now()
        try {
          bytes += (await operation(index)) ?? 0
          latencies.push(performance.now() - begin)
        } catch {
          failed++
        }
      }
    }),
  )
  return { latencies, failed, seconds: (performance.now() - started) / 1000, bytes }
}
