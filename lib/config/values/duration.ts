/**
 * @module
 * Go duration strings (`time.ParseDuration`): `90s`, `1h30m`, `-1.5h`, `500ms`, `0`. zot reads
 * every duration this way; zot-bun keeps them as milliseconds (possibly fractional for `us`/`ns`).
 */

export const SECOND = 1000
export const MINUTE = 60 * SECOND
export const HOUR = 60 * MINUTE

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: SECOND,
  m: MINUTE,
  h: HOUR,
}

const TERM = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/

/** Parses a Go duration string to milliseconds, or returns undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  let rest = text
  let sign = 1
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1
    rest = rest.slice(1)
  }
  // Go accepts a bare zero without a unit and nothing else unit-less.
  if (rest === '0') return 0
  if (rest === '') return undefined
  let total = 0
  while (rest !== '') {
    const term = TERM.exec(rest)
    if (!term) return undefined
    const [whole, amount, unit] = term
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? Number.NaN)
    rest = rest.slice(whole.length)
  }
  return Number.isFinite(total) ? sign * total : undefined
}

/** Formats milliseconds the short way a person would write them: `1h30m`, `500ms`, `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s'
  if (ms < 0) return `-${formatDuration(-ms)}`
  if (ms < SECOND) return `${ms}ms`
  let rest = ms
  let text = ''
  for (const [unit, size] of [
    ['h', HOUR],
    ['m', MINUTE],
  ] as const) {
    const count = Math.floor(rest / size)
    if (count > 0) text += `${count}${unit}`
    rest -= count * size
  }
  if (rest > 0) text += `${rest / SECOND}s`
  return text
}

/** The pattern a Go duration string matches, for the JSON Schema. */
export const GO_DURATION_PATTERN = '^[-+]?(0|((\\d+\\.?\\d*|\\.\\d+)(ns|us|µs|μs|ms|s|m|h))+)$'
