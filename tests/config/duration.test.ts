/**
 * @module
 * Go duration strings to milliseconds and back.
 */
import { describe, expect, test } from 'bun:test'
import { formatDuration, parseGoDuration } from '../../lib/config'

describe('Go durations', () => {
  test.each([
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['-1h', -3_600_000],
    ['+2m', 120_000],
    ['0', 0],
    ['0s', 0],
    ['1h1m1s1ms', 3_661_001],
    ['250us', 0.25],
    ['100µs', 0.1],
    ['1000000ns', 1],
    ['.5s', 500],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms)
  })

  test.each(['', '1', '10', 'h', '1d', '1 h', '1h 30m', '1.h.', '--1s', 'one hour', '1H'])(
    '%p is not a duration',
    (text) => {
      expect(parseGoDuration(text)).toBeUndefined()
    },
  )

  test.each([
    [0, '0s'],
    [500, '500ms'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
    [86_400_000, '24h'],
    [-60_000, '-1m'],
    [1500, '1.5s'],
  ])('%d ms is written %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
    expect(parseGoDuration(text)).toBe(ms)
  })
})
