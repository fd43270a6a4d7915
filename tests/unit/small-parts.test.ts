import { expect, test } from 'bun:test'
import { parseContentRange, parseRangeHeader } from '../../lib/http/ranges'
import { paginate } from '../../lib/http/pagination'
import { KeyedMutex } from '../../lib/registry/storage/keyed-mutex'
import { Lru } from '../../lib/cache/lru'
import { Counter, Histogram, MetricsRegistry } from '../../lib/metrics/prometheus'
import {
  COSIGN_SIGNATURE_TAG,
  cosignSignatureTag,
  isSignatureArtifactType,
  signatureTool,
} from '../../lib/oci/signatures'

test('Range header resolution', () => {
  expect(parseRangeHeader(undefined, 10)).toBeUndefined()
  expect(parseRangeHeader('bytes=2-4', 10)).toEqual({ start: 2, end: 4 })
  expect(parseRangeHeader('bytes=8-', 10)).toEqual({ start: 8, end: 9 })
  expect(parseRangeHeader('bytes=-3', 10)).toEqual({ start: 7, end: 9 })
  expect(parseRangeHeader('bytes=-30', 10)).toEqual({ start: 0, end: 9 })
  expect(parseRangeHeader('bytes=5-100', 10)).toEqual({ start: 5, end: 9 })
  expect(parseRangeHeader('bytes=10-', 10)).toBe('unsatisfiable')
  expect(parseRangeHeader('bytes=5-2', 10)).toBe('unsatisfiable')
  expect(parseRangeHeader('bytes=0-1,3-4', 10)).toBeUndefined()
  expect(parseRangeHeader('items=0-1', 10)).toBeUndefined()
})

test('Content-Range parsing', () => {
  expect(parseContentRange('0-99')).toEqual({ start: 0, end: 99 })
  expect(parseContentRange('bytes 100-199/*')).toEqual({ start: 100, end: 199 })
  expect(parseContentRange('9-3')).toBe('invalid')
  expect(parseContentRange('abc')).toBe('invalid')
  expect(parseContentRange(undefined)).toBeUndefined()
})

test('pagination', () => {
  const items = ['a', 'b', 'c', 'd']
  expect(paginate(items, {}, '/x')).toEqual({ items })
  expect(paginate(items, { n: '2' }, '/x')).toEqual({ items: ['a', 'b'], link: '</x?n=2&last=b>; rel="next"' })
  expect(paginate(items, { n: '2', last: 'b' }, '/x')).toEqual({ items: ['c', 'd'] })
  expect(paginate(items, { last: 'bb' }, '/x')).toEqual({ items: ['c', 'd'] })
  expect(paginate(items, { n: '0' }, '/x')).toEqual({ items: [] })
  expect(() => paginate(items, { n: 'x' }, '/x')).toThrow()
})

test('KeyedMutex serialises per key and not across keys', async () => {
  const mutex = new KeyedMutex()
  const order: string[] = []
  const slow = (label: string, ms: number) => async () => {
    order.push(`${label}+`)
    await Bun.sleep(ms)
    order.push(`${label}-`)
  }
  await Promise.all([mutex.run('a', slow('a1', 20)), mutex.run('a', slow('a2', 1)), mutex.run('b', slow('b1', 1))])
  expect(order.indexOf('a1-')).toBeLessThan(order.indexOf('a2+'))
  expect(order.indexOf('b1-')).toBeLessThan(order.indexOf('a1-'))
  // A failing section releases the lock.
  await expect(mutex.run('a', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
  expect(await mutex.run('a', async () => 'after')).toBe('after')
})

test('Lru evicts the least recently used entry', () => {
  const lru = new Lru<string, number>(2)
  lru.set('a', 1)
  lru.set('b', 2)
  lru.get('a')
  lru.set('c', 3)
  expect(lru.get('b')).toBeUndefined()
  expect(lru.get('a')).toBe(1)
  expect(lru.get('c')).toBe(3)
})

test('Prometheus text format', () => {
  const registry = new MetricsRegistry()
  const counter = registry.register(new Counter('x_total', 'help text', ['code']))
  counter.inc({ code: '200' })
  counter.inc({ code: '200' }, 2)
  const histogram = registry.register(new Histogram('y_seconds', 'latency', ['m'], [0.1, 1]))
  histogram.observe({ m: 'GET' }, 0.5)
  expect(registry.render()).toBe(
    [
      '# HELP x_total help text',
      '# TYPE x_total counter',
      'x_total{code="200"} 3',
      '# HELP y_seconds latency',
      '# TYPE y_seconds histogram',
      'y_seconds_bucket{m="GET",le="0.1"} 0',
      'y_seconds_bucket{m="GET",le="1"} 1',
      'y_seconds_bucket{m="GET",le="+Inf"} 1',
      'y_seconds_sum{m="GET"} 0.5',
      'y_seconds_count{m="GET"} 1',
      '',
    ].join('\n'),
  )
})

test('Lru bounded by weight evicts until under budget and never holds an oversized entry', () => {
  const lru = new Lru<string, Uint8Array>(10, (bytes) => bytes.byteLength)
  lru.set('a', new Uint8Array(4))
  lru.set('b', new Uint8Array(4))
  lru.set('c', new Uint8Array(4))
  expect(lru.get('a')).toBeUndefined()
  expect(lru.get('b')?.byteLength).toBe(4)
  lru.set('huge', new Uint8Array(11))
  expect(lru.get('huge')).toBeUndefined()
  expect(lru.get('c')?.byteLength).toBe(4)
})

test('signatures: the two tools, nothing else (a pushed artifact type may be any string)', () => {
  expect(signatureTool('application/vnd.dev.cosign.artifact.sig.v1+json')).toBe('cosign')
  expect(signatureTool('application/vnd.cncf.notary.signature')).toBe('notation')
  for (const hostile of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '', undefined]) {
    expect(signatureTool(hostile)).toBeUndefined()
    expect(isSignatureArtifactType(hostile)).toBe(false)
  }
  const digest = `sha256:${'a'.repeat(64)}`
  expect(cosignSignatureTag(digest)).toBe(`sha256-${'a'.repeat(64)}.sig`)
  expect(COSIGN_SIGNATURE_TAG.exec(cosignSignatureTag(digest))?.[1]).toBe('a'.repeat(64))
  expect(COSIGN_SIGNATURE_TAG.test(`sha256-${'a'.repeat(64)}.att`)).toBe(false)
})
