import { describe, expect, test } from 'bun:test'
import { digestOf } from '../../lib/oci/digest'
import { errorCode, makeHarness, pushBlob, randomBlob } from './harness'

describe('uploads', async () => {
  const h = await makeHarness()

  async function open(repository = 'up/repo'): Promise<string> {
    const response = await h.request(`/v2/${repository}/blobs/uploads/`, { method: 'POST' })
    expect(response.status).toBe(202)
    expect(response.headers.get('Range')).toBe('0-0')
    const location = response.headers.get('Location')!
    expect(location).toMatch(new RegExp(`^/v2/${repository}/blobs/uploads/[0-9a-f-]{36}$`))
    expect(response.headers.get('Docker-Upload-UUID')).toBe(location.split('/').pop()!)
    return location
  }

  test('monolithic POST ?digest= creates the blob at once (201)', async () => {
    const data = randomBlob(5000)
    const digest = digestOf(data)
    const response = await h.request(`/v2/up/repo/blobs/uploads/?digest=${digest}`, { method: 'POST', body: data })
    expect(response.status).toBe(201)
    expect(response.headers.get('Location')).toBe(`/v2/up/repo/blobs/${digest}`)
    expect(response.headers.get('Docker-Content-Digest')).toBe(digest)
    expect(new Uint8Array(await (await h.request(`/v2/up/repo/blobs/${digest}`)).arrayBuffer())).toEqual(data)
  })

  test('POST then PUT with the whole body (201)', async () => {
    const data = randomBlob(7000)
    const location = await open()
    const response = await h.request(`${location}?digest=${digestOf(data)}`, { method: 'PUT', body: data })
    expect(response.status).toBe(201)
    expect((await h.request(`/v2/up/repo/blobs/${digestOf(data)}`, { method: 'HEAD' })).status).toBe(200)
  })

  test('streamed: POST, one PATCH without Content-Range, PUT without body', async () => {
    const data = randomBlob(300_000)
    const location = await open()
    const patch = await h.request(location, { method: 'PATCH', body: data })
    expect(patch.status).toBe(202)
    expect(patch.headers.get('Range')).toBe('0-299999')
    expect(patch.headers.get('Location')).toBe(location)
    const put = await h.request(`${location}?digest=${digestOf(data)}`, { method: 'PUT' })
    expect(put.status).toBe(201)
  })

  test('chunked: in-order chunks, 416 for out-of-order and repeated chunks, 204 status', async () => {
    const data = randomBlob(20_000)
    const location = await open()
    const chunk = (start: number, end: number) =>
      h.request(location, {
        method: 'PATCH',
        body: data.subarray(start, end + 1),
        headers: {
          'Content-Range': `${start}-${end}`,
          'Content-Length': String(end - start + 1),
          'Content-Type': 'application/octet-stream',
        },
      })

    const outOfOrder = await chunk(10_000, 19_999)
    expect(outOfOrder.status).toBe(416)
    expect(outOfOrder.headers.get('Range')).toBe('0-0')

    const first = await chunk(0, 9_999)
    expect(first.status).toBe(202)
    expect(first.headers.get('Range')).toBe('0-9999')

    const repeated = await chunk(0, 9_999)
    expect(repeated.status).toBe(416)
    expect(repeated.headers.get('Range')).toBe('0-9999')

    const status = await h.request(location)
    expect(status.status).toBe(204)
    expect(status.headers.get('Range')).toBe('0-9999')
    expect(status.headers.get('Location')).toBe(location)

    expect((await chunk(10_000, 19_999)).status).toBe(202)
    const put = await h.request(`${location}?digest=${digestOf(data)}`, { method: 'PUT' })
    expect(put.status).toBe(201)
    expect(new Uint8Array(await (await h.request(`/v2/up/repo/blobs/${digestOf(data)}`)).arrayBuffer())).toEqual(data)
  })

  test('the final chunk may come with the PUT', async () => {
    const data = randomBlob(4000)
    const location = await open()
    await h.request(location, { method: 'PATCH', body: data.subarray(0, 1000), headers: { 'Content-Range': '0-999' } })
    const put = await h.request(`${location}?digest=${digestOf(data)}`, {
      method: 'PUT',
      body: data.subarray(1000),
      headers: { 'Content-Range': '1000-3999', 'Content-Length': '3000' },
    })
    expect(put.status).toBe(201)
  })

  test('Content-Length disagreeing with Content-Range is refused before reading', async () => {
    const location = await open()
    const response = await h.request(location, {
      method: 'PATCH',
      body: randomBlob(10),
      headers: { 'Content-Range': '0-99', 'Content-Length': '10' },
    })
    expect(response.status).toBe(416)
    expect(await errorCode(response)).toBe('BLOB_UPLOAD_INVALID')
  })

  test('a digest mismatch stores nothing and ends the session', async () => {
    const data = randomBlob(3000)
    const wrong = digestOf(randomBlob(3000))
    const location = await open()
    const put = await h.request(`${location}?digest=${wrong}`, { method: 'PUT', body: data })
    expect(put.status).toBe(400)
    expect(await errorCode(put)).toBe('DIGEST_INVALID')
    expect((await h.request(`/v2/up/repo/blobs/${wrong}`, { method: 'HEAD' })).status).toBe(404)
    expect((await h.request(`/v2/up/repo/blobs/${digestOf(data)}`, { method: 'HEAD' })).status).toBe(404)
    expect((await h.request(location)).status).toBe(404)
  })

  test('PUT without ?digest= is DIGEST_INVALID; a malformed digest too', async () => {
    const location = await open()
    expect(await errorCode(await h.request(location, { method: 'PUT' }))).toBe('DIGEST_INVALID')
    expect(await errorCode(await h.request(`${location}?digest=sha256:zz`, { method: 'PUT' }))).toBe('DIGEST_INVALID')
  })

  test('sha512 digests are verified too', async () => {
    const data = randomBlob(2048)
    const digest = digestOf(data, 'sha512')
    const location = await open()
    const put = await h.request(`${location}?digest=${digest}`, { method: 'PUT', body: data })
    expect(put.status).toBe(201)
    expect((await h.request(`/v2/up/repo/blobs/${digest}`, { method: 'HEAD' })).headers.get('Content-Length')).toBe(
      '2048',
    )
  })

  test('unknown and malformed session ids answer 404 BLOB_UPLOAD_UNKNOWN', async () => {
    for (const id of [crypto.randomUUID(), 'not-a-uuid', 'ABCDEF00-0000-4000-8000-000000000000']) {
      const response = await h.request(`/v2/up/repo/blobs/uploads/${id}`, { method: 'PATCH', body: 'x' })
      expect(response.status).toBe(404)
      expect(await errorCode(response)).toBe('BLOB_UPLOAD_UNKNOWN')
    }
  })

  test('a session belongs to its repository', async () => {
    const location = await open('up/one')
    const response = await h.request(location.replace('/up/one/', '/up/two/'))
    expect(response.status).toBe(404)
  })

  test('DELETE cancels a session (204) and removes what it stored', async () => {
    const location = await open('up/cancel')
    await h.request(location, { method: 'PATCH', body: randomBlob(100) })
    expect(await h.storage.list('up/cancel/.uploads')).not.toEqual([])
    expect((await h.request(location, { method: 'DELETE' })).status).toBe(204)
    expect((await h.request(location)).status).toBe(404)
    expect(await h.storage.list('up/cancel/.uploads')).toEqual([])
    expect(await h.storage.openMultipartUploads()).toEqual([])
  })

  test('a session survives losing its hash state (restart): the digest is re-computed', async () => {
    const data = randomBlob(50_000)
    const location = await open('up/restart')
    await h.request(location, { method: 'PATCH', body: data.subarray(0, 20_000) })
    // A fresh registry over the same storage has no in-memory hash state.
    const { registry: restarted } = await h.storage.openStore()
    const id = location.split('/').pop()!
    await restarted.appendUpload('up/restart', id, new Blob([data.subarray(20_000)]).stream(), {
      range: { start: 20_000, end: 49_999 },
    })
    const result = await restarted.finishUpload('up/restart', id, digestOf(data), null)
    expect(result).toEqual({ digest: digestOf(data), size: 50_000 })
  })
})

describe('cross-repository mount', async () => {
  const h = await makeHarness()
  const digest = await pushBlob(h, 'source/repo', randomBlob(4096))

  test('mounting an existing blob answers 201 and the blob reads in the target', async () => {
    const response = await h.request(`/v2/target/repo/blobs/uploads/?mount=${digest}&from=source/repo`, {
      method: 'POST',
    })
    expect(response.status).toBe(201)
    expect(response.headers.get('Location')).toBe(`/v2/target/repo/blobs/${digest}`)
    expect(response.headers.get('Docker-Content-Digest')).toBe(digest)
    expect((await h.request(`/v2/target/repo/blobs/${digest}`)).status).toBe(200)
  })

  test('a mount that cannot be satisfied opens an ordinary session (202)', async () => {
    const missing = `sha256:${'1'.repeat(64)}`
    const response = await h.request(`/v2/target/repo/blobs/uploads/?mount=${missing}&from=source/repo`, {
      method: 'POST',
    })
    expect(response.status).toBe(202)
    expect(response.headers.get('Location')).toContain('/v2/target/repo/blobs/uploads/')
  })

  test('mount without from opens a session', async () => {
    const response = await h.request(`/v2/target/other/blobs/uploads/?mount=${digest}`, { method: 'POST' })
    expect(response.status).toBe(202)
  })
})
