import { describe, expect, test } from 'bun:test'
import { digestOf } from '../../lib/oci/digest'
import { bytes, errorCode, makeHarness, pushBlob, pushImage, randomBlob } from './harness'

const MISSING = `sha256:${'0'.repeat(64)}`

describe('blobs: HEAD and GET', async () => {
  const h = await makeHarness()
  const data = randomBlob(100_000)
  const digest = await pushBlob(h, 'lib/app', data)

  test('missing blob: GET 404 BLOB_UNKNOWN envelope, HEAD 404 without body', async () => {
    const get = await h.request(`/v2/lib/app/blobs/${MISSING}`)
    expect(get.status).toBe(404)
    expect(await errorCode(get)).toBe('BLOB_UNKNOWN')
    const head = await h.request(`/v2/lib/app/blobs/${MISSING}`, { method: 'HEAD' })
    expect(head.status).toBe(404)
    expect(await head.text()).toBe('')
  })

  test('HEAD reports length, digest and range support', async () => {
    const head = await h.request(`/v2/lib/app/blobs/${digest}`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expect(head.headers.get('Content-Length')).toBe('100000')
    expect(head.headers.get('Docker-Content-Digest')).toBe(digest)
    expect(head.headers.get('Accept-Ranges')).toBe('bytes')
    expect(head.headers.get('Docker-Distribution-API-Version')).toBe('registry/2.0')
  })

  test('GET returns the exact bytes', async () => {
    const get = await h.request(`/v2/lib/app/blobs/${digest}`)
    expect(get.status).toBe(200)
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(data)
  })

  test('a blob of one repository is not visible in another', async () => {
    expect((await h.request(`/v2/other/blobs/${digest}`, { method: 'HEAD' })).status).toBe(404)
  })

  test.each([
    ['bytes=0-9', 0, 9],
    ['bytes=99990-', 99990, 99999],
    ['bytes=-5', 99995, 99999],
    ['bytes=99000-200000', 99000, 99999],
  ])('Range %s answers 206 with the slice', async (range, start, end) => {
    const get = await h.request(`/v2/lib/app/blobs/${digest}`, { headers: { Range: range } })
    expect(get.status).toBe(206)
    expect(get.headers.get('Content-Range')).toBe(`bytes ${start}-${end}/100000`)
    expect(get.headers.get('Content-Length')).toBe(String(end - start + 1))
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(data.subarray(start, end + 1))
  })

  test('an unsatisfiable Range answers 416 with the size', async () => {
    const get = await h.request(`/v2/lib/app/blobs/${digest}`, { headers: { Range: 'bytes=100000-' } })
    expect(get.status).toBe(416)
    expect(get.headers.get('Content-Range')).toBe('bytes */100000')
  })

  test('multiple ranges are answered with the whole blob', async () => {
    const get = await h.request(`/v2/lib/app/blobs/${digest}`, { headers: { Range: 'bytes=0-1,5-6' } })
    expect(get.status).toBe(200)
    expect((await get.arrayBuffer()).byteLength).toBe(100000)
  })

  test('malformed digests answer 400 DIGEST_INVALID', async () => {
    for (const bad of ['sha256:abc', `md5:${'0'.repeat(32)}`, `sha256:${'G'.repeat(64)}`, 'notadigest']) {
      const get = await h.request(`/v2/lib/app/blobs/${bad}`)
      expect(get.status).toBe(400)
      expect(await errorCode(get)).toBe('DIGEST_INVALID')
    }
  })

  test('invalid repository names answer 400 NAME_INVALID before touching storage', async () => {
    for (const bad of ['UPPER', 'a..b', '-lead', 'a/', 'a//b', 'a%2Fb', 'a%00b', 'x'.repeat(256)]) {
      const get = await h.request(`/v2/${bad}/blobs/${digest}`)
      expect(get.status).toBe(400)
      expect(await errorCode(get)).toBe('NAME_INVALID')
    }
  })
})

describe('blobs: DELETE', async () => {
  const h = await makeHarness()

  test('an unreferenced blob is deleted with 202, then 404', async () => {
    const digest = await pushBlob(h, 'del/repo', bytes('unreferenced'))
    expect((await h.request(`/v2/del/repo/blobs/${digest}`, { method: 'DELETE' })).status).toBe(202)
    expect((await h.request(`/v2/del/repo/blobs/${digest}`)).status).toBe(404)
  })

  test('a missing blob answers 404 BLOB_UNKNOWN', async () => {
    const response = await h.request(`/v2/del/repo/blobs/${MISSING}`, { method: 'DELETE' })
    expect(response.status).toBe(404)
    expect(await errorCode(response)).toBe('BLOB_UNKNOWN')
  })

  test('a layer a manifest still uses is refused with 405 and stays', async () => {
    const image = await pushImage(h, 'del/repo', 'v1')
    const response = await h.request(`/v2/del/repo/blobs/${image.layers[0]}`, { method: 'DELETE' })
    expect(response.status).toBe(405)
    expect((await h.request(`/v2/del/repo/blobs/${image.layers[0]}`, { method: 'HEAD' })).status).toBe(200)
  })
})

test('the empty blob can be pushed and read', async () => {
  const h = await makeHarness()
  const digest = await pushBlob(h, 'empty/blob', new Uint8Array(0))
  expect(digest).toBe(digestOf(new Uint8Array(0)))
  const get = await h.request(`/v2/empty/blob/blobs/${digest}`)
  expect(get.status).toBe(200)
  expect(get.headers.get('Content-Length')).toBe('0')
})
