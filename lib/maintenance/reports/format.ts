/**
 * @module
 * Small formatting helpers for reports: ages, times taken, byte counts, plurals.
 */
import { formatDuration } from '../../config/values/duration'

/** A duration rounded to whole seconds, in Go's notation (`1h2m3s`). */
export const formatAge = (ms: number): string => formatDuration(Math.max(0, Math.round(ms / 1000) * 1000))

/** Time taken: `0.4s` under a minute (tenths matter there), else whole seconds as `2m10s`. */
export const formatElapsed = (ms: number): string =>
  ms < 60_000 ? `${(Math.max(0, ms) / 1000).toFixed(1)}s` : formatAge(ms)

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const

export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`
}

export const plural = (count: number, word: string, many = `${word}s`): string =>
  `${count} ${count === 1 ? word : many}`
