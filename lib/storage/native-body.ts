/**
 * @module
 * Streams that Bun pipes into a response by itself, without a JavaScript hop per chunk: the body
 * of a `fetch` (an S3 object, fetch-handler.ts). A response body that wraps one in a JavaScript
 * stream forfeits that; the request log and the failure logging of streamed content
 * (lib/http/streamed-content.ts) leave the ones marked here as they are.
 */
const native = new WeakSet<ReadableStream<Uint8Array>>()

export function markNativeBody(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  native.add(stream)
  return stream
}

export const isNativeBody = (body: ReadableStream<Uint8Array>): boolean => native.has(body)
