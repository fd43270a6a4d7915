/**
 * @module
 * Every upstream body is read through a watchdog: a body that stops sending for `idleMs` (time
 * spent waiting on the upstream, never on our own reader) or that breaks off mid-way errors with
 * an `unavailable` UpstreamError, so it is an upstream failure like a refused connection (503,
 * the next URL, the circuit breaker) and never a hung request or a 500. The watchdog reports
 * how the body ended; the client judges the URL by it.
 */
import { UpstreamError } from './upstream-error'

export interface BodyWatch {
  idleMs: number
  /** Names the transfer in errors: `https://ghcr.io GET /v2/...`. */
  what: string
  /** The body came whole. */
  onEnd(): void
  /** The body stalled (`timeout`) or broke (`error`); the transfer is already cut. */
  onFailure(kind: 'timeout' | 'error'): void
  /** Cuts the transfer (aborts the fetch) when it stalls. */
  abort(): void
}

/** `body` as a stream that errors with an UpstreamError once it stalls or breaks. */
export function watchBody(body: ReadableStream<Uint8Array>, watch: BodyWatch): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  const fail = (kind: 'timeout' | 'error', message: string, cause?: unknown): UpstreamError => {
    watch.onFailure(kind)
    return new UpstreamError('unavailable', `${watch.what}: ${message}`, { cause })
  }
  // One timer for the whole body, re-armed at each read (not one timer and promise per chunk):
  // it counts only while a read waits on the upstream, never while our own reader is busy.
  let waiting = false
  let stalled = false
  const timer = setTimeout(() => {
    if (!waiting) return
    stalled = true
    watch.abort()
    // The pending read ends (done, or an error from the abort) and reports the stall.
    void reader.cancel().catch(() => {})
  }, watch.idleMs)
  // Firing while no read waits does nothing; `refresh` re-arms it (a cleared timer would not re-arm).
  timer.unref()
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: Awaited<ReturnType<typeof reader.read>>
        waiting = true
        timer.refresh()
        try {
          next = await reader.read()
        } catch (error) {
          if (stalled) return controller.error(fail('timeout', `no data for ${watch.idleMs} ms`))
          return controller.error(fail('error', `the body broke off: ${(error as Error).message}`, error))
        } finally {
          waiting = false
        }
        if (stalled) return controller.error(fail('timeout', `no data for ${watch.idleMs} ms`))
        if (next.done) {
          clearTimeout(timer)
          watch.onEnd()
          return controller.close()
        }
        controller.enqueue(next.value)
      },
      cancel(reason) {
        clearTimeout(timer)
        // Our reader gave up (a client left, a limit was hit): that says nothing about the upstream.
        return reader.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
}
