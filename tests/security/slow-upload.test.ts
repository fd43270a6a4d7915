/**
 * Security issue, item 13: `http.readTimeout`/`writeTimeout` are idle timeouts. A blob upload
 * over a poor edge link that keeps moving (a chunked PATCH trickling 1 KiB every 500 ms) must
 * never be cut, however long it takes; a connection that stops sending still is. Bun's own idle
 * timer ignores request-body bytes (lib/server/idle-timeout.ts): before the fix this PATCH was
 * cut 4 s after its headers with a 3 s timeout, 61 s with the default 60 s.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { startRegistry, type RunningRegistry } from '../support/server'

setDefaultTimeout(60_000)

const TIMEOUT_S = 3
/** Bun checks its timers every 4 s: a silent connection goes after 4 to 8 s (and a moment). */
const LATEST_CUT_MS = 9_000
const CHUNK = 1024
const CHUNK_EVERY_MS = 500
/** ~3x the timeout of trickling. */
const CHUNKS = Math.ceil((3 * TIMEOUT_S * 1000) / CHUNK_EVERY_MS) + 2

let registry: RunningRegistry
beforeAll(async () => {
  registry = await startRegistry({
    config: { http: { readTimeout: `${TIMEOUT_S}s`, writeTimeout: `${TIMEOUT_S}s` }, log: { level: 'warn' } },
  })
})
afterAll(() => registry?.stop())

const sha256 = (data: Uint8Array) => `sha256:${new Bun.CryptoHasher('sha256').update(data).digest('hex')}`

interface RawExchange {
  /** Writes raw bytes on the connection. */
  write(text: string | Uint8Array): void
  /** Resolves with the response's status line and headers, or undefined if the server closed first. */
  response: Promise<{ status: number; headers: Map<string, string> } | undefined>
  /** Resolves with Date.now() when the server closed the connection. */
  closed: Promise<number>
  end(): void
}

/** A plain TCP connection to the registry, so a test decides when each byte of a request leaves. */
async function connect(port: number): Promise<RawExchange> {
  let text = ''
  let settleResponse!: (value: { status: number; headers: Map<string, string> } | undefined) => void
  let settleClosed!: (at: number) => void
  const response = new Promise<{ status: number; headers: Map<string, string> } | undefined>(
    (resolve) => (settleResponse = resolve),
  )
  const closed = new Promise<number>((resolve) => (settleClosed = resolve))
  const socket = await Bun.connect({
    hostname: '127.0.0.1',
    port,
    socket: {
      data(_socket, data) {
        text += new TextDecoder().decode(data)
        const end = text.indexOf('\r\n\r\n')
        if (end < 0) return
        const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n')
        const headers = new Map(
          lines.map((line) => [
            line.slice(0, line.indexOf(':')).toLowerCase(),
            line.slice(line.indexOf(':') + 1).trim(),
          ]),
        )
        settleResponse({ status: Number(statusLine.split(' ')[1]), headers })
      },
      close() {
        settleResponse(undefined)
        settleClosed(Date.now())
      },
    },
  })
  return { write: (data) => void socket.write(data), response, closed, end: () => socket.end() }
}

async function startUpload(repository: string): Promise<string> {
  const response = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/`, { method: 'POST' })
  expect(response.status).toBe(202)
  return new URL(response.headers.get('Location')!, registry.url).pathname
}

const patchHead = (path: string) =>
  `PATCH ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n`
const chunked = (bytes: Uint8Array) => [`${bytes.byteLength.toString(16)}\r\n`, bytes, '\r\n'] as const

describe(`with readTimeout and writeTimeout ${TIMEOUT_S}s`, () => {
  test(`a chunked PATCH sending 1 KiB every ${CHUNK_EVERY_MS} ms for ~3x the timeout completes with every byte`, async () => {
    const path = await startUpload('edge/slow')
    const connection = await connect(registry.port)
    const blob = crypto.getRandomValues(new Uint8Array(CHUNKS * CHUNK))
    const started = Date.now()
    connection.write(patchHead(path))
    for (let index = 0; index < CHUNKS; index++) {
      await Bun.sleep(CHUNK_EVERY_MS)
      for (const part of chunked(blob.subarray(index * CHUNK, (index + 1) * CHUNK))) connection.write(part)
    }
    connection.write('0\r\n\r\n')
    const response = await connection.response
    connection.end()
    expect(Date.now() - started).toBeGreaterThan(3 * TIMEOUT_S * 1000)
    expect(response?.status).toBe(202)
    expect(response?.headers.get('range')).toBe(`0-${blob.byteLength - 1}`)

    const put = await fetch(`${registry.url}${path}?digest=${sha256(blob)}`, { method: 'PUT' })
    expect(put.status).toBe(201)
    const stored = await fetch(`${registry.url}/v2/edge/slow/blobs/${sha256(blob)}`)
    expect(new Uint8Array(await stored.arrayBuffer())).toEqual(blob)
  })

  test('a PATCH whose body stops moving is cut once it has been silent for the timeout', async () => {
    const path = await startUpload('edge/stalled')
    const connection = await connect(registry.port)
    connection.write(patchHead(path))
    for (let index = 0; index < 4; index++) {
      await Bun.sleep(CHUNK_EVERY_MS)
      for (const part of chunked(new Uint8Array(CHUNK))) connection.write(part)
    }
    const silentSince = Date.now()
    const silence = (await connection.closed) - silentSince
    expect(await connection.response).toBeUndefined()
    expect(silence).toBeGreaterThanOrEqual(TIMEOUT_S * 1000)
    expect(silence).toBeLessThan(LATEST_CUT_MS)
  })

  // Before its first request Bun gives a connection ~10 s for its headers, whatever the timeout.
  test('a keep-alive connection that sends nothing after its request is cut too', async () => {
    const connection = await connect(registry.port)
    connection.write('GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    expect((await connection.response)?.status).toBe(200)
    const silentSince = Date.now()
    const silence = (await connection.closed) - silentSince
    expect(silence).toBeGreaterThanOrEqual(TIMEOUT_S * 1000)
    expect(silence).toBeLessThan(LATEST_CUT_MS)
  })
})
