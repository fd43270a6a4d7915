/**
 * @module
 * zot's `readTimeout`/`writeTimeout` as an idle timeout on Bun's (Bun.serve `idleTimeout`,
 * uSockets underneath), which as measured on Bun 1.4.5 needs two corrections:
 *
 * - It counts in 4 s ticks: N seconds fire at a tick ⌈N/4⌉ ticks after the timer was last armed,
 *   that is after N-4..N s of silence, so "3s" cut a download that moved every 500 ms within 4 s.
 *   Armed one tick longer, it fires after N..N+4 s: never early.
 * - Response writes re-arm it, request-body bytes do not: a chunked PATCH trickling 1 KiB every
 *   500 ms was cut N s after its headers (61 s at the default 60 s), moving or not. So each
 *   chunk of a request body re-arms it with `server.timeout(request, seconds)`; a client that
 *   stops sending is still cut.
 */
import type { Server } from 'bun'

/** uSockets checks its timers every 4 s. */
const TICK_SECONDS = 4
/** The largest idle timeout Bun accepts. */
const MAX_SECONDS = 255

/** What to hand Bun for "cut after `seconds` without a byte moving, never earlier" (≤0: never). */
export function bunIdleSeconds(seconds: number): number {
  return seconds <= 0 ? 0 : Math.min(MAX_SECONDS, Math.ceil(seconds) + TICK_SECONDS)
}

const nativeBody = Object.getOwnPropertyDescriptor(Request.prototype, 'body')?.get

/** HTTP/1.1 framing: a request has a body when it is chunked or declares a length above 0. */
const hasBody = (request: Request): boolean =>
  request.headers.has('transfer-encoding') || Number(request.headers.get('content-length') ?? 0) > 0

/**
 * Re-arms the connection's idle timer (`seconds`, as bunIdleSeconds gives it) at every chunk of
 * the request's body. The request keeps its identity, which Bun's `requestIP` and `timeout` key
 * on; only its `body` becomes a pull-through of the native stream, read when the handler reads.
 */
export function rearmOnBodyProgress(request: Request, server: Server<unknown>, seconds: number): void {
  const native = nativeBody
  if (seconds <= 0 || !native || !hasBody(request)) return
  // Taken at the first read only: a handler calling arrayBuffer() reads the native body.
  const open = () => (native.call(request) as ReadableStream<Uint8Array>).getReader()
  let reader: ReturnType<typeof open> | undefined
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= open()
        const chunk = await reader.read()
        if (chunk.done) return controller.close()
        server.timeout(request, seconds)
        controller.enqueue(chunk.value)
      },
      cancel: (reason) => reader?.cancel(reason),
    },
    // Nothing is read ahead of the handler: backpressure stays the client's.
    { highWaterMark: 0 },
  )
  Object.defineProperty(request, 'body', { value: body, configurable: true })
}
