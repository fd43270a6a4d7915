/**
 * The request log line of a real server (a child process on loopback) tells what was sent: a JSON
 * body's length (the handler sets no Content-Length), a file's size, a HEAD's nothing; and a
 * streamed body (a pull-through fill from a slow upstream) is logged when its last byte went, or
 * with what went when the client gave up.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { sha256Digest } from '../support/oci-layout'
import { startRegistry, type RunningRegistry } from '../support/server'
import { tempDirectory } from '../support/temp'
import { pushBlob, randomBytes } from '../sync/support/content'
import { startOwnUpstream, type OwnUpstream } from '../sync/support/own-upstream'

let upstream: OwnUpstream
let registry: RunningRegistry
const local = randomBytes(4 << 20)
const localPath = `/v2/logged/blobs/${sha256Digest(local)}`

beforeAll(async () => {
  upstream = await startOwnUpstream()
  registry = await startRegistry({
    config: {
      log: { level: 'info' },
      // zot needs a local spool when storage is remote (the S3 pass): name one always.
      extensions: {
        sync: {
          downloadDir: await tempDirectory('request-log-spool'),
          registries: [{ urls: [upstream.url], onDemand: true, content: [{ prefix: 'up/**' }] }],
        },
      },
    },
  })
  await pushBlob(registry, 'logged', local, 'application/octet-stream')
}, 60_000)
afterAll(async () => {
  await registry?.stop()
  await upstream?.stop()
})

interface RequestLine {
  method: string
  path: string
  status: number
  bytes: number
  durationMs?: number
  headersMs?: number
}

const requestLines = (method: string, path: string): RequestLine[] =>
  registry
    .logs()
    .split('\n')
    .filter((text) => text.startsWith('{'))
    .map((text) => JSON.parse(text) as RequestLine & { message: string })
    .filter((entry) => entry.message === 'request' && entry.method === method && entry.path === path)

/** The next request line for `method path` after the `seen` already written. */
async function requestLine(method: string, path: string, seen = 0): Promise<RequestLine> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const line = requestLines(method, path)[seen]
    if (line) return line
    if (Date.now() > deadline) throw new Error(`no request line for ${method} ${path} in:\n${registry.logs()}`)
    await Bun.sleep(20)
  }
}

/** A blob only the upstream has (`up/NAME`), for the cache to stream through. */
async function upstreamBlob(name: string, size: number): Promise<string> {
  const data = randomBytes(size)
  await pushBlob(upstream, `up/${name}`, data, 'application/octet-stream')
  return `/v2/up/${name}/blobs/${sha256Digest(data)}`
}

test('a JSON body (the handler sets no Content-Length; Bun adds it) is logged with the bytes sent', async () => {
  const response = await fetch(`${registry.url}/v2/_catalog`)
  const body = new Uint8Array(await response.arrayBuffer())
  expect(body.length).toBeGreaterThan(0)
  const line = await requestLine('GET', '/v2/_catalog')
  expect(line.bytes).toBe(body.length)
  expect(typeof line.durationMs).toBe('number')
})

test('a file on local disk is logged with its size', async () => {
  const response = await fetch(`${registry.url}${localPath}`)
  expect((await response.arrayBuffer()).byteLength).toBe(local.length)
  const line = await requestLine('GET', localPath)
  expect(line).toMatchObject({ status: 200, bytes: local.length })
  // Sent with sendfile, whose end Bun does not report: the line names the time it knows (until
  // the response started) so that it cannot be read as the download's duration.
  expect(typeof line.headersMs).toBe('number')
  expect(line.durationMs).toBeUndefined()
})

test('a HEAD sends no body and is logged with 0 bytes', async () => {
  const response = await fetch(`${registry.url}${localPath}`, { method: 'HEAD' })
  expect(response.headers.get('content-length')).toBe(String(local.length))
  expect(await requestLine('HEAD', localPath)).toMatchObject({ status: 200, bytes: 0 })
})

test('a streamed download is logged when its last byte went, with every byte', async () => {
  const size = 3 << 20
  const path = await upstreamBlob('slow', size)
  upstream.misbehave.throttleBytesPerSecond = 2 << 20
  try {
    const started = performance.now()
    const response = await fetch(`${registry.url}${path}`)
    expect((await response.arrayBuffer()).byteLength).toBe(size)
    const took = performance.now() - started
    const line = await requestLine('GET', path)
    expect(line).toMatchObject({ status: 200, bytes: size })
    // About 1.5 s at 2 MiB/s: the time until the last byte, not until the headers.
    expect(line.durationMs).toBeGreaterThan(1000)
    expect(line.durationMs).toBeLessThanOrEqual(took + 50)
  } finally {
    upstream.misbehave.throttleBytesPerSecond = undefined
  }
})

test('a streamed download the client gives up on is logged with the bytes that went', async () => {
  const size = 3 << 20
  const path = await upstreamBlob('abandoned', size)
  upstream.misbehave.throttleBytesPerSecond = 2 << 20
  try {
    const controller = new AbortController()
    const response = await fetch(`${registry.url}${path}`, { signal: controller.signal })
    const reader = response.body!.getReader()
    await reader.read()
    controller.abort()
    await reader.cancel().catch(() => {})
    const line = await requestLine('GET', path)
    expect(line.status).toBe(200)
    expect(line.bytes).toBeGreaterThan(0)
    expect(line.bytes).toBeLessThan(size)
  } finally {
    upstream.misbehave.throttleBytesPerSecond = undefined
  }
})
