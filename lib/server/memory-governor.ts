/**
 * @module
 * A soft memory limit, read from `GOMEMLIMIT` as zot (a Go program) reads it.
 *
 * Why: request bodies reach JavaScript as buffers that only a full collection frees, and the
 * engine's heuristics let that garbage grow with the live heap: uploads into a registry that
 * already held a thousand repositories peaked at about twice the memory in use. Forcing a full
 * collection after every fixed amount of body bounded the peak but stopped the event loop several
 * times a second during fast uploads. Looking at RSS on a timer and collecting only when it is
 * over the limit costs one cheap read per tick, and a collection only then (docs/performance.md,
 * "What made the difference", has the measurements).
 *
 * Two guards keep it from costing more than it saves: forced collections never take more than
 * `GC_BUDGET` of the wall-clock time, and when live memory itself is above the limit (a large
 * registry, a tight GOMEMLIMIT) the limit rises to 125% of what the collection left, and falls
 * back once memory does, instead of collecting again on every tick.
 */

const MiB = 1024 * 1024

/**
 * The soft limit when `GOMEMLIMIT` is unset: above a busy registry's live memory, below the upload
 * peaks it had without a limit (the figures are in docs/performance.md).
 */
export const DEFAULT_SOFT_LIMIT_BYTES = 104 * MiB
const INTERVAL_MS = 100
/** The most of the wall-clock time forced collections may take. */
const GC_BUDGET = 0.05

const UNITS: Record<string, number> = { '': 1, B: 1, KiB: 1024, MiB, GiB: 1024 * MiB, TiB: 1024 * 1024 * MiB }

/**
 * The soft limit in bytes from a `GOMEMLIMIT` value, with Go's syntax: a non-negative integer
 * with an optional unit (B, KiB, MiB, GiB, TiB), or `off` (returns 0: no limit).
 */
export function parseMemoryLimit(text: string): number {
  const value = text.trim()
  if (value === 'off') return 0
  const match = /^(\d+)([KMGT]iB|B)?$/.exec(value)
  if (!match)
    throw new Error(
      `GOMEMLIMIT=${text} is not a size: use an integer with B, KiB, MiB, GiB or TiB (e.g. 256MiB), or off`,
    )
  return Number(match[1]) * UNITS[match[2] ?? '']!
}

/** The soft limit this process runs with: `GOMEMLIMIT` when set, else the default. */
export function softLimitFromEnvironment(environment: Record<string, string | undefined> = process.env): number {
  const text = environment.GOMEMLIMIT
  return text === undefined || text === '' ? DEFAULT_SOFT_LIMIT_BYTES : parseMemoryLimit(text)
}

export interface CollectionReport {
  beforeBytes: number
  afterBytes: number
  milliseconds: number
  /** The limit from now on (raised while live memory is above the configured one). */
  limitBytes: number
}

export interface MemoryGovernorOptions {
  /** The soft limit in bytes; 0 switches the governor off. */
  softLimitBytes: number
  onCollection?: (report: CollectionReport) => void
  /** Injected for tests: the resident set size in bytes, a full collection, a clock in ms. */
  residentBytes?: () => number
  collect?: () => void
  now?: () => number
  /** Injected for tests: 0 starts no timer (`check` is then called by hand). */
  intervalMs?: number
}

export interface MemoryGovernor {
  /** Looks at memory once, collecting if it is over the limit: what each timer tick does. */
  check(): void
  /** The limit now in force. */
  readonly limitBytes: number
  stop(): void
}

export function startMemoryGovernor(options: MemoryGovernorOptions): MemoryGovernor {
  const residentBytes = options.residentBytes ?? (() => process.memoryUsage.rss())
  const collect = options.collect ?? (() => Bun.gc(true))
  const now = options.now ?? (() => performance.now())
  const configured = options.softLimitBytes
  let limit = configured
  let nextAllowed = -Infinity

  const check = (): void => {
    const start = now()
    if (configured <= 0 || start < nextAllowed) return
    const beforeBytes = residentBytes()
    if (beforeBytes <= limit) {
      if (limit > configured && beforeBytes < limit * 0.6) limit = Math.max(configured, Math.round(beforeBytes * 1.25))
      return
    }
    collect()
    const end = now()
    nextAllowed = end + (end - start) * (1 / GC_BUDGET - 1)
    const afterBytes = residentBytes()
    limit = afterBytes > configured * 0.9 ? Math.round(afterBytes * 1.25) : configured
    options.onCollection?.({ beforeBytes, afterBytes, milliseconds: end - start, limitBytes: limit })
  }

  const intervalMs = options.intervalMs ?? INTERVAL_MS
  const timer = configured > 0 && intervalMs > 0 ? setInterval(check, intervalMs) : undefined
  timer?.unref()
  return {
    check,
    get limitBytes() {
      return limit
    },
    stop: () => clearInterval(timer),
  }
}
