/**
 * @module
 * A response body that says how much of it went out and when it stopped: for the request log,
 * whose line must carry the bytes actually sent and the time until the last byte, not what the
 * handler promised when it returned (a 6 s download is not 4 ms, a JSON body is not 0 bytes).
 */

/**
 * Passes `body` through unchanged and calls `finished` once, with the bytes handed on, when it
 * ends, fails, or the client cancels it. Pull-driven: a chunk is read only when the server asks
 * for one, so the server's backpressure (and with it the end time) is the client's.
 */
export function measuredBody(
  body: ReadableStream<Uint8Array>,
  finished: (bytes: number) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader()
  let bytes = 0
  let reported = false
  const report = (): void => {
    if (reported) return
    reported = true
    finished(bytes)
  }
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read()
          if (done) {
            controller.close()
            report()
            return
          }
          bytes += value.byteLength
          controller.enqueue(value)
        } catch (error) {
          report()
          controller.error(error)
        }
      },
      cancel(reason) {
        report()
        return reader.cancel(reason)
      },
    },
    { highWaterMark: 0 },
  )
}
