/**
 * @module
 * Latency statistics and the result record every benchmark scenario returns.
 */
import { readFileSync } from 'node:fs'

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
  /** Server CPU (user + system) per operation, when the server's pid is known. */
  serverCpuMsPerOp?: number
}

const percentile = (sorted: number[], p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

/** What a pool of operations measured: see `runPool`. */
export interface PoolResult {
  latencies: number[]
  failed: number
  seconds: number
  bytes: number
  serverCpuSeconds?: number
}

export function summarize(
  name: string,
  { latencies, failed, seconds, bytes, serverCpuSeconds }: PoolResult,
): ScenarioResult {
  const sorted = [...latencies].sort((a, b) => a - b)
  const round = (n: number) => Math.round(n * 100) / 100
  return {
    name,
    completed: latencies.length,
    failed,
    seconds: round(seconds),
    rate: round(latencies.length / seconds),
    ...(bytes > 0 && { megabytesPerSecond: round(bytes / 1e6 / seconds) }),
    latencyMs: {
      p50: round(percentile(sorted, 50)),
      p90: round(percentile(sorted, 90)),
      p99: round(percentile(sorted, 99)),
      max: round(sorted.at(-1) ?? 0),
    },
    ...(serverCpuSeconds !== undefined &&
      latencies.length > 0 && { serverCpuMsPerOp: round((serverCpuSeconds * 1000) / latencies.length) }),
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc; undefined elsewhere. */
function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return undefined
  }
}

/**
 * Runs `operation` `total` times with `concurrency` workers; returns latencies, failures and,
 * with `serverPid`, the server CPU seconds the pool cost.
 */
export async function runPool(
  total: number,
  concurrency: number,
  // biome-ignore lint/suspicious/noConfusingVoidType: operations return a byte count or nothing at all
  operation: (index: number) => Promise<number | void>,
  serverPid?: number,
): Promise<PoolResult> {
  const cpuBefore = cpuSecondsOf(serverPid)
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
  const cpuAfter = cpuSecondsOf(serverPid)
  const seconds = (performance.now() - started) / 1000
  return {
    latencies,
    failed,
    seconds,
    bytes,
    ...(cpuBefore !== undefined && cpuAfter !== undefined && { serverCpuSeconds: cpuAfter - cpuBefore }),
  }
}
