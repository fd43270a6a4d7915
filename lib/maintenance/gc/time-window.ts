/**
 * @module
 * `storage.gcTimeWindow`: `HH:MM-HH:MM` in UTC, the hours in which a GC sweep may start (a sweep
 * that started inside may run past the end). The window may wrap midnight (`22:00-04:00`).
 */
export interface TimeWindow {
  /** Minutes after midnight UTC. */
  start: number
  end: number
}

const MINUTES_PER_DAY = 24 * 60
const CLOCK = /^([01]?\d|2[0-3]):([0-5]\d)$/

function minutesOf(text: string): number | undefined {
  const match = CLOCK.exec(text.trim())
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined
}

/** Parses the window; throws a message naming the problem. */
export function parseTimeWindow(text: string): TimeWindow {
  const [from, to, ...rest] = text.split('-')
  const start = from === undefined ? undefined : minutesOf(from)
  const end = to === undefined ? undefined : minutesOf(to)
  if (start === undefined || end === undefined || rest.length > 0) {
    throw new Error(`gcTimeWindow ${JSON.stringify(text)} is not HH:MM-HH:MM`)
  }
  if (start === end) throw new Error(`gcTimeWindow ${JSON.stringify(text)} starts where it ends`)
  return { start, end }
}

/** Milliseconds from `now` until the window is open (0 inside it). */
export function delayUntilOpen(window: TimeWindow, now: number): number {
  const date = new Date(now)
  const minute = date.getUTCHours() * 60 + date.getUTCMinutes()
  const { start, end } = window
  const inside = start < end ? minute >= start && minute < end : minute >= start || minute < end
  if (inside) return 0
  const minutes = (start - minute + MINUTES_PER_DAY) % MINUTES_PER_DAY
  return minutes * 60_000 - (date.getUTCSeconds() * 1000 + date.getUTCMilliseconds())
}
