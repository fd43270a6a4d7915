/**
 * The cache budget's keys: sizes as people write them (bytes, "20GiB", "500MB"), decoded to
 * bytes; a size that is not one names the key, the value and the fix; the low watermark needs
 * the budget and must be below it.
 */
import { describe, expect, test } from 'bun:test'
import { parseSize } from '../../lib/config/values/size'
import { BASE_CONFIG, errorsOf, inspect, merge } from '../config/helpers'
import { describeRuleCases } from '../config/rule-cases'

describe('sizes', () => {
  test('binary and decimal units, bare numbers and plain bytes', () => {
    expect(parseSize(0)).toBe(0)
    expect(parseSize(1536)).toBe(1536)
    expect(parseSize('1536')).toBe(1536)
    expect(parseSize('20GiB')).toBe(20 * 1024 ** 3)
    expect(parseSize('20G')).toBe(20 * 1024 ** 3)
    expect(parseSize('500MB')).toBe(500_000_000)
    expect(parseSize('1.5 MiB')).toBe(1.5 * 1024 ** 2)
    expect(parseSize('64kb')).toBe(64_000)
    expect(parseSize('2TiB')).toBe(2 * 1024 ** 4)
    expect(parseSize('10B')).toBe(10)
  })

  test('anything else is no size', () => {
    for (const value of ['', 'GiB', '-1GiB', '20 gigs', '1e9', '0x10', '20PiB?'])
      expect(parseSize(value), value).toBeUndefined()
    expect(parseSize(-1)).toBeUndefined()
    expect(parseSize(1.5)).toBeUndefined()
  })
})

const sync = (keys: Record<string, string | number>) => ({
  extensions: { sync: { ...keys, registries: [{ urls: ['https://registry-1.docker.io'], onDemand: true }] } },
})

test('a size that is not one names the key, the value and the units to use', async () => {
  const { findings } = await inspect(merge(BASE_CONFIG, sync({ cacheMaxBytes: '20 gigs' })))
  const [error] = errorsOf(findings)
  expect(error?.path).toBe('extensions.sync.cacheMaxBytes')
  expect(error?.message).toContain('expected a size')
  expect(error?.value).toBe('20 gigs')
  expect(error?.fix).toContain('GiB')
})

test('budget keys written as sizes or bytes are accepted', async () => {
  const config = sync({ cacheMaxBytes: '20GiB', cacheLowWatermark: 18 * 1024 ** 3, cacheMinFreeBytes: '1GB' })
  const { findings } = await inspect(merge(BASE_CONFIG, config))
  expect(errorsOf(findings)).toEqual([])
})

describeRuleCases('the cache budget rule', [
  {
    title: 'a low watermark without a budget',
    patch: sync({ cacheLowWatermark: '1GiB' }),
    path: 'extensions.sync.cacheLowWatermark',
    message: 'needs cacheMaxBytes',
    fix: 'add cacheMaxBytes',
  },
  {
    title: 'a low watermark at or above the budget',
    patch: sync({ cacheMaxBytes: '1GiB', cacheLowWatermark: '2GiB' }),
    path: 'extensions.sync.cacheLowWatermark',
    message: 'must be below cacheMaxBytes',
    fix: '90%',
  },
])
