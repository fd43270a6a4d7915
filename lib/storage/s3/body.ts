/**
 * @module
 * GetObject response bodies: Bun's fetch stream (fetch-handler.ts), typed loosely by the SDK as
 * one of several stream kinds. Read as chunks, or released unread so the connection closes rather
 * than downloading what nobody reads.
 */
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3'

export type ResponseBody = NonNullable<GetObjectCommandOutput['Body']>

export async function* chunksOf(body: ResponseBody | undefined): AsyncGenerator<Uint8Array> {
  if (!body) return
  const source: AsyncIterable<Uint8Array> = body instanceof Blob ? body.stream() : (body as AsyncIterable<Uint8Array>)
  // Leaving the loop early (the client went away) destroys the response, freeing its socket.
  for await (const chunk of source) yield chunk
}

export function discard(body: ResponseBody | undefined): void {
  if (!body) return
  const stream = body as { destroy?: () => void; cancel?: () => Promise<void> }
  if (typeof stream.destroy === 'function') stream.destroy()
  else void stream.cancel?.().catch(() => {})
}
