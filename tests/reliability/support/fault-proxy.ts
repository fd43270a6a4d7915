/**
 * @module
 * A misbehaving upstream: an HTTP proxy on 127.0.0.1 in front of a real registry
 * (docker-registry) that, for the requests a rule matches, stalls the response headers, stalls
 * the body part-way, cuts the body part-way (the connection drops with bytes still owed), or
 * flips a byte. Everything else passes through unchanged. Rules can be changed while it runs.
 */

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
  new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))

/** The body with the fault applied to it, chunk by chunk (never buffered whole). */
function faultyBody(body: ReadableStream<Uint8Array>, fault: Fault, signal: AbortSignal): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  let position = 0
  /** Bytes of the last chunk past the limit were held back. */
  let withheld = false
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const limit = fault.kind === 'stall-body' || fault.kind === 'truncate' ? fault.after : Number.POSITIVE_INFINITY
      if (position >= limit) {
        // A body that has in fact ended is not cut: a cut means bytes are still owed.
        if (!withheld && (await reader.read()).done) return controller.close()
        await reader.cancel()
        // The bytes before the cut reach the client first, so it fails reading the body, not the headers.
        await Bun.sleep(100)
        if (fault.kind === 'truncate') return controller.error(new Error('fault proxy: body cut'))
        await untilAborted(signal)
        return controller.error(new Error('fault proxy: client gone'))
      }
      const { done, value } = await reader.read()
      if (done) return controller.close()
      let chunk = value.subarray(0, Math.min(value.byteLength, limit - position))
      withheld = chunk.byteLength < value.byteLength
      if (fault.kind === 'corrupt' && fault.at >= position && fault.at < position + chunk.byteLength) {
        chunk = chunk.slice()
        chunk[fault.at - position]! ^= 0xff
      }
      position += chunk.byteLength
      controller.enqueue(chunk)
    },
    cancel: () => reader.cancel(),
  })
}

/** Starts a proxy to `target` (an `http://host:port` registry). */
export function startFaultProxy(target: string): FaultProxy {
  const stopping = new AbortController()
  const proxy: FaultProxy = {
    url: '',
    host: '',
    rules: [],
    requests: [],
    faulted: 0,
    stop: async () => {
      stopping.abort()
      await server.stop(true)
    },
  }
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const url = new URL(request.url)
      proxy.requests.push(`${request.method} ${url.pathname}`)
      const rule = proxy.rules.find(
        (candidate) => (!candidate.method || candidate.method === request.method) && candidate.path.test(url.pathname),
      )
      const gone = AbortSignal.any([request.signal, stopping.signal])
      if (rule) proxy.faulted++
      if (rule?.fault.kind === 'stall-headers') {
        await untilAborted(gone)
        return new Response(null, { status: 599 })
      }
      const headers = new Headers(request.headers)
      headers.delete('host')
      const upstream = await fetch(target + url.pathname + url.search, {
        method: request.method,
        headers,
        body: request.body,
        redirect: 'manual',
        decompress: false,
      })
      const body = rule && upstream.body ? faultyBody(upstream.body, rule.fault, gone) : upstream.body
      return new Response(body, { status: upstream.status, headers: upstream.headers })
    },
  })
  proxy.url = `http://127.0.0.1:${server.port}`
  proxy.host = `127.0.0.1:${server.port}`
  return proxy
}
