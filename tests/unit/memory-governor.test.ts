/**
 * The soft memory limit (`lib/server/memory-governor.ts`): GOMEMLIMIT read with Go's syntax; a
 * full collection only when RSS is over the limit; never more than 5% of the time spent in
 * forced collections; the limit rises while live memory is above it and falls back after.
 * Driven by hand through `check()` with an injected RSS, collector and clock.
 */
import { expect, test } from 'bun:test'
import {
  DEFAULT_SOFT_LIMIT_BYTES,
  parseMemoryLimit,
  softLimitFromEnvironment,
  startMemoryGovernor,
} from '../../lib/server/memory-governor'

const MiB = 1024 * 1024

test('GOMEMLIMIT takes an integer with B, KiB, MiB, GiB or TiB, or off', () => {
  expect(parseMemoryLimit('1048576')).toBe(MiB)
  expect(parseMemoryLimit('512B')).toBe(512)
  expect(parseMemoryLimit('64KiB')).toBe(64 * 1024)
  expect(parseMemoryLimit('256MiB')).toBe(256 * MiB)
  expect(parseMemoryLimit('2GiB')).toBe(2048 * MiB)
  expect(parseMemoryLimit('1TiB')).toBe(1024 * 1024 * MiB)
  expect(parseMemoryLimit('off')).toBe(0)
})

test('a GOMEMLIMIT Go would refuse is refused with the value and the fix', () => {
  for (const bad of ['256MB', '1.5GiB', '-1', 'lots', '256 MiB']) {
    expect(() => parseMemoryLimit(bad)).toThrow(
      `GOMEMLIMIT=${bad} is not a size: use an integer with B, KiB, MiB, GiB or TiB (e.g. 256MiB), or off`,
    )
  }
})

test('without GOMEMLIMIT the default applies', () => {
  expect(softLimitFromEnvironment({})).toBe(DEFAULT_SOFT_LIMIT_BYTES)
  expect(softLimitFromEnvironment({ GOMEMLIMIT: '' })).toBe(DEFAULT_SOFT_LIMIT_BYTES)
  expect(softLimitFromEnvironment({ GOMEMLIMIT: '300MiB' })).toBe(300 * MiB)
})

/** A governor over a fake process: `rss` is what the next reading says; a collection frees `garbage`. */
function fakeProcess(limit: number) {
  const state = { rss: 0, garbage: 0, collections: 0, clock: 0, collectionMs: 10 }
  const governor = startMemoryGovernor({
    softLimitBytes: limit,
    intervalMs: 0,
    residentBytes: () => state.rss,
    now: () => state.clock,
    collect: () => {
      state.collections++
      state.rss -= state.garbage
      state.garbage = 0
      state.clock += state.collectionMs
    },
  })
  return { state, governor }
}

test('below the limit nothing is collected; above it one full collection', () => {
  const { state, governor } = fakeProcess(100 * MiB)
  state.rss = 90 * MiB
  governor.check()
  expect(state.collections).toBe(0)
  state.rss = 120 * MiB
  state.garbage = 50 * MiB
  governor.check()
  expect(state.collections).toBe(1)
  expect(state.rss).toBe(70 * MiB)
  expect(governor.limitBytes).toBe(100 * MiB)
})

test('forced collections take at most 5% of the time, however often RSS is over', () => {
  const { state, governor } = fakeProcess(100 * MiB)
  state.rss = 150 * MiB
  state.garbage = 60 * MiB
  governor.check() // 10 ms collection: the next one may come 190 ms later
  state.rss = 150 * MiB
  state.garbage = 60 * MiB
  state.clock += 150
  governor.check()
  expect(state.collections).toBe(1)
  state.clock += 50
  governor.check()
  expect(state.collections).toBe(2)
})

test('when live memory is above the limit the limit rises, and falls back when memory does', () => {
  const { state, governor } = fakeProcess(100 * MiB)
  state.rss = 200 * MiB
  state.garbage = 40 * MiB // 160 MiB stay live
  governor.check()
  expect(governor.limitBytes).toBe(200 * MiB)
  state.clock += 1000
  state.rss = 190 * MiB
  governor.check()
  expect(state.collections).toBe(1) // under the raised limit: no collection every tick
  state.rss = 80 * MiB
  governor.check()
  expect(governor.limitBytes).toBe(100 * MiB)
})

test('a limit of 0 (GOMEMLIMIT=off) never collects', () => {
  const { state, governor } = fakeProcess(0)
  state.rss = 10_000 * MiB
  governor.check()
  expect(state.collections).toBe(0)
})
