/**
 * @module
 * A misbehaving upstream: an HTTP proxy on 127.0.0.1 in front of a real registry
 * (docker-registry) that, for the requests a rule matches, stalls the response headers, stalls
 * the body part-way, cuts the body part-way (the connection drops with bytes still owed), or
 * flips a byte. Everything else passes through unchanged. Rules can be changed while it runs.
 */
import { once } from 'node:events'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'

/** What happens to a matching request. Offsets count body bytes. */
export type Fault =
  | { kind: 'stall-headers' }
  | { kind: 'stall-body'; after: number }
  | { kind: 'truncate'; after: number }
  | { kind: 'corrupt'; at: number }

export interface FaultRule {
  method?: 'GET' | 'HEAD'
  path: RegExp
  fault: Fault
}

export interface FaultProxy {
  url: string
  host: string
  /** The rules, first match wins; assign to change them. */
  rules: FaultRule[]
  /** `METHOD /path` of every request received, in order. */
  requests: string[]
  /** Requests whose fault was applied. */
  faulted: number
  stop(): Promise<void>
}

/** A promise that settles when `signal` aborts (the client went away), never otherwise. */
const untilAborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve()
    signal.addEventListener('abort', () => resolve(), { once: true })
  })

/**
 * Copies the upstream body to the client with the fault applied, chunk by chunk (never buffered
 * whole). A cut destroys the socket with bytes still owed (node:http, because a Bun.serve body
 * can only end with an error, which the runtime prints as if a test had failed).
 */
async function sendFaulty(
  body: ReadableStream<Uint8Array>,
  response: ServerResponse,
  fault: Fault | undefined,
  gone: AbortSignal,
): Promise<void> {
  const reader = body.getReader()
  const limit = fault?.kind === 'stall-body' || fault?.kind === 'truncate' ? fault.after : Number.POSITIVE_INFINITY
  let position = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return void response.end()
    let chunk = value.subarray(0, Math.min(value.byteLength, limit - position))
    if (fault?.kind === 'corrupt' && fault.at >= position && fault.at < position + chunk.byteLength) {
      chunk = chunk.slice()
      chunk[fault.at - position]! ^= 0xff
    }
    position += chunk.byteLength
    if (chunk.byteLength > 0 && !response.write(chunk)) await once(response, 'drain')
    if (position >= limit && (chunk.byteLength < value.byteLength || !(await reader.read()).done)) {
      // A body that has in fact ended is not cut: a cut means bytes are still owed.
      await reader.cancel()
      // The bytes before the cut reach the client first, so it fails reading the body, not the headers.
      await Bun.sleep(100)
      if (fault?.kind === 'stall-body') await untilAborted(gone)
      return void response.destroy()
    }
    if (position >= limit) return void response.end()
  }
}

/** Starts a proxy to `target` (an `http://host:port` registry). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const stopping = new AbortController()
  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://proxy')
    const method = request.method ?? 'GET'
    proxy.requests.push(`${method} ${url.pathname}`)
    const rule = proxy.rules.find(
      (candidate) => (!candidate.method || candidate.method === method) && candidate.path.test(url.pathname),
    )
    const clientGone = new AbortController()
    response.on('close', () => clientGone.abort())
    const gone = AbortSignal.any([clientGone.signal, stopping.signal])
    if (rule) proxy.faulted++
    if (rule?.fault.kind === 'stall-headers') {
      await untilAborted(gone)
      return void response.destroy()
    }
    const headers = new Headers()
    for (const [name, value] of Object.entries(request.headers)) {
      if (name !== 'host' && value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value)
    }
    const hasBody = method !== 'GET' && method !== 'HEAD'
    const upstream = await fetch(target + url.pathname + url.search, {
      method,
      headers,
      ...(hasBody && { body: Readable.toWeb(request) as ReadableStream<Uint8Array>, duplex: 'half' }),
      redirect: 'manual',
      decompress: false,
    })
    response.writeHead(upstream.status, Object.fromEntries(upstream.headers))
    if (!upstream.body) return void response.end()
    await sendFaulty(upstream.body, response, rule?.fault, gone)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  const proxy: FaultProxy = {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    rules: [],
    requests: [],
    faulted: 0,
    stop: async () => {
      stopping.abort()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return proxy
}
