/**
 * @module
 * A blob download that survives its upstream body breaking: when the body stalls or breaks off
 * (the watchdog's `unavailable` UpstreamError), the rest is asked for with a Range request, which
 * the upstream client sends to the first URL whose circuit is closed (a stalled URL's is open, so
 * that is the entry's next URL). Clients tailing the fill never notice. Whatever the pieces, the
 * fill verifies the digest of the whole, so a resume can never smuggle in wrong bytes.
 */
import { isUpstreamError } from './upstream-error'

/** Resumes per download: enough to move to every other URL, not enough to hammer a sick one. */
const MAX_RESUMES = 3

/**
 * `first`, continued from where it broke with `rest(offset)` (the bytes from `offset` to the end,
 * or undefined when there are none) up to MAX_RESUMES times. `size` is the blob's length when the
 * first response declared it.
 */
export function resumingBody(
  first: ReadableStream<Uint8Array>,
  size: number | undefined,
  rest: (offset: number) => Promise<ReadableStream<Uint8Array> | undefined>,
): ReadableStream<Uint8Array> {
  let reader = first.getReader()
  let position = 0
  let resumes = 0
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          try {
            const { done, value } = await reader.read()
            if (done) return controller.close()
            position += value.byteLength
            return controller.enqueue(value)
          } catch (error) {
            // Every byte arrived and only the end of the response went wrong: nothing to resume.
            if (position === size) return controller.close()
            if (!isUpstreamError(error, 'unavailable') || resumes >= MAX_RESUMES) throw error
            resumes++
            const continued = await rest(position)
            if (!continued) return controller.close()
            reader = continued.getReader()
          }
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  )
}
