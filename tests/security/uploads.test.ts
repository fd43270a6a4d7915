/**
 * Upload sessions under attack: a chunk whose body disagrees with its declared Content-Range, and
 * clients opening sessions without end (each is a file, a hash state and, while written, a
 * descriptor). Against the served registry, on the storage under test.
 */
import { describe, expect, test } from 'bun:test'
import { RegistryError } from '../../lib/errors/registry-error'
import { UploadQuota } from '../../lib/registry/storage/upload-quota'
import { sha256, startSecurityTarget } from './support'

const PER_OWNER = 100

const target = await startSecurityTarget({
  users: ['alice', 'bob', 'carol', 'dave'],
  config: {
    http: {
      accessControl: {
        repositories: {
          'public/**': { anonymousPolicy: ['read', 'create'], defaultPolicy: ['read', 'create', 'update', 'delete'] },
          '**': { defaultPolicy: ['read', 'create', 'update', 'delete'] },
        },
      },
    },
  },
})
const alice = target.basic('alice')
const carol = target.basic('carol')
const dave = target.basic('dave')
const bytes = (text: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(text)

const errorCode = async (response: Response): Promise<string | undefined> =>
  ((await response.json()) as { errors?: { code: string }[] }).errors?.[0]?.code

/** A body sent with chunked transfer encoding (no Content-Length), in the given pieces. */
const chunked = (...pieces: Uint8Array[]): ReadableStream<Uint8Array> =>
  new ReadableStream({
    async pull(controller) {
      const piece = pieces.shift()
      if (!piece) return controller.close()
      // Separate writes, so the server sees separate chunks.
      await Bun.sleep(20)
      controller.enqueue(piece)
    },
  })

async function open(repository: string, headers: Record<string, string>): Promise<Response> {
  return target.request(`/v2/${repository}/blobs/uploads/`, { method: 'POST', headers })
}

async function openLocation(repository: string, headers: Record<string, string>): Promise<string> {
  const response = await open(repository, headers)
  expect(response.status).toBe(202)
  return response.headers.get('Location')!
}

const patch = (
  location: string,
  headers: Record<string, string>,
  range: string,
  body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>,
): Promise<Response> =>
  target.request(location, {
    method: 'PATCH',
    headers: { ...headers, 'Content-Range': range, 'Content-Type': 'application/octet-stream' },
    body,
  })

const sessionRange = async (location: string, headers: Record<string, string>): Promise<string | null> =>
  (await target.request(location, { headers })).headers.get('Range')

describe('a chunk must fill exactly the range it declares', () => {
  const data = bytes('0123456789')

  test('Content-Range 5-9 with a 10-byte chunked body is 416 RANGE_INVALID and appends nothing', async () => {
    const location = await openLocation('chunks/longer', alice)
    expect((await patch(location, alice, '0-4', data.slice(0, 5))).status).toBe(202)
    const attack = await patch(location, alice, '5-9', chunked(bytes('abcdefghij')))
    expect(attack.status).toBe(416)
    expect(await errorCode(attack)).toBe('RANGE_INVALID')
    expect(attack.headers.get('Range')).toBe('0-4')
    expect(await sessionRange(location, alice)).toBe('0-4')
    // The client retries the chunk as declared, and the blob is exactly what it meant.
    expect((await patch(location, alice, '5-9', data.slice(5))).status).toBe(202)
    const put = await target.request(`${location}?digest=${sha256(data)}`, { method: 'PUT', headers: alice })
    expect(put.status).toBe(201)
    expect(
      new Uint8Array(
        await (await target.request(`/v2/chunks/longer/blobs/${sha256(data)}`, { headers: alice })).arrayBuffer(),
      ),
    ).toEqual(data)
  })

  test('the excess arriving after part of the chunk was written still appends nothing', async () => {
    const location = await openLocation('chunks/late', alice)
    const attack = await patch(location, alice, '0-4', chunked(bytes('abcd'), bytes('efgh')))
    expect(attack.status).toBe(416)
    expect(await sessionRange(location, alice)).toBe('0-0')
    const size = await target.request(location, { headers: alice })
    expect(size.status).toBe(204)
    expect((await patch(location, alice, '0-9', chunked(data.slice(0, 3), data.slice(3)))).status).toBe(202)
    expect((await target.request(`${location}?digest=${sha256(data)}`, { method: 'PUT', headers: alice })).status).toBe(
      201,
    )
  })

  test('a body shorter than declared appends nothing', async () => {
    const location = await openLocation('chunks/shorter', alice)
    expect((await patch(location, alice, '0-4', data.slice(0, 5))).status).toBe(202)
    const attack = await patch(location, alice, '5-9', chunked(bytes('ab'), bytes('c')))
    expect(attack.status).toBe(416)
    expect(await errorCode(attack)).toBe('RANGE_INVALID')
    expect(await sessionRange(location, alice)).toBe('0-4')
    expect((await patch(location, alice, '5-9', data.slice(5))).status).toBe(202)
    expect((await target.request(`${location}?digest=${sha256(data)}`, { method: 'PUT', headers: alice })).status).toBe(
      201,
    )
  })

  test('a chunk that does not start where the session ends is refused', async () => {
    const location = await openLocation('chunks/gap', alice)
    const gap = await patch(location, alice, '5-9', data.slice(5))
    expect(gap.status).toBe(416)
    expect(await errorCode(gap)).toBe('RANGE_INVALID')
    expect(await sessionRange(location, alice)).toBe('0-0')
  })
})

describe('open upload sessions are capped per principal', () => {
  test('a user opens sessions until refused (429), cancelling one makes room for one', async () => {
    const locations: string[] = []
    for (let index = 0; index < PER_OWNER; index++) locations.push(await openLocation('caps/carol', carol))
    const refused = await open('caps/carol', carol)
    expect(refused.status).toBe(429)
    expect(await errorCode(refused)).toBe('TOOMANYREQUESTS')
    expect(refused.headers.get('Retry-After')).not.toBeNull()
    // Monolithic uploads open a session too; other users are not affected.
    const blob = bytes('refused too')
    expect(
      (
        await target.request(`/v2/caps/carol/blobs/uploads/?digest=${sha256(blob)}`, {
          method: 'POST',
          headers: carol,
          body: blob,
        })
      ).status,
    ).toBe(429)
    expect((await open('caps/alice', alice)).status).toBe(202)

    expect((await target.request(locations.pop()!, { method: 'DELETE', headers: carol })).status).toBe(204)
    locations.push(await openLocation('caps/carol', carol))
    expect((await open('caps/carol', carol)).status).toBe(429)

    // Completing a session frees its slot too.
    const done = locations.pop()!
    expect(
      (await target.request(`${done}?digest=${sha256(blob)}`, { method: 'PUT', headers: carol, body: blob })).status,
    ).toBe(201)
    locations.push(await openLocation('caps/carol', carol))
    expect((await open('caps/carol', carol)).status).toBe(429)

    await Promise.all(locations.map((location) => target.request(location, { method: 'DELETE', headers: carol })))
    expect((await open('caps/carol', carol)).status).toBe(202)
  })

  test('failed and aborted uploads give their slot back', async () => {
    const locations: string[] = []
    for (let index = 0; index < PER_OWNER - 1; index++) locations.push(await openLocation('caps/failing', dave))
    const blob = bytes('the real content')
    // Digest mismatches end their sessions.
    for (let attempt = 0; attempt < 3; attempt++) {
      const wrong = await target.request(`/v2/caps/failing/blobs/uploads/?digest=${sha256(bytes('other'))}`, {
        method: 'POST',
        headers: dave,
        body: blob,
      })
      expect(wrong.status).toBe(400)
    }
    // Monolithic uploads whose client goes away mid-body: nobody can resume them.
    for (let attempt = 0; attempt < 3; attempt++) {
      const controller = new AbortController()
      const body = new ReadableStream<Uint8Array>({
        async pull(stream) {
          stream.enqueue(bytes('partial'))
          await Bun.sleep(50)
          controller.abort()
        },
      })
      const request = target.request(`/v2/caps/failing/blobs/uploads/?digest=${sha256(blob)}`, {
        method: 'POST',
        headers: dave,
        body,
        signal: controller.signal,
      })
      await request.catch(() => {})
    }
    // The server notices the aborts once the broken bodies fail; it must not take long.
    let last: Response | undefined
    for (let wait = 0; wait < 50; wait++) {
      last = await open('caps/failing', dave)
      if (last.status === 202) break
      await Bun.sleep(100)
    }
    expect(last?.status).toBe(202)
    expect((await open('caps/failing', dave)).status).toBe(429)
  })

  test('anonymous clients are counted per address, apart from users', async () => {
    for (let index = 0; index < PER_OWNER; index++) expect((await open('public/anon', {})).status).toBe(202)
    const refused = await open('public/anon', {})
    expect(refused.status).toBe(429)
    expect((await open('public/anon', alice)).status).toBe(202)
  })
})

describe('UploadQuota', () => {
  const limits = { perOwner: 2, total: 3, idleMs: 1000 }

  const refused = (run: () => void): string | undefined => {
    try {
      run()
      return undefined
    } catch (error) {
      return error instanceof RegistryError ? error.code : 'not a RegistryError'
    }
  }

  test('per-owner and total caps; release makes room', () => {
    const quota = new UploadQuota(limits, () => 0)
    quota.claim('a1', 'a')
    quota.claim('a2', 'a')
    expect(refused(() => quota.claim('a3', 'a'))).toBe('TOOMANYREQUESTS')
    quota.claim('b1', 'b')
    expect(refused(() => quota.claim('c1', 'c'))).toBe('TOOMANYREQUESTS')
    quota.release('a1')
    quota.claim('c1', 'c')
    // Claiming a counted session again refreshes it and costs nothing.
    quota.claim('c1', 'c')
  })

  test('idle sessions expire; one being written never does, and an aborted write ends its hold', async () => {
    let now = 0
    const quota = new UploadQuota(limits, () => now)
    quota.claim('a1', 'a')
    quota.claim('a2', 'a')
    let finishWrite!: () => void
    const writing = quota.writing('a1', 'a', () => new Promise<void>((resolve) => (finishWrite = resolve)))
    const aborted = quota.writing('a2', 'a', () => Promise.reject(new Error('client gone')))
    await expect(aborted).rejects.toThrow('client gone')
    now = 5000
    // a2 idled out after its aborted write; a1 is still being written.
    quota.claim('a3', 'a')
    expect(refused(() => quota.claim('a4', 'a'))).toBe('TOOMANYREQUESTS')
    finishWrite()
    await writing
    now = 10_000
    quota.claim('a4', 'a')
  })

  test('a session resumed after it expired counts again, cap checked', () => {
    let now = 0
    const quota = new UploadQuota(limits, () => now)
    quota.claim('a1', 'a')
    quota.claim('a2', 'a')
    now = 5000
    quota.claim('a3', 'a')
    quota.claim('a4', 'a')
    expect(refused(() => quota.claim('a1', 'a'))).toBe('TOOMANYREQUESTS')
  })
})
