/**
 * @module
 * Our own registry as an upstream, served on 127.0.0.1 in-process, with a recording and
 * misbehaving front: every request is logged (method and path, as an access log would), and a
 * test can slow blob bodies down, corrupt them, answer every request with a status, or stop the
 * listener altogether and bring it back on the same port.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../../../lib/http/app'
import { silentLogger } from '../../../lib/log/logger'
import { openStore } from '../../../lib/registry/open-store'
import type { Registry } from '../../../lib/registry/registry'
import { testStorageConfig } from '../../support/config'

export interface Misbehaviour {
  /** Blob bodies flow at this many bytes per second. */
  throttleBytesPerSecond?: number
  /** Blob bodies have one byte flipped. */
  corruptBlobs?: boolean
  /** Every request is answered with this status (and these headers). */
  status?: number
  headers?: Record<string, string>
  /** Every request waits this long before it is answered. */
  delayMs?: number
  /** Requests whose path matches are answered with the paired status. */
  statusByPath?: [RegExp, number][]
}

export interface OwnUpstream {
  url: string
  /** `127.0.0.1:PORT` */
  host: string
  registry: Registry
  /** `METHOD /path?query`, one per request received. */
  requests: string[]
  misbehave: Misbehaviour
  /** Requests with this method whose path matches. */
  count(method: string, path: RegExp): number
  /** Stops listening: connections are refused until `start()`. */
  kill(): void
  start(): void
  stop(): Promise<void>
}

const SLICE = 64 * 1024

/** Re-chunks a body to the given rate. */
function throttle(body: ReadableStream<Uint8Array>, bytesPerSecond: number): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  let pending: Uint8Array | undefined
  return new ReadableStream({
    async pull(controller) {
      if (!pending || pending.byteLength === 0) {
        const { done, value } = await reader.read()
        if (done) return controller.close()
        pending = value
      }
      const slice = pending.subarray(0, SLICE)
      pending = pending.subarray(slice.byteLength)
      await Bun.sleep((slice.byteLength / bytesPerSecond) * 1000)
      controller.enqueue(slice)
    },
    cancel: (reason) => reader.cancel(reason),
  })
}

function corrupt(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  let first = true
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (first && chunk.byteLength > 0) {
          first = false
          const copy = new Uint8Array(chunk)
          copy[0] = copy[0]! ^ 0xff
          return controller.enqueue(copy)
        }
        controller.enqueue(chunk)
      },
    }),
  )
}

export async function startOwnUpstream(): Promise<OwnUpstream> {
  const rootDirectory = await mkdtemp(join(tmpdir(), 'zot-sync-upstream-'))
  const storage = testStorageConfig({ rootDirectory })
  const { registry } = await openStore(storage)
  const app = createApp({ registry, logger: silentLogger(), redirectBlobs: storage.redirectBlobURL })
  const requests: string[] = []
  const misbehave: Misbehaviour = {}

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url)
    requests.push(`${request.method} ${url.pathname}${url.search}`)
    if (misbehave.delayMs) await Bun.sleep(misbehave.delayMs)
    const status = misbehave.status ?? misbehave.statusByPath?.find(([pattern]) => pattern.test(url.pathname))?.[1]
    if (status) return new Response(null, { status, headers: misbehave.headers })
    const response = await app.fetch(request)
    if (!/\/blobs\/sha256:/.test(url.pathname) || request.method !== 'GET' || !response.body) return response
    let body = response.body instanceof ReadableStream ? response.body : new Response(response.body).body!
    if (misbehave.corruptBlobs) body = corrupt(body)
    if (misbehave.throttleBytesPerSecond) body = throttle(body, misbehave.throttleBytesPerSecond)
    return new Response(body, { status: response.status, headers: response.headers })
  }

  const listen = (port: number) =>
    Bun.serve({
      hostname: '127.0.0.1',
      port,
      fetch: handle,
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      idleTimeout: 0,
    })
  let server: ReturnType<typeof listen> | undefined = listen(0)
  const port = server.port!
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    registry,
    requests,
    misbehave,
    count: (method, path) =>
      requests.filter((line) => line.startsWith(`${method} `) && path.test(line.slice(method.length + 1))).length,
    kill: () => {
      server?.stop(true)
      server = undefined
    },
    start: () => {
      server ??= listen(port)
    },
    stop: async () => {
      server?.stop(true)
      server = undefined
      await rm(rootDirectory, { recursive: true, force: true })
    },
  }
}
